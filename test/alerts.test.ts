/**
 * The alert engine through a whole gateway, on real sockets with an injected clock (issue 21 §7):
 * route_error_ratio fires on real 5xx answers of a real upstream and resolves after its windows;
 * upstream_down fires when the upstream is stopped, inhibits the route's error-ratio alert, and
 * resolves when it is back; each notification reaches a local webhook receiver signed per Standard
 * Webhooks with both secrets of a rotation; a sink that is down is retried with backoff, and after
 * 15 minutes the alert_sink_failing meta-alert goes to the other sink; once back, the down sink
 * gets what waited, once.
 */
import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import { ManualClock } from '../src/core/clock.js';
import { httpRequest, startGateway, startUpstream } from './helpers/index.js';
import { ALERT_SECRET, OLD_ALERT_SECRET, startAlertReceiver, type AlertReceiver } from './helpers/alert-receiver.js';

const env = { ALERT_SECRET, OLD_ALERT_SECRET };
const cleanups: Array<() => Promise<void>> = [];
after(async () => {
  for (const cleanup of cleanups.reverse()) await cleanup();
});

function alertsConfig(sinks: Record<string, AlertReceiver>, extra: Record<string, unknown> = {}) {
  return {
    groupWaitSeconds: 0,
    groupIntervalSeconds: 60,
    sinks: Object.fromEntries(Object.entries(sinks).map(([name, receiver]) => [name, { type: 'webhook', url: receiver.url, secret: '${env:ALERT_SECRET}', previousSecret: '${env:OLD_ALERT_SECRET}' }])),
    ...extra,
  };
}

async function requests(url: string, count: number): Promise<number[]> {
  const statuses: number[] = [];
  for (let i = 0; i < count; i++) statuses.push((await httpRequest(`${url}/orders/${i}`)).status);
  return statuses;
}

test('route_error_ratio fires on real 5xx answers, is signed with both secrets, and resolves after its windows', async () => {
  const clock = new ManualClock(Date.UTC(2026, 5, 1, 12));
  const upstream = await startUpstream((_req, res) => {
    res.writeHead(failing ? 500 : 200, { 'content-type': 'application/json' }).end('{}');
  });
  let failing = true;
  const receiver = await startAlertReceiver();
  const oldReceiver = await startAlertReceiver(OLD_ALERT_SECRET);
  const { gateway, url, close } = await startGateway(
    {
      listeners: [{ name: 'public', host: '127.0.0.1', port: 0 }],
      admin: { host: '127.0.0.1', port: 0 },
      upstreams: { core: { targets: [upstream.url] } },
      routes: [{ name: 'orders', methods: ['GET'], path: '/orders/*', upstream: 'core' }],
      alerts: alertsConfig({ ops: receiver, legacy: oldReceiver }),
    },
    { env, clock },
  );
  cleanups.push(close, upstream.close, receiver.close, oldReceiver.close);
  await gateway.alerts.evaluate();
  assert.deepEqual(new Set(await requests(url, 30)), new Set([500]));
  // The notification names the newest failed requests (their X-Request-Id), for the access log.
  const failedIds: string[] = [];
  for (let i = 0; i < 2; i++) failedIds.push(String((await httpRequest(`${url}/orders/1`)).headers['x-request-id']));
  clock.advance(15_000);
  await gateway.alerts.evaluate();
  const pending = gateway.alerts.alerts().filter((view) => view.alert.rule === 'route_error_ratio');
  assert.deepEqual(pending.map((view) => [view.state, view.alert.labels.route, view.alert.labels.upstream]), [['pending', 'orders', 'core']]);
  assert.equal(await gateway.alerts.deliver(), 0, 'nothing is sent before the rule\'s for duration (60 s)');
  clock.advance(60_000);
  await gateway.alerts.evaluate();
  const sent = await gateway.alerts.deliver();
  assert.equal(sent, 2);
  for (const sink of [receiver, oldReceiver]) {
    const [notification] = sink.about('route_error_ratio');
    assert.ok(notification, 'each receiver verified the message with its own secret');
    assert.equal(notification.data.status, 'firing');
    assert.equal(notification.signatures.length, 2, 'signed with the current and the retiring secret');
    assert.equal(notification.headers['webhook-id'], notification.data.id);
    const [alert] = notification.data.alerts;
    assert.equal(alert!.labels.route, 'orders');
    assert.equal(alert!.labels.severity, 'critical');
    assert.match(alert!.annotations.summary!, /^5xx ratio 100\.0 % on route orders \(threshold 10\.0 %, fast burn\)$/);
    assert.match(alert!.annotations.runbook_url!, /docs\/alerts\.md#route_error_ratio$/);
    assert.equal(alert!.sampleRequestIds.length, 5, 'the newest five 5xx requests');
    assert.deepEqual(alert!.sampleRequestIds.slice(-2), failedIds);
  }
  // Healthy again: the fast window empties after 5 minutes, the slow one (1 h) after an hour.
  failing = false;
  assert.deepEqual(new Set(await requests(url, 30)), new Set([200]));
  for (let step = 0; step < 12; step++) {
    clock.advance(300_000);
    await gateway.alerts.evaluate();
    await gateway.alerts.deliver();
  }
  const resolved = receiver.about('route_error_ratio').filter((n) => n.data.status === 'resolved');
  assert.equal(resolved.length, 1, 'one resolve message');
  assert.ok(resolved[0]!.data.alerts[0]!.endsAt);
  assert.equal(receiver.about('route_error_ratio').length, 2, 'nothing else: the repeat interval (4 h) did not pass while it fired');
});

test('upstream_down fires when the upstream stops, inhibits route_error_ratio of its routes, and resolves when it is back', async () => {
  const clock = new ManualClock(Date.UTC(2026, 5, 2, 12));
  const upstream = await startUpstream();
  const receiver = await startAlertReceiver();
  const { gateway, url, close, logs } = await startGateway(
    {
      listeners: [{ name: 'public', host: '127.0.0.1', port: 0 }],
      admin: { host: '127.0.0.1', port: 0 },
      upstreams: { core: { targets: [upstream.url], retries: { attempts: 0 } } },
      routes: [{ name: 'orders', methods: ['GET'], path: '/orders/*', upstream: 'core' }],
      alerts: alertsConfig({ ops: receiver }),
    },
    { env, clock },
  );
  cleanups.push(close, receiver.close);
  await gateway.alerts.evaluate();
  await upstream.close();
  assert.deepEqual(new Set(await requests(url, 25)), new Set([502]));
  clock.advance(15_000);
  await gateway.alerts.evaluate();
  // upstream_down fires after 30 s; route_error_ratio after 60 s, when upstream_down already inhibits it.
  for (const step of [30_000, 35_000]) {
    clock.advance(step);
    await gateway.alerts.evaluate();
    await gateway.alerts.deliver();
  }
  const views = gateway.alerts.alerts();
  assert.deepEqual(views.map((view) => [view.alert.rule, view.state, view.inhibited]).sort(), [
    ['route_error_ratio', 'firing', true],
    ['upstream_down', 'firing', false],
  ]);
  assert.equal(receiver.about('route_error_ratio').length, 0, 'inhibited: not sent');
  const [down] = receiver.about('upstream_down');
  assert.equal(down!.data.alerts[0]!.labels.upstream, 'core');
  assert.ok(logs.records.some((r) => r.event === 'alerts.firing' && r.rule === 'upstream_down'));
  // The upstream is back on its port: a request succeeds, the target's failures reset.
  await new Promise<void>((resolve) => upstream.server.listen(upstream.port, '127.0.0.1', resolve));
  cleanups.push(upstream.close);
  assert.equal((await httpRequest(`${url}/orders/x`)).status, 200);
  // The group's last message went out at +45 s: the next may go at +105 s (groupIntervalSeconds 60).
  clock.advance(30_000);
  await gateway.alerts.evaluate();
  await gateway.alerts.deliver();
  assert.deepEqual(receiver.about('upstream_down').map((n) => n.data.status), ['firing', 'resolved']);
});

test('a sink that is down is retried with backoff; after 15 minutes the other sink gets alert_sink_failing; once back it gets what waited, once', async () => {
  const clock = new ManualClock(Date.UTC(2026, 5, 3, 12));
  const upstream = await startUpstream((_req, res) => {
    res.writeHead(503).end();
  });
  const pager = await startAlertReceiver();
  const chat = await startAlertReceiver();
  pager.up = false;
  pager.retryAfter = '20';
  const { gateway, url, close, logs } = await startGateway(
    {
      listeners: [{ name: 'public', host: '127.0.0.1', port: 0 }],
      admin: { host: '127.0.0.1', port: 0 },
      upstreams: { core: { targets: [upstream.url] } },
      routes: [{ name: 'orders', methods: ['GET'], path: '/orders/*', upstream: 'core' }],
      alerts: alertsConfig({ pager, chat }, { rules: { route_error_ratio: { forSeconds: 0 } }, delivery: { retryMinSeconds: 5, retryMaxSeconds: 120 } }),
    },
    { env, clock },
  );
  cleanups.push(close, upstream.close, pager.close, chat.close);
  await gateway.alerts.evaluate();
  await requests(url, 25);
  clock.advance(15_000);
  await gateway.alerts.evaluate();
  assert.equal(await gateway.alerts.deliver(), 1, 'chat took it; pager refused');
  assert.equal(pager.refused, 1);
  const failed = logs.records.filter((r) => r.event === 'alerts.notification_failed');
  assert.equal(failed.length, 1);
  assert.equal(failed[0]!.retryInMs, 20_000, 'Retry-After (20 s) is longer than the first backoff (5 s)');
  clock.advance(10_000);
  await gateway.alerts.deliver();
  assert.equal(pager.refused, 1, 'not tried before its Retry-After');
  pager.retryAfter = undefined;
  for (let elapsed = 0; elapsed < 16 * 60_000; elapsed += 30_000) {
    clock.advance(30_000);
    await gateway.alerts.evaluate();
    await gateway.alerts.deliver();
  }
  assert.ok(pager.refused >= 5 && pager.refused <= 12, `retried with growing waits (${pager.refused} attempts in 16 min)`);
  const meta = chat.about('alert_sink_failing');
  assert.equal(meta.length, 1, 'the meta-alert went to the other sink');
  assert.equal(meta[0]!.data.alerts[0]!.labels.sink, 'pager');
  const metrics = await gateway.services.metrics.registry.getSingleMetricAsString('portcullis_alert_notifications_total');
  assert.match(metrics, /portcullis_alert_notifications_total\{sink="pager",outcome="failed"\} \d+/);
  assert.match(metrics, /portcullis_alert_notifications_total\{sink="chat",outcome="delivered"\} 2/);
  pager.up = true;
  clock.advance(120_000);
  await gateway.alerts.deliver();
  assert.deepEqual(pager.about('route_error_ratio').map((n) => n.data.status), ['firing'], 'what waited was delivered once');
  assert.equal(pager.about('alert_sink_failing').length, 0, 'never sent to the failing sink itself');
  assert.ok(logs.records.some((r) => r.event === 'alerts.sink_recovered' && r.sink === 'pager'));
  clock.advance(15_000);
  await gateway.alerts.evaluate();
  await gateway.alerts.deliver();
  assert.deepEqual(chat.about('alert_sink_failing').map((n) => n.data.status), ['firing', 'resolved']);
});
