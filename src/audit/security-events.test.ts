/**
 * The bounds of what the data plane and denied admin attempts add to the audit trail: a
 * brute-force block becomes one queued event, identical events of a batch become one entry with a
 * count, a full queue drops (counted and logged, never silently), and denied attempts from any
 * number of addresses stay within maxSourcesPerInterval (+ one per reason) per interval. The
 * store side is tested end to end in test/audit-sinks.test.ts.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ManualClock } from '../core/clock.js';
import { createLogger } from '../observability/logger.js';
import { FailureThrottle } from '../security/failure-throttle.js';
import { LogCapture } from '../../test/helpers/index.js';
import { DeniedAttempts, OVERFLOW_SOURCE, type DeniedAggregate } from './denied-attempts.js';
import { reportingBlocks, SecurityEventQueue, type SecurityEventBatchEntry } from './security-events.js';

test('a client blocked for failed authentications is one queued event, and repeats of a batch are merged with a count', async () => {
  const clock = new ManualClock();
  const logs = new LogCapture();
  const queue = new SecurityEventQueue({ flushIntervalMs: 1000, maxQueued: 100, clock, logger: () => createLogger({ level: 'info', redactHeaders: [] }, logs), dropped: () => {} });
  const written: SecurityEventBatchEntry[][] = [];
  queue.attach(async (entries) => void written.push([...entries]));
  const tracker = reportingBlocks(new FailureThrottle({ enabled: true, maxFailures: 3, windowSeconds: 60, blockSeconds: 300 }), queue, 'data');
  for (let i = 0; i < 3; i++) tracker.recordFailure('203.0.113.9', clock.now());
  assert.equal(queue.queued, 1, 'the third failure started a block');
  assert.ok(tracker.blockedForSeconds('203.0.113.9', clock.now()) > 0, 'the tracker still blocks');
  queue.report({ kind: 'api_key.used_after_revocation', clientIp: '198.51.100.1', subject: 'k1' });
  queue.report({ kind: 'api_key.used_after_revocation', clientIp: '198.51.100.1', subject: 'k1' });
  await queue.flush();
  assert.deepEqual(
    written[0]!.map((entry) => [entry.event.kind, entry.event.clientIp, entry.event.subject, entry.count]),
    [
      ['brute_force.blocked', '203.0.113.9', 'data', 1],
      ['api_key.used_after_revocation', '198.51.100.1', 'k1', 2],
    ],
  );
});

test('past maxQueued events are dropped, counted and logged, never queued without bound', async () => {
  const clock = new ManualClock();
  const logs = new LogCapture();
  let dropped = 0;
  const queue = new SecurityEventQueue({ flushIntervalMs: 1000, maxQueued: 10, clock, logger: () => createLogger({ level: 'info', redactHeaders: [] }, logs), dropped: (events) => (dropped += events) });
  let written = 0;
  queue.attach(async (entries) => void (written += entries.reduce((sum, entry) => sum + entry.count, 0)));
  for (let i = 0; i < 25; i++) queue.report({ kind: 'brute_force.blocked', clientIp: `192.0.2.${i}` });
  assert.equal(queue.queued, 10);
  await queue.flush();
  assert.equal(written, 10);
  assert.equal(dropped, 15);
  const line = logs.records.find((record) => record.event === 'audit.security_events_dropped');
  assert.deepEqual([line?.dropped, line?.reason], [15, 'queue_full']);
});

test('denied attempts from 5000 addresses in one interval write at most maxSourcesPerInterval + 1 records, and every denial is counted', async () => {
  const clock = new ManualClock(Date.UTC(2026, 10, 30, 12, 0, 0));
  let overflow = 0;
  const written: DeniedAggregate[] = [];
  const denied = new DeniedAttempts({ intervalSeconds: 60, maxSourcesPerInterval: 100, clock, logger: () => createLogger({ level: 'silent', redactHeaders: [] }, new LogCapture()), write: async (aggregates) => void written.push(...aggregates), overflow: () => overflow++ });
  for (let i = 0; i < 5000; i++) denied.note({ sourceIp: `10.0.${i >> 8}.${i & 255}`, reason: 'admin.unauthorized' });
  for (let i = 0; i < 50; i++) denied.note({ sourceIp: '10.0.0.1', reason: 'admin.unauthorized' });
  await denied.flush();
  assert.equal(written.length, 101);
  assert.equal(written.reduce((sum, aggregate) => sum + aggregate.count, 0), 5050);
  assert.equal(written.find((aggregate) => aggregate.sourceIp === OVERFLOW_SOURCE)?.count, 4900);
  assert.equal(written.find((aggregate) => aggregate.sourceIp === '10.0.0.1')?.count, 51);
  assert.equal(overflow, 4900);
});

test('a denial in a new interval writes the previous interval\'s counts as their own records', async () => {
  const clock = new ManualClock(Date.UTC(2026, 10, 30, 12, 0, 0));
  const written: DeniedAggregate[] = [];
  const denied = new DeniedAttempts({ intervalSeconds: 60, maxSourcesPerInterval: 100, clock, logger: () => createLogger({ level: 'silent', redactHeaders: [] }, new LogCapture()), write: async (aggregates) => void written.push(...aggregates), overflow: () => {} });
  denied.note({ sourceIp: '10.0.0.1', reason: 'admin.forbidden', principal: { kind: 'admin-token', id: 'tok_1' } });
  denied.note({ sourceIp: '10.0.0.1', reason: 'admin.forbidden', principal: { kind: 'admin-token', id: 'tok_1' } });
  clock.advance(60_000);
  denied.note({ sourceIp: '10.0.0.1', reason: 'admin.forbidden', principal: { kind: 'admin-token', id: 'tok_1' } });
  await denied.flush();
  assert.deepEqual(
    written.map((aggregate) => [aggregate.count, new Date(aggregate.intervalStart).toISOString(), aggregate.principal?.id]),
    [
      [2, '2026-11-30T12:00:00.000Z', 'tok_1'],
      [1, '2026-11-30T12:01:00.000Z', 'tok_1'],
    ],
  );
});
