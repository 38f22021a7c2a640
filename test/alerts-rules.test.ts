/**
 * Every built-in rule fires and resolves (issue 21 §7), table-driven, with an injected clock: one
 * engine per rule over the gateway's real metric registry (GatewayMetrics, AuditMetrics), its log
 * event tap and a view of routes and upstream targets. Each scenario holds its condition at every
 * step until the rule fires (after its `for`), then heals, and the clock moves until it resolves
 * (its windows pass). No other rule fires on the way. The signed delivery of what fires is tested
 * against real receivers elsewhere (alerts.test.ts, alerts-two-nodes.test.ts, demo-alerts.test.ts).
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Value } from '@sinclair/typebox/value';
import { AlertEngine } from '../src/alerts/alert-engine.js';
import { BACKGROUND_FAILURES } from '../src/alerts/event-map.js';
import { AlertDeliveryError, type AlertSink } from '../src/alerts/notification.js';
import { MemoryQueue } from '../src/alerts/queue.js';
import type { AlertSignal } from '../src/alerts/signals.js';
import { AuditMetrics } from '../src/audit/sink-metrics.js';
import { AlertsSchema, type AlertsConfig } from '../src/config/alerts-schema.js';
import { ALERT_RULE_NAMES, ALERT_RULES, type AlertRuleName } from '../src/core/alert-rules.js';
import { ManualClock } from '../src/core/clock.js';
import { createLogger } from '../src/observability/logger.js';
import { LogEventTap } from '../src/observability/log-tap.js';
import { GatewayMetrics } from '../src/observability/metrics.js';

interface World {
  readonly clock: ManualClock;
  readonly metrics: GatewayMetrics;
  readonly audit: AuditMetrics;
  readonly tap: LogEventTap;
  readonly engine: AlertEngine;
  /** The one target of upstream `core`: its consecutive failures. */
  target: { origin: string; consecutiveFailures: number };
  /** While true, the `ops` sink refuses every delivery (retryable). */
  sinkDown: boolean;
}

interface Scenario {
  /** Called at every step until the rule fires. */
  hold(world: World): void;
  /** Called at every step after it fired, until it resolves. */
  heal?(world: World): void;
  /** The labels the alert must carry. */
  labels: Record<string, string>;
  /** Seconds per step (default 15). */
  step?: number;
  /** Rules that may fire along (the scenario needs them). */
  along?: AlertRuleName[];
}

const emit = (world: World, event: string, fields: Record<string, string> = {}, times = 1) => {
  for (let i = 0; i < times; i++) world.tap.emit({ event, ...fields });
};
const CERT = { kind: 'listener', name: 'public', subject: 'CN=gw.example.com', serial: '01' };

const SCENARIOS: Record<AlertRuleName, Scenario> = {
  route_error_ratio: {
    hold: ({ metrics }) => metrics.requests.inc({ route: 'payments', status: '5xx' }, 10),
    // Enough good answers for the slow window's ratio to fall under 5 % too.
    heal: ({ metrics }) => metrics.requests.inc({ route: 'payments', status: '2xx' }, 5000),
    labels: { route: 'payments', upstream: 'core' },
  },
  upstream_down: {
    hold: (world) => void (world.target.consecutiveFailures = 3),
    heal: (world) => void (world.target.consecutiveFailures = 0),
    labels: { upstream: 'core' },
  },
  latency_p99: {
    hold: ({ metrics }) => {
      for (let i = 0; i < 30; i++) metrics.requestDuration.series({ route: 'payments', method: 'GET', status: '2xx' }).observe(3);
    },
    labels: { route: 'payments', upstream: 'core' },
  },
  auth_failure_spike: {
    hold: ({ engine, clock }) => {
      for (let i = 0; i < 25; i++) engine.authFailures.record('con_1', '192.0.2.7', `req-${i}`, clock.now());
    },
    labels: { consumer: 'con_1' },
  },
  admin_login_failures: { hold: (world) => emit(world, 'admin.login_failed', {}, 10), labels: {} },
  brute_force_blocks: { hold: (world) => emit(world, 'auth.client_blocked'), labels: { scope: 'data' } },
  // As the ratelimit policy reports it through the gateway's metrics (core/services.ts `usage`).
  rate_limit_saturation: { hold: ({ metrics }) => metrics.limitUsage('payments', 'per-second', 'con_1', 0.95), labels: { consumer: 'con_1', route: 'payments', limit: 'per-second' } },
  certificate_expiry: {
    hold: ({ metrics }) => metrics.certificateExpiry.set(CERT, 5 * 86400),
    heal: ({ metrics }) => metrics.certificateExpiry.set(CERT, 90 * 86400),
    labels: { kind: 'listener', name: 'public', subject: 'CN=gw.example.com' },
  },
  credential_expiry: {
    hold: (world) => emit(world, 'credentials.expiring', { credential: 'payroll' }),
    heal: (world) => emit(world, 'credentials.token_obtained', { credential: 'payroll' }),
    labels: { credential: 'payroll', reason: 'expiring' },
  },
  key_age: { hold: (world) => emit(world, 'credentials.refresh_failed', { credential: 'payroll' }), labels: { credential: 'payroll' }, step: 60 },
  provider_security_regression: {
    hold: (world) => emit(world, 'assess.provider_security_regression', { upstream: 'partner', reason: 'grade_dropped', severity: 'critical', from: 'A', to: 'F' }),
    heal: (world) => emit(world, 'assess.provider_security_recovered', { upstream: 'partner', reason: 'grade_dropped' }),
    labels: { upstream: 'partner', reason: 'grade_dropped' },
    step: 3600,
  },
  store_unavailable: {
    hold: ({ metrics }) => metrics.dependencyUp.set({ dependency: 'store' }, 0),
    heal: ({ metrics }) => metrics.dependencyUp.set({ dependency: 'store' }, 1),
    labels: {},
  },
  redis_unavailable: {
    hold: ({ metrics }) => metrics.dependencyUp.set({ dependency: 'redis' }, 0),
    heal: ({ metrics }) => metrics.dependencyUp.set({ dependency: 'redis' }, 1),
    labels: {},
  },
  jwks_stale: {
    hold: ({ metrics }) => metrics.dependencyUp.set({ dependency: 'issuer:https://idp.example.com' }, 0),
    heal: ({ metrics }) => metrics.dependencyUp.set({ dependency: 'issuer:https://idp.example.com' }, 1),
    labels: { issuer: 'https://idp.example.com' },
  },
  crl_stale: {
    hold: (world) => emit(world, 'crl.refresh_failed', { listener: 'partners', source: 'http' }),
    heal: (world) => emit(world, 'crl.loaded', { listener: 'partners' }),
    labels: { listener: 'partners' },
  },
  config_reload_rejected: { hold: (world) => emit(world, 'config.reload_rejected'), heal: (world) => emit(world, 'config.reloaded'), labels: {} },
  audit_sink_failing: { hold: ({ audit }) => audit.up('siem', false), heal: ({ audit }) => audit.up('siem', true), labels: { sink: 'siem' } },
  egress_denied: {
    hold: ({ metrics }) => metrics.egressDenials.inc({ upstream: 'core', purpose: 'upstream', reason: 'private_address', mode: 'enforce' }),
    labels: { upstream: 'core', reason: 'private_address' },
  },
  validation_failure_spike: { hold: ({ metrics }) => metrics.validationFailures.inc({ route: 'payments' }, 50), labels: { route: 'payments' } },
  background_task_failed: { hold: (world) => emit(world, BACKGROUND_FAILURES[0]!), labels: { event: BACKGROUND_FAILURES[0]! }, step: 60 },
  alert_sink_failing: {
    // Something to deliver (store_unavailable) to a sink that refuses it, for 15 minutes.
    hold: (world) => {
      world.metrics.dependencyUp.set({ dependency: 'store' }, 0);
      world.sinkDown = true;
    },
    heal: (world) => void (world.sinkDown = false),
    labels: { sink: 'ops' },
    step: 60,
    along: ['store_unavailable'],
  },
};

async function world(clock: ManualClock): Promise<World> {
  const tap = new LogEventTap();
  const metrics = new GatewayMetrics({ processMetrics: false, logEvents: tap });
  const audit = new AuditMetrics(metrics.registry);
  const state = { target: { origin: 'http://10.0.1.5:8080', consecutiveFailures: 0 }, sinkDown: false };
  const sink: AlertSink = {
    name: 'ops',
    type: 'webhook',
    async send() {
      if (state.sinkDown) throw new AlertDeliveryError('the receiver answered 503', true);
    },
  };
  const config = Value.Default(AlertsSchema, { groupWaitSeconds: 0, sinks: {} }) as AlertsConfig;
  const engine = await AlertEngine.open(config, {
    clock,
    logger: () => createLogger({ level: 'silent', redactHeaders: [] }, { write: () => true }),
    registry: metrics.registry,
    events: tap,
    queue: new MemoryQueue(),
    node: 'gw-1',
    createSinks: async () => new Map([['ops', sink]]),
    gateway: {
      routes: () => [{ name: 'payments', upstream: 'core' }],
      upstreams: () => [{ name: 'core', failuresBeforeCooldown: 3, targets: [state.target] }],
    },
  });
  // As server/alerting.ts wires them.
  metrics.reportLimitUsageTo((route, limit, consumer, used) => engine.limitUsage.record(route, limit, consumer, used, clock.now()));
  return Object.assign(state, { clock, metrics, audit, tap, engine }) as World;
}

for (const rule of ALERT_RULE_NAMES) {
  test(`${rule} fires after its for (${ALERT_RULES[rule].forSeconds} s) and resolves`, async () => {
    const scenario = SCENARIOS[rule];
    const step = (scenario.step ?? 15) * 1000;
    const clock = new ManualClock(Date.UTC(2026, 5, 1, 12));
    const w = await world(clock);
    const alertOf = () => w.engine.alerts().find((view) => view.alert.rule === rule);
    const round = async () => {
      clock.advance(step);
      await w.engine.evaluate();
      await w.engine.deliver();
      const others = w.engine.alerts().filter((view) => view.alert.rule !== rule && !(scenario.along ?? []).includes(view.alert.rule as AlertRuleName));
      assert.deepEqual(others.map((view) => view.alert.rule), [], 'no other rule fires');
    };
    await w.engine.evaluate(); // the metrics' baseline
    const start = clock.now();
    // At most its `for`, the sink meta-alert's 15 minutes and a few steps.
    const fireBy = start + (ALERT_RULES[rule].forSeconds + (rule === 'alert_sink_failing' ? 900 : 0)) * 1000 + 4 * step;
    while (alertOf()?.state !== 'firing' && clock.now() < fireBy) {
      scenario.hold(w);
      await round();
    }
    const fired = alertOf();
    assert.equal(fired?.state, 'firing', `${rule} fired`);
    assert.ok(clock.now() - start >= ALERT_RULES[rule].forSeconds * 1000, 'not before its for');
    for (const [label, value] of Object.entries(scenario.labels)) assert.equal(fired.alert.labels[label], value, `${rule}: label ${label}`);
    assert.equal(fired.alert.labels.node, 'gw-1');
    assert.ok(fired.alert.runbookUrl?.endsWith(`#${rule}`));

    // Its longest window (or the 5-minute retry backoff of a sink) and a few steps.
    const windows = Object.entries(ALERT_RULES[rule].thresholds).filter(([name]) => /Seconds$/.test(name)).map(([, seconds]) => seconds);
    const resolveBy = clock.now() + Math.max(300, ...windows) * 1000 + 4 * step;
    while (alertOf() !== undefined && clock.now() < resolveBy) {
      scenario.heal?.(w);
      await round();
    }
    assert.equal(alertOf(), undefined, `${rule} resolved`);
    w.engine.stop();
  });
}

/** An engine over an empty registry: `forward` set makes it a worker's that does not evaluate (--workers N). */
async function bareEngine(clock: ManualClock, config: Record<string, unknown> = {}, forward?: (signal: AlertSignal) => void): Promise<AlertEngine> {
  const metrics = new GatewayMetrics({ processMetrics: false, logEvents: new LogEventTap() });
  return AlertEngine.open(Value.Default(AlertsSchema, { groupWaitSeconds: 0, sinks: {}, ...config }) as AlertsConfig, {
    clock,
    logger: () => createLogger({ level: 'silent', redactHeaders: [] }, { write: () => true }),
    registry: metrics.registry,
    events: metrics.logEvents,
    forward,
    queue: new MemoryQueue(),
    createSinks: async () => new Map(),
    gateway: { routes: () => [], upstreams: () => [] },
  });
}

test('a forwarded signal counts in the minute it happened (at), never later than the lead\'s now', async () => {
  const clock = new ManualClock(Date.UTC(2026, 5, 1, 12, 0, 30));
  const engine = await bareEngine(clock);
  const now = clock.now();
  engine.accept({ type: 'auth_failure', clientIp: '192.0.2.7', count: 3, requestIds: ['a', 'b'], at: now - 120_000 });
  engine.accept({ type: 'auth_failure', consumer: 'con_1', clientIp: '192.0.2.8', count: 2, requestIds: [], at: now + 600_000 });
  engine.accept({ type: 'limit_usage', route: 'r', limit: 'l', consumer: 'con_1', used: 0.8, at: now - 120_000 });
  const sources = engine.authFailures.sources(now);
  const byIp = sources.get('ip:192.0.2.7')!;
  assert.equal(byIp.countSince(now - 60_000), 0, 'not in this minute');
  assert.equal(byIp.countSince(now - 180_000), 3, 'in the minute it happened, with its count');
  assert.deepEqual(byIp.samples(), ['a', 'b']);
  assert.equal(sources.get('c:con_1')!.countSince(now - 30_000), 2, 'from the future: counted now');
  const [usage] = [...engine.limitUsage.sources(now)];
  assert.equal(usage!.peakSince(now - 60_000), 0);
  assert.equal(usage!.peakSince(now - 180_000), 0.8);
  await engine.close();
});

test('a worker with alerts off (alerts.enabled false) forwards nothing to the lead', async () => {
  const clock = new ManualClock(Date.UTC(2026, 5, 1, 12));
  const forwarded: AlertSignal[] = [];
  const off = await bareEngine(clock, { enabled: false }, (signal) => forwarded.push(signal));
  off.recordRequest({ route: 'r', status: 502, durationSeconds: 0.1, requestId: 'req-1' });
  off.recordAuthFailure(undefined, '192.0.2.7', 'req-2');
  off.recordLimitUsage('r', 'l', 'con_1', 0.9);
  assert.equal(forwarded.length, 0);
  await off.close();
  const on = await bareEngine(clock, {}, (signal) => forwarded.push(signal));
  on.recordRequest({ route: 'r', status: 502, durationSeconds: 0.1, requestId: 'req-1' });
  on.recordAuthFailure(undefined, '192.0.2.7', 'req-2');
  assert.deepEqual(forwarded, [
    { type: 'sample', route: 'r', kind: 'server_error', requestIds: ['req-1'] },
    { type: 'auth_failure', consumer: undefined, clientIp: '192.0.2.7', count: 1, requestIds: ['req-2'], at: clock.now() },
  ]);
  await on.close();
});
