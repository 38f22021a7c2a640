import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { AlertSignal } from '../alerts/signals.js';
import { AlertSignalCoalescer } from './alert-signal-coalescer.js';

const MINUTE = 60_000;
const T = 1_700_000_040_000 - (1_700_000_040_000 % MINUTE);

test('sample ids coalesce to the last 5 per route and kind', () => {
  const waiting = new AlertSignalCoalescer();
  for (let i = 0; i < 50; i++) waiting.add({ type: 'sample', route: 'r', kind: 'server_error', requestIds: [`id-${i}`] }, 100);
  waiting.add({ type: 'sample', route: 'r', kind: 'slow', requestIds: ['slow-1'] }, 100);
  waiting.add({ type: 'sample', route: 'other', kind: 'server_error', requestIds: ['o-1'] }, 100);
  assert.deepEqual(waiting.take(10), [
    { type: 'sample', route: 'r', kind: 'server_error', requestIds: ['id-45', 'id-46', 'id-47', 'id-48', 'id-49'] },
    { type: 'sample', route: 'r', kind: 'slow', requestIds: ['slow-1'] },
    { type: 'sample', route: 'other', kind: 'server_error', requestIds: ['o-1'] },
  ]);
  assert.equal(waiting.size, 0);
});

test('rate-limit usage coalesces to the highest per consumer, route, limit and minute', () => {
  const waiting = new AlertSignalCoalescer();
  const usage = (used: number, at: number, consumer = 'c1'): AlertSignal => ({ type: 'limit_usage', route: 'r', limit: 'l', consumer, used, at });
  waiting.add(usage(0.6, T + 1), 100);
  waiting.add(usage(0.9, T + 2), 100);
  waiting.add(usage(0.7, T + 3), 100);
  waiting.add(usage(0.5, T + 4, 'c2'), 100);
  waiting.add(usage(0.55, T + MINUTE), 100);
  assert.deepEqual(waiting.take(10), [usage(0.9, T + 3), usage(0.5, T + 4, 'c2'), usage(0.55, T + MINUTE)]);
});

test('refused requests coalesce to a count and the last 5 ids per source (consumer, else client IP) and minute', () => {
  const waiting = new AlertSignalCoalescer();
  for (let i = 0; i < 40; i++) waiting.add({ type: 'auth_failure', clientIp: '192.0.2.7', count: 1, requestIds: [`r-${i}`], at: T + i }, 100);
  // The consumer is the source, whichever address it came from.
  waiting.add({ type: 'auth_failure', consumer: 'con_1', clientIp: '192.0.2.8', count: 1, requestIds: [], at: T }, 100);
  waiting.add({ type: 'auth_failure', consumer: 'con_1', clientIp: '192.0.2.9', count: 1, requestIds: ['c-1'], at: T + 5 }, 100);
  assert.deepEqual(waiting.take(10), [
    { type: 'auth_failure', clientIp: '192.0.2.7', count: 40, requestIds: ['r-35', 'r-36', 'r-37', 'r-38', 'r-39'], at: T + 39 },
    { type: 'auth_failure', consumer: 'con_1', clientIp: '192.0.2.8', count: 2, requestIds: ['c-1'], at: T + 5 },
  ]);
});

test('watched events are each kept, in order; a new entry past the bound is refused, a merge never is', () => {
  const waiting = new AlertSignalCoalescer();
  const event = (i: number): AlertSignal => ({ type: 'event', event: 'log.lines_dropped', fields: {}, at: T + i });
  assert.equal(waiting.add(event(1), 2), true);
  assert.equal(waiting.add({ type: 'sample', route: 'r', kind: 'invalid', requestIds: ['a'] }, 2), true);
  assert.equal(waiting.add(event(2), 2), false, 'full');
  assert.equal(waiting.add({ type: 'sample', route: 'r', kind: 'invalid', requestIds: ['b'] }, 2), true, 'merged');
  assert.deepEqual(waiting.take(1), [event(1)]);
  assert.equal(waiting.add(event(3), 2), true);
  assert.deepEqual(waiting.take(5), [{ type: 'sample', route: 'r', kind: 'invalid', requestIds: ['a', 'b'] }, event(3)]);
});
