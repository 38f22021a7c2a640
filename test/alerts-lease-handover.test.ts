/**
 * key_age's aged keys are the store's, the same on every node, so only the node holding the
 * delivery lease reports them (issue 21 §4). When the lease moves, the node that lost it forgets
 * them without resolving them (nothing was rotated), and the new holder reports them under its own
 * `node`: the receiver sees a firing from each holder in turn and never a false "resolved". Two
 * engines share one queue and one lease, as two nodes share the store.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Value } from '@sinclair/typebox/value';
import { AlertEngine, type DeliveryLease } from '../src/alerts/alert-engine.js';
import type { AlertNotification, AlertSink } from '../src/alerts/notification.js';
import { MemoryQueue } from '../src/alerts/queue.js';
import { AlertsSchema, type AlertsConfig } from '../src/config/alerts-schema.js';
import { ManualClock } from '../src/core/clock.js';
import { createLogger } from '../src/observability/logger.js';
import { LogEventTap } from '../src/observability/log-tap.js';
import { GatewayMetrics } from '../src/observability/metrics.js';

test('key_age after a lease handover: the old holder forgets it without a "resolved", the new one reports it under its node', async () => {
  const clock = new ManualClock(Date.UTC(2026, 5, 1, 12));
  const queue = new MemoryQueue();
  const lease = { holder: 'gw-a' };
  const received: AlertNotification[] = [];
  const sink: AlertSink = { name: 'ops', type: 'webhook', send: async (notification) => void received.push(notification) };
  const config = Value.Default(AlertsSchema, { groupWaitSeconds: 0, sinks: {} }) as AlertsConfig;
  const node = async (name: string) => {
    const tap = new LogEventTap();
    const metrics = new GatewayMetrics({ processMetrics: false, logEvents: tap });
    const held: DeliveryLease = { hold: async () => lease.holder === name, release: async () => {} };
    return AlertEngine.open(config, {
      clock,
      logger: () => createLogger({ level: 'silent', redactHeaders: [] }, { write: () => true }),
      registry: metrics.registry,
      events: tap,
      queue,
      lease: held,
      node: name,
      createSinks: async () => new Map([['ops', sink]]),
      gateway: {
        routes: () => [],
        upstreams: () => [],
        agedKeys: () => [{ consumerId: 'con_acme', consumerName: 'acme', maxAgeDays: 30, count: 1, oldest: [{ id: 'key_old', ageDays: 40 }] }],
      },
    });
  };
  const a = await node('gw-a');
  const b = await node('gw-b');
  const round = async () => {
    clock.advance(15_000);
    await a.evaluate();
    await b.evaluate();
    await a.deliver();
    await b.deliver();
  };
  const keyAge = () => received.filter((notification) => notification.groupLabels.rule === 'key_age' || notification.alerts.some((alert) => alert.rule === 'key_age'));
  const seen = () => keyAge().map((notification) => [notification.status, notification.node, notification.alerts.map((alert) => alert.labels.node).join()]);

  for (let i = 0; i < 3; i++) await round();
  assert.deepEqual(seen(), [['firing', 'gw-a', 'gw-a']], 'one notification, from the holder');

  lease.holder = 'gw-b';
  // Past group_interval (300 s), when a "resolved" of the old holder's group would be sent.
  for (let i = 0; i < 30; i++) await round();
  assert.deepEqual(seen(), [['firing', 'gw-a', 'gw-a'], ['firing', 'gw-b', 'gw-b']], 'the new holder reports it; the old one sends no "resolved"');
  assert.deepEqual(a.alerts().filter((view) => view.alert.rule === 'key_age'), [], 'the old holder holds nothing of it');
  assert.deepEqual(b.alerts().map((view) => [view.alert.rule, view.alert.labels.consumer]), [['key_age', 'con_acme']]);
  await a.close();
  await b.close();
});
