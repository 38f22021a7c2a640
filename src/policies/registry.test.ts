/**
 * The registry and the order table agree: every policy has one finite order of its own, and every
 * order belongs to a registered policy. The `@ts-expect-error` lines are the compile-time half:
 * if the registry's type stopped catching a missing, extra, repeated or misnamed entry, the build
 * would fail on an unused directive.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Type } from '@sinclair/typebox';
import { definePolicy, type PolicyDefinition } from '../core/policy.js';
import { POLICIES, POLICY_DEFINITIONS, findPolicy, type PolicyRegistry } from './index.js';
import { POLICY_ORDER } from './order.js';

test('every registered policy has a finite order of its own, and every order a registered policy', () => {
  for (const { definition, order } of POLICIES) {
    assert.ok(Number.isFinite(order), `${definition.name} has no order (got ${order})`);
    assert.equal(order, POLICY_ORDER[definition.name as keyof typeof POLICY_ORDER], `${definition.name} runs at its table order`);
  }
  const names = POLICIES.map(({ definition }) => definition.name);
  assert.equal(new Set(names).size, names.length, 'no policy is registered twice');
  assert.deepEqual([...names].sort(), Object.keys(POLICY_ORDER).sort(), 'the registry and the order table name the same policies');
  // Distinct across all policies, so distinct within every phase a policy acts in.
  const orders = POLICIES.map(({ order }) => order);
  assert.equal(new Set(orders).size, orders.length, 'no two policies share an order number');
  for (const name of Object.keys(POLICY_ORDER)) assert.equal(findPolicy(name)?.definition.name, name);
});

test('sanitize runs before validate, so the contract is checked against the body that is forwarded', () => {
  assert.ok(findPolicy('sanitize')!.order < findPolicy('validate')!.order);
});

// Compile-time checks: each line below must fail to type-check (see the header).
const stray = definePolicy({ name: 'stray', description: 'not in the order table', enabledByDefault: false, configSchema: Type.Object({}), create: () => ({}) });
const { 'security-headers': _dropped, ...withoutOne } = POLICY_DEFINITIONS;
// @ts-expect-error a registered policy without its entry does not compile
export const missing: PolicyRegistry = withoutOne;
// @ts-expect-error a policy the order table does not name does not compile
export const extra: PolicyRegistry = { ...POLICY_DEFINITIONS, stray };
// @ts-expect-error a definition under another policy's name does not compile
export const misnamed: PolicyRegistry = { ...POLICY_DEFINITIONS, geo: POLICY_DEFINITIONS.cors };
// @ts-expect-error a repeated entry does not compile (TS1117)
export const repeated: PolicyRegistry = { ...POLICY_DEFINITIONS, geo: POLICY_DEFINITIONS.geo, geo: POLICY_DEFINITIONS.geo };
// …while a definition still widens to the PolicyDefinition the runtime iterates.
export const widened: PolicyDefinition = stray;
