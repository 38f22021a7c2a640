/**
 * The alert engine (docs/alerts.md): on a timer, reads the gateway's metrics, the log events it
 * taps and the live upstream state; evaluates every enabled built-in rule per label set; keeps each
 * alert's pending/firing/resolved state; hides silenced and inhibited alerts; routes and groups the
 * rest into notifications; queues them (in the store when there is one); and, on the node holding
 * the delivery lease, delivers them with retries. Time comes from the injected clock, so tests move
 * it instead of sleeping; `evaluate()` and `deliver()` are the timer's two steps, callable directly.
 */
import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import type { Registry } from 'prom-client';
import { ALERT_RULES, ALERT_RULE_NAMES, type AlertRuleName } from '../core/alert-rules.js';
import type { Clock } from '../core/clock.js';
import type { AlertsConfig } from '../config/alerts-schema.js';
import type { Logger } from '../observability/logger.js';
import type { LogEventTap } from '../observability/log-tap.js';
import { AlertMetrics } from './alert-metrics.js';
import { AlertStates, alertKey, type EffectiveRule } from './alert-states.js';
import { AuthFailureCounts } from './auth-failures.js';
import { LimitUsage } from './limit-usage.js';
import { RequestSamples } from './request-samples.js';
import { Deliverer } from './deliverer.js';
import { effectiveRule } from './effective-rule.js';
import { EventWindow, watchedFields } from './event-window.js';
import { inhibited, matches } from './matchers.js';
import { MetricHistory, type MetricSource } from './metric-history.js';
import type { AlertInstance, AlertSink } from './notification.js';
import { Notifier } from './notifier.js';
import type { NotificationQueue } from './queue.js';
import { RULE_EVALUATORS, type GatewayView } from './rules/index.js';
import type { Silence, SilenceSource } from './silences.js';
import type { SampledRequest } from './request-samples.js';
import type { AlertSignal } from './signals.js';

/** The longest window any rule may read (windows past it see what is kept). */
const RETAIN_SECONDS = 2 * 3600;

/** Who may deliver now: the store's lease (delivery-lease.ts), or always (no store). */
export interface DeliveryLease {
  /** Takes or renews the lease; false when another node holds it. */
  hold(now: number): Promise<boolean>;
  release(): Promise<void>;
}

export interface AlertEngineDeps {
  readonly clock: Clock;
  readonly logger: () => Logger;
  /** The process's registry: the rules read it, and the engine's own metrics go there. */
  readonly registry: Registry;
  /**
   * The metrics of the other processes the rules read too: under `--workers N`, the lead's engine
   * reads every other worker's (server/cluster-worker.ts), so a 5xx storm on any worker counts.
   */
  readonly readMetrics?: MetricSource | undefined;
  readonly events: LogEventTap;
  /**
   * Set in a worker that does not evaluate (`--workers N`, not the lead): what the engine would
   * keep (signals.ts) goes there instead, to reach the lead's engine.
   */
  readonly forward?: ((signal: AlertSignal) => void) | undefined;
  /**
   * Routes and upstreams in force, and API keys past the age policy at a time (ms; none when
   * left out): the engine adds auth failures and sink health.
   */
  readonly gateway: Pick<GatewayView, 'routes' | 'upstreams'> & { agedKeys?(now: number): ReturnType<GatewayView['agedKeys']> };
  readonly queue: NotificationQueue;
  readonly lease?: DeliveryLease | undefined;
  readonly silences?: SilenceSource | undefined;
  /** Builds the sinks of a config (alerts/sink-factory.ts). */
  readonly createSinks: (sinks: AlertsConfig['sinks']) => Promise<Map<string, AlertSink>>;
  /** This node's identity (server/node-identity.ts): the `node` label, and named in notifications. */
  readonly node?: string | undefined;
}

/** An alert as `/v1/alerts` and `alerts list` show it. */
export interface AlertView {
  readonly alert: AlertInstance;
  readonly state: 'firing' | 'pending';
  readonly silencedBy: readonly string[];
  readonly inhibited: boolean;
}

/** Findings read from the store, the same on every node (key_age's aged keys, label consumer): only the node that delivers holds them. */
function storeWide(alert: AlertInstance): boolean {
  return alert.rule === 'key_age' && alert.labels.consumer !== undefined;
}

export class AlertEngine {
  readonly node: string;
  readonly metrics: AlertMetrics;
  readonly authFailures = new AuthFailureCounts(RETAIN_SECONDS);
  /** Consumers' use of their rate limits, reported by the ratelimit policy (rate_limit_saturation). */
  readonly limitUsage = new LimitUsage(RETAIN_SECONDS);
  /** Recent request ids per route for the request-driven rules' notifications. */
  readonly requestSamples = new RequestSamples(() => this.effectiveRule('latency_p99').thresholds.p99Seconds!);
  readonly #history: MetricHistory;
  readonly #events: EventWindow;
  readonly #states = new AlertStates();
  readonly #notifier: Notifier;
  readonly #deliverer: Deliverer;
  readonly #unsubscribe: () => void;
  #config: AlertsConfig;
  #sinks = new Map<string, AlertSink>();
  #sinksJson = '';
  #timers: NodeJS.Timeout[] = [];
  #evaluating: Promise<void> | undefined;
  #lastSilences: readonly Silence[] = [];
  /** Whether this node delivers (held the lease at the last try; always without a lease). */
  #delivers: boolean;

  private constructor(config: AlertsConfig, private readonly deps: AlertEngineDeps) {
    this.#config = config;
    this.node = deps.node ?? hostname();
    this.#delivers = deps.lease === undefined;
    this.metrics = new AlertMetrics(deps.registry);
    const metricNames = new Set(Object.values(RULE_EVALUATORS).flatMap((rule) => rule.metrics));
    this.#history = new MetricHistory(metricNames, RETAIN_SECONDS);
    this.#events = new EventWindow(deps.clock, RETAIN_SECONDS);
    this.#unsubscribe = deps.events.subscribe((event, fields) => {
      const kept = watchedFields(event, fields);
      if (kept) this.#signal({ type: 'event', event, fields: kept, at: deps.clock.now() });
    });
    this.#notifier = new Notifier(this.node);
    this.#deliverer = new Deliverer({ clock: deps.clock, logger: deps.logger, metrics: this.metrics, queue: deps.queue });
  }

  /**
   * Builds the engine and its sinks; throws (the start fails) when a sink cannot be built. Takes
   * the metrics' baseline reading: opened before the listeners accept traffic, the first
   * evaluation's window then holds every request since (else requests before the first reading
   * would be in no window, and a burst right after start would never fire).
   */
  static async open(config: AlertsConfig, deps: AlertEngineDeps): Promise<AlertEngine> {
    const engine = new AlertEngine(config, deps);
    try {
      await engine.reconfigure(config);
    } catch (error) {
      engine.#unsubscribe();
      throw error;
    }
    // Without a baseline (the cluster's primary did not answer) the first evaluation takes it.
    if (!deps.forward) await engine.#capture(deps.clock.now()).catch(() => {});
    return engine;
  }

  #capture(now: number): Promise<void> {
    return this.#history.capture(async (names) => {
      const [own, others] = await Promise.all([this.deps.registry.getMetricsAsJSON(), this.deps.readMetrics?.(names)]);
      return { sources: [{ source: 'local', metrics: own }, ...(others?.sources ?? [])], unanswered: others?.unanswered ?? [] };
    }, now);
  }

  /** A request refused with 401/403 (auth_failure_spike). */
  recordAuthFailure(consumer: string | undefined, clientIp: string, requestId: string | undefined): void {
    this.#signal({ type: 'auth_failure', consumer, clientIp, count: 1, requestIds: requestId === undefined ? [] : [requestId], at: this.deps.clock.now() });
  }

  /** A consumer's share of a rate limit, reported by the ratelimit policy (rate_limit_saturation). */
  recordLimitUsage(route: string, limit: string, consumer: string, used: number): void {
    this.#signal({ type: 'limit_usage', route, limit, consumer, used, at: this.deps.clock.now() });
  }

  /** A finished request: kept when it is a sample of its route (5xx, slow, invalid). */
  recordRequest(request: SampledRequest): void {
    if (this.#forwardsNothing()) return;
    const kind = this.requestSamples.kindOf(request);
    if (kind !== undefined) this.#signal({ type: 'sample', route: request.route, kind, requestIds: [request.requestId!] });
  }

  #signal(signal: AlertSignal): void {
    if (this.#forwardsNothing()) return;
    if (this.deps.forward) this.deps.forward(signal);
    else this.accept(signal);
  }

  /** A worker that forwards, with alerts off (alerts.enabled false): the lead evaluates nothing, so nothing crosses IPC. */
  #forwardsNothing(): boolean {
    return this.deps.forward !== undefined && !this.#config.enabled;
  }

  /**
   * Keeps a signal of this process or, on the lead worker, one another worker forwarded; counted
   * when it happened (`at`), at the latest now (another process's clock may be ahead).
   */
  accept(signal: AlertSignal): void {
    const now = this.deps.clock.now();
    switch (signal.type) {
      case 'event':
        return this.#events.add(signal.event, signal.fields, Math.min(signal.at, now));
      case 'auth_failure':
        return this.authFailures.record(signal.consumer, signal.clientIp, signal.requestIds, Math.min(signal.at, now), signal.count);
      case 'limit_usage':
        return this.limitUsage.record(signal.route, signal.limit, signal.consumer, signal.used, Math.min(signal.at, now));
      case 'sample':
        for (const requestId of signal.requestIds) this.requestSamples.add(signal.route, signal.kind, requestId);
        return;
    }
  }

  get config(): AlertsConfig {
    return this.#config;
  }

  /** The sinks in force, by name. */
  get sinks(): ReadonlyMap<string, AlertSink> {
    return this.#sinks;
  }

  /** Applies a (reloaded) config: sinks are rebuilt when theirs changed; rules turned off resolve. */
  async reconfigure(config: AlertsConfig): Promise<void> {
    const json = JSON.stringify(config.sinks);
    if (json !== this.#sinksJson) {
      const next = await this.deps.createSinks(config.sinks);
      const old = this.#sinks;
      this.#sinks = next;
      this.#sinksJson = json;
      for (const name of next.keys()) this.metrics.sinkUp.set({ sink: name }, 1);
      await Promise.all([...old.values()].map((sink) => sink.close?.().catch(() => {})));
    }
    this.#config = config;
    if (this.#timers.length > 0) {
      this.stop();
      this.start();
    }
  }

  /** A rule's settings after the config's overrides. */
  effectiveRule(name: AlertRuleName): EffectiveRule & { enabled: boolean } {
    return effectiveRule(this.#config, name);
  }

  /** One evaluation round at the clock's now: rules, states, silences, inhibition, grouping, queueing. */
  evaluate(): Promise<void> {
    this.#evaluating ??= this.#evaluate().finally(() => (this.#evaluating = undefined));
    return this.#evaluating;
  }

  async #evaluate(): Promise<void> {
    const now = this.deps.clock.now();
    const delivers = this.#delivers;
    try {
      await this.#capture(now);
      this.#events.prune(now);
      const view: GatewayView = {
        routes: () => this.deps.gateway.routes(),
        upstreams: () => this.deps.gateway.upstreams(),
        authFailures: () => this.authFailures.sources(now),
        limitUsage: () => this.limitUsage.sources(now),
        requestSamples: (route, kind) => this.requestSamples.of(route, kind),
        failingSinks: () => this.#deliverer.failingSinks(),
        // Aged keys are the store's, the same on every node: only the node that delivers reports
        // them, so several nodes send one notification, not one each (docs/alerts.md#key_age).
        agedKeys: () => (delivers ? (this.deps.gateway.agedKeys?.(now) ?? []) : []),
      };
      if (!delivers) this.#forgetStoreWide();
      for (const name of ALERT_RULE_NAMES) {
        const rule = this.effectiveRule(name);
        if (!rule.enabled || !this.#config.enabled) {
          this.#logTransitions([], this.#states.drop(name, now));
          continue;
        }
        const findings = RULE_EVALUATORS[name].evaluate({ now, history: this.#history, events: this.#events, gateway: view, thresholds: rule.thresholds, sinkFailingAfterSeconds: this.#config.delivery.sinkFailingAfterSeconds });
        const { fired, resolved } = this.#states.apply(rule, findings, now, this.node);
        this.#logTransitions(fired, resolved);
      }
      this.#lastSilences = (await this.deps.silences?.active(now)) ?? [];
      const views = this.#view(this.#states.firing(), 'firing');
      const notify = views.filter((view) => view.silencedBy.length === 0 && !view.inhibited).map((view) => view.alert);
      // The lease moved while this round ran: what it found of the store is the new holder's to send.
      if (delivers && !this.#delivers) this.#forgetStoreWide();
      this.#notifier.update(this.#delivers ? notify : notify.filter((alert) => !storeWide(alert)), this.#config, [...this.#sinks.keys()], now);
      await this.#deliverer.enqueue(this.#notifier.flush(this.#config, now), this.#config);
      this.metrics.firing.reset();
      for (const alert of this.#states.firing()) this.metrics.firing.inc({ rule: alert.rule, severity: alert.severity });
      this.metrics.evaluations.inc({ outcome: 'ok' });
    } catch (error) {
      this.metrics.evaluations.inc({ outcome: 'failed' });
      this.deps.logger().error({ event: 'alerts.evaluation_failed', err: error }, 'alert evaluation failed; tried again at the next interval');
    }
  }

  /**
   * A node that no longer delivers forgets its store-wide alerts without resolving them: nothing
   * was fixed, the node holding the lease reports them now (under its own `node` label).
   */
  #forgetStoreWide(): void {
    this.#states.forget(storeWide);
    this.#notifier.forget(storeWide);
  }

  #logTransitions(fired: readonly AlertInstance[], resolved: readonly AlertInstance[]): void {
    for (const alert of fired) this.deps.logger().warn({ event: 'alerts.firing', rule: alert.rule, labels: alert.labels, severity: alert.severity, summary: alert.summary }, 'alert firing');
    for (const alert of resolved) this.deps.logger().info({ event: 'alerts.resolved', rule: alert.rule, labels: alert.labels, severity: alert.severity }, 'alert resolved');
  }

  #view(alerts: readonly AlertInstance[], state: 'firing' | 'pending'): AlertView[] {
    const hidden = inhibited(alerts);
    return alerts.map((alert) => ({ alert, state, silencedBy: this.#lastSilences.filter((silence) => matches(silence.matchers, alert)).map((silence) => silence.id), inhibited: hidden.has(alert) }));
  }

  /** Delivers due notifications, when this node holds the delivery lease. Resolves with how many. */
  async deliver(): Promise<number> {
    const now = this.deps.clock.now();
    return (await this.#deliverRound(now)).length;
  }

  async #deliverRound(now: number): Promise<string[]> {
    if (this.deps.lease) this.#delivers = await this.deps.lease.hold(now);
    if (!this.#delivers) return [];
    return this.#deliverer.deliverDue(this.#sinks, this.#config);
  }

  /** Firing and pending alerts, as of the last evaluation (silences as then). */
  alerts(): AlertView[] {
    return [...this.#view(this.#states.firing(), 'firing'), ...this.#view(this.#states.pending(), 'pending')];
  }

  /**
   * Queues a sample alert of `rule` for `sink` and delivers the queue at once: the real path
   * (payload, signature, queue, retries) with a made-up alert. Resolves with the notification id and
   * whether it was delivered at once (else it stays queued and is retried like any other).
   */
  async test(rule: AlertRuleName, sink: string, author: string): Promise<{ id: string; delivered: boolean }> {
    if (!this.#sinks.has(sink)) throw new Error(`no alert sink named "${sink}"`);
    const now = this.deps.clock.now();
    const spec = this.effectiveRule(rule);
    const labels = { test: 'true', node: this.node };
    const alert: AlertInstance = { rule, labels, severity: spec.severity, summary: `test of rule ${rule} (sent by ${author})`, description: `A sample alert sent by \`portcullis alerts test ${rule} --sink ${sink}\`: nothing is wrong. ${ALERT_RULES[rule].watches}`, runbookUrl: spec.runbookUrl, startsAt: new Date(now), sampleRequestIds: [] };
    const id = `msg_test_${randomUUID()}`;
    await this.#deliverer.enqueue([{ sink, notification: { id, groupKey: alertKey('group', { rule, test: 'true' }), status: 'firing', groupLabels: { rule }, alerts: [alert], severity: alert.severity, node: this.node, createdAt: new Date(now) } }], this.#config);
    const delivered = await this.#deliverRound(this.deps.clock.now());
    return { id, delivered: delivered.includes(id) };
  }

  /** Starts the timers: evaluation every evaluationIntervalSeconds, delivery every second. */
  start(): void {
    if (this.#timers.length > 0 || !this.#config.enabled) return;
    const every = (ms: number, run: () => Promise<unknown>) => {
      const timer = setInterval(() => void run().catch(() => {}), ms);
      timer.unref();
      this.#timers.push(timer);
    };
    every(this.#config.evaluationIntervalSeconds * 1000, () => this.evaluate());
    every(1000, () => this.deliver());
  }

  stop(): void {
    for (const timer of this.#timers) clearInterval(timer);
    this.#timers = [];
  }

  async close(): Promise<void> {
    this.stop();
    this.#unsubscribe();
    await this.#evaluating?.catch(() => {});
    await this.deps.lease?.release().catch(() => {});
    await Promise.all([...this.#sinks.values()].map((sink) => sink.close?.().catch(() => {})));
  }
}
