import assert from 'node:assert/strict';
import { test } from 'node:test';
import { MemoryRateLimitStore } from './memory-store.js';
import type { LimitSpec } from '../core/rate-limit.js';

const spec = (over: Partial<LimitSpec> = {}): LimitSpec => ({ key: 'k', name: 'per-minute', limit: 3, windowMs: 60_000, burst: 3, cost: 1, ...over });

test('admits the burst at once, then exactly one unit per emission interval', () => {
  const store = new MemoryRateLimitStore();
  const t0 = 1_000_000;
  const remaining = [0, 1, 2].map(() => store.consume([spec()], t0));
  assert.deepEqual(remaining.map((d) => d.allowed), [true, true, true]);
  assert.deepEqual(remaining.map((d) => d.states[0]!.remaining), [2, 1, 0]);
  const refused = store.consume([spec()], t0);
  assert.equal(refused.allowed, false);
  assert.ok(!refused.allowed && refused.retryAfterMs === 20_000 && refused.limitName === 'per-minute');
  // One interval (60 s / 3) later exactly one unit is back, not a whole new window.
  assert.equal(store.consume([spec()], t0 + 19_999).allowed, false);
  assert.equal(store.consume([spec()], t0 + 20_000).allowed, true);
  assert.equal(store.consume([spec()], t0 + 20_000).allowed, false);
});

test('has no window boundary: a full window later the budget is whole once, never doubled', () => {
  const store = new MemoryRateLimitStore();
  const t0 = 5_000_000;
  for (let i = 0; i < 3; i++) assert.equal(store.consume([spec()], t0 + 59_999).allowed, true);
  // A fixed window would reset at t0 + 60 000 and admit 3 more within 1 ms: GCRA does not.
  assert.equal(store.consume([spec()], t0 + 60_000).allowed, false);
  const later = t0 + 59_999 + 60_000;
  const admitted = [0, 1, 2, 3].filter(() => store.consume([spec()], later).allowed).length;
  assert.equal(admitted, 3);
});

test('spends nothing from any limit when one of them refuses (all or nothing)', () => {
  const store = new MemoryRateLimitStore();
  const perSecond = spec({ key: 's', name: 'per-second', limit: 1, windowMs: 1000, burst: 1 });
  const perMinute = spec({ key: 'm', name: 'per-minute', limit: 10, windowMs: 60_000, burst: 10 });
  assert.equal(store.consume([perSecond, perMinute], 0).allowed, true);
  const refused = store.consume([perSecond, perMinute], 0);
  assert.ok(!refused.allowed && refused.limitName === 'per-second');
  // The refused request did not spend from per-minute: 9 left, not 8.
  assert.equal(refused.states[1]!.remaining, 9);
  assert.equal(refused.states[0]!.remaining, 0);
});

test('charges the cost of a weighted request and refuses one that no longer fits', () => {
  const store = new MemoryRateLimitStore();
  const bulk = spec({ limit: 10, burst: 10, cost: 4 });
  assert.equal(store.consume([bulk], 0).states[0]!.remaining, 6);
  assert.equal(store.consume([bulk], 0).states[0]!.remaining, 2);
  const refused = store.consume([bulk], 0);
  assert.ok(!refused.allowed);
  // Two units are missing; each takes 6 s to come back.
  assert.equal(refused.retryAfterMs, 12_000);
});

test('reports the time until the budget is whole again as the reset', () => {
  const store = new MemoryRateLimitStore();
  store.consume([spec()], 0);
  const second = store.consume([spec()], 0);
  assert.equal(second.states[0]!.resetMs, 40_000);
});

test('forgets whole budgets and stays within its key cap under a flood of distinct keys', () => {
  const store = new MemoryRateLimitStore(1000);
  for (let i = 0; i < 25_000; i++) store.consume([spec({ key: `flood-${i}` })], 0);
  assert.ok(store.size <= 1000, `size ${store.size}`);
  // The least recently used key went first; the most recent ones are still counted.
  assert.equal(store.consume([spec({ key: 'flood-24999' })], 0).states[0]!.remaining, 1);
  assert.equal(store.consume([spec({ key: 'flood-0' })], 0).states[0]!.remaining, 2);
  // Long after, a sweep drops every key whose budget is whole.
  for (let i = 0; i < 10_000; i++) assert.ok(store.consume([spec({ key: `late-${i % 10}` })], 10_000_000 + i * 60_000).allowed);
  assert.ok(store.size <= 10, `size ${store.size}`);
});

test('keeps counting a key in use through a flood of distinct keys many times its cap', () => {
  const store = new MemoryRateLimitStore(1000);
  const hot = spec({ key: 'hot', limit: 1_000_000, burst: 1_000_000, windowMs: 86_400_000 });
  let used = 0;
  for (let i = 0; i < 25_000; i++) {
    store.consume([spec({ key: `flood-${i}` })], 0);
    if (i % 100 === 0) {
      used++;
      // Evicting it would restart it with a whole budget: the count shows it was never dropped.
      assert.equal(store.consume([hot], 0).states[0]!.remaining, 1_000_000 - used);
    }
    assert.ok(store.size <= 1000);
  }
});
