import assert from 'node:assert/strict';
import { test } from 'node:test';
import { defineStateKey, RequestState } from './request-state.js';

test('carries typed values by key, and two keys with one name never see each other', () => {
  const state = new RequestState();
  const attempts = defineStateKey<number>('attempts');
  const alsoAttempts = defineStateKey<number>('attempts');
  const operation = defineStateKey<{ id: string }>('operation');
  assert.equal(state.get(attempts), undefined);
  assert.equal(state.has(attempts), false);
  state.set(attempts, 2);
  state.set(operation, { id: 'createPayment' });
  const count: number | undefined = state.get(attempts);
  assert.equal(count, 2);
  assert.equal(state.get(operation)?.id, 'createPayment');
  assert.equal(state.get(alsoAttempts), undefined, 'keys compare by identity, not by name');
  assert.equal(state.delete(attempts), true);
  assert.equal(state.has(attempts), false);
});

// Compile-time: a key fixes its value's type (the build fails on an unused directive).
const typed = defineStateKey<number>('typed');
// @ts-expect-error a string is not a number
export const wrongType = () => new RequestState().set(typed, 'text');
// @ts-expect-error what comes back is a number or undefined, not a string
export const wrongRead: () => string = () => new RequestState().get(typed);
