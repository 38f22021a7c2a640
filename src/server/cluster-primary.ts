/**
 * The `portcullis start --workers N` primary (node:cluster). It serves no traffic: the workers
 * (cluster-worker.ts) own the listeners, sharing each listening socket through the primary. The
 * primary owns what must happen once for the whole gateway:
 *
 * - store migrations, before any worker is forked (migrateOnce);
 * - the config: it reads and validates the file at start, on SIGHUP and when the watched file
 *   changes, and sends the *text it validated* to the workers (a config that fails validation never
 *   reaches a worker; a replacement worker starts from the last good text, not from a file edited
 *   since); the outcome of a reload is reported once (`cluster.reloaded` / `cluster.reload_failed`);
 * - change-feed nudges: a worker that commits a store change says so, and the primary tells the
 *   other workers to catch up at once (each worker follows the feed itself, so a revocation reaches
 *   every worker within milliseconds, and still within the poll interval if a nudge were lost);
 * - /metrics for the whole cluster: every worker's registry aggregated with prom-client's
 *   AggregatorRegistry, plus the primary's own (workers, exits);
 * - the cluster's alerting inputs: the lead worker's alert engine evaluates over every worker's
 *   metrics (asked for by the lead, kept apart per worker: `alert_metrics_request`) and every
 *   worker's alert signals, relayed to the lead (cluster-alert-relay.ts);
 * - supervision: a worker that dies is replaced (restart-policy.ts bounds the rate), and stop
 *   drains every worker and waits for them, bounded;
 * - `PrimaryDuty`: a seam for further once-per-gateway work that needs no worker's state.
 *
 * The lead worker (slot 1) serves the admin listener and runs the schedules that need a worker's
 * state (certificate expiry watch, signing-key rotation, alert evaluation and delivery): see
 * docs/workers.md.
 */
import cluster, { type Worker } from 'node:cluster';
import { readFile } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { AggregatorRegistry, Counter, Gauge, Registry } from 'prom-client';
import { systemClock, type Clock } from '../core/clock.js';
import { formatIssue, loadConfigText } from '../config/loader.js';
import type { GatewayConfig } from '../config/schema.js';
import type { Logger } from '../observability/logger.js';
import { migrateToLatest, openStore } from '../store/open-store.js';
import { Store } from '../store/store.js';
import type { LogEventTap } from '../observability/log-tap.js';
import { ClusterAlertRelay, leadChannel } from './cluster-alert-relay.js';
import { ConfigFileWatcher } from './file-watch.js';
import { isClusterMessage, METRICS_COLLECT_TIMEOUT_MS, WORKER_SLOT_ENV, type AssessedGrade, type ConfigText, type FromWorker, type MetricsJson, type ToWorker, type WorkerReloadResult } from './cluster-messages.js';
import { DEFAULT_RESTART_POLICY, RestartPolicy, type RestartPolicyOptions } from './restart-policy.js';
import { storeLocation } from './store-location.js';

/** How long a reload may take in a worker (a large contract compiles for seconds). */
const RELOAD_TIMEOUT_MS = 120_000;

/**
 * Work the primary runs once for the whole cluster, seeing the cluster's metrics (none is built
 * in: alert evaluation needs a gateway's runtime and store, so it runs in the lead worker).
 */
export interface PrimaryDuty {
  readonly name: string;
  start(context: { metrics(): Promise<string>; logger: Logger }): void;
  stop(): void;
}

export interface ClusterPrimaryOptions {
  readonly workers: number;
  readonly configPath: string;
  /** The config file's text at start, already validated. */
  readonly configText: string;
  readonly config: GatewayConfig;
  readonly env: NodeJS.ProcessEnv;
  readonly logger: Logger;
  /** After the drain deadline, how long workers may take to close and exit before they are killed. */
  readonly stopGraceMs: number;
  readonly clock?: Clock;
  readonly restart?: RestartPolicyOptions;
  readonly duties?: readonly PrimaryDuty[];
  /** Sees every worker forked (the counter host attaches to it here, and detaches on its `exit`). */
  readonly onFork?: (worker: Worker) => void;
  /** The primary's logger's tap: its watched events (a rejected reload) reach the lead's alert engine. */
  readonly logEvents?: LogEventTap;
}

interface Slot {
  readonly slot: number;
  worker: Worker | undefined;
  ready: boolean;
  /** The config text the worker was given. */
  given: string | undefined;
  /** Why it said it could not start. */
  startFailure: string | undefined;
  restartTimer: NodeJS.Timeout | undefined;
}

/** Questions asked of every ready worker, answered by id (reloads, metrics). */
interface Question {
  readonly pending: Set<number>;
  readonly answers: Map<number, unknown>;
  finish(): void;
}

export type StartResult = { ok: true } | { ok: false; reason: string };

export class ClusterPrimary {
  /** The primary's own metrics (merged into /metrics). */
  readonly registry = new Registry();
  readonly #workersUp = new Gauge({ name: 'portcullis_cluster_workers', help: 'Worker processes started and serving.', registers: [this.registry] });
  readonly #exits = new Counter({ name: 'portcullis_cluster_worker_exits_total', help: 'Worker processes that exited while the gateway was not stopping (each is replaced), by reason (exit code or signal).', labelNames: ['reason'] as const, registers: [this.registry] });
  readonly #metricsMissing = new Counter({ name: 'portcullis_cluster_metrics_missing_total', help: 'Workers left out of a /metrics answer because they did not answer in time.', registers: [this.registry] });
  readonly #slots = new Map<number, Slot>();
  readonly #questions = new Map<number, Question>();
  /** The newest assessment grade per upstream the lead sent, for workers that start later. */
  readonly #assessed = new Map<string, AssessedGrade>();
  readonly #alerts: ClusterAlertRelay;
  readonly #restart: RestartPolicy;
  readonly #baseDir: string;
  #config: ConfigText;
  #nextId = 1;
  #reloads: Promise<void> = Promise.resolve();
  #watcher: ConfigFileWatcher | undefined;
  #booting: ((result: StartResult) => void) | undefined;
  #stopping: { done: (code: number) => void; failed: boolean } | undefined;
  #stopped: Promise<number> | undefined;

  constructor(private readonly options: ClusterPrimaryOptions) {
    this.#restart = new RestartPolicy(options.restart ?? DEFAULT_RESTART_POLICY, options.clock ?? systemClock);
    this.#baseDir = dirname(resolve(options.configPath));
    this.#config = { text: options.configText, baseDir: this.#baseDir };
    // Ready and connected: a lead whose channel closed before its exit would drop them unseen.
    this.#alerts = new ClusterAlertRelay(this.registry, () => leadChannel(this.#slots.get(1)), options.logEvents, options.clock);
  }

  /** Forks the workers and waits until each has started; the first that cannot start ends the start, with its reason. */
  start(): Promise<StartResult> {
    // Round-robin in the primary (Linux's default, made explicit): with SCHED_NONE the kernel
    // wakes whichever worker accepts first, which on Linux piles connections onto one or two of them.
    cluster.schedulingPolicy = cluster.SCHED_RR;
    const started = new Promise<StartResult>((done) => (this.#booting = done));
    for (let slot = 1; slot <= this.options.workers; slot++) this.#fork(slot);
    for (const duty of this.options.duties ?? []) duty.start({ metrics: () => this.clusterMetrics().then((m) => m.body), logger: this.options.logger });
    return started;
  }

  /** Reloads when the config file, or a file its policies read, changes. */
  watchConfigFile(): void {
    if (this.#watcher) return;
    this.#watcher = new ConfigFileWatcher(this.options.configPath, () => void this.reload(), () => this.options.logger);
    this.#watcher.start(this.options.config);
  }

  /** Reads and validates the config file, then puts it in force in every worker; one reload at a time. */
  reload(): Promise<void> {
    this.#reloads = this.#reloads.then(() => this.#reload());
    return this.#reloads;
  }

  /** The whole cluster's metrics, in the Prometheus text format. */
  async clusterMetrics(): Promise<{ contentType: string; body: string }> {
    const answers = await this.#ask((id) => ({ kind: 'portcullis.cluster.metrics_collect', id }), METRICS_COLLECT_TIMEOUT_MS);
    if (answers.missing > 0) this.#metricsMissing.inc(answers.missing);
    const all = [...(answers.answers.values() as Iterable<MetricsJson>), (await this.registry.getMetricsAsJSON()) as MetricsJson];
    const aggregated = AggregatorRegistry.aggregate(all);
    return { contentType: aggregated.contentType, body: await aggregated.metrics() };
  }

  /**
   * Every other ready worker's metrics of the families `names`, apart, for the lead's alert engine:
   * apart because a sum cannot tell a restarted worker from no traffic (alerts/metric-history.ts).
   * A source is a worker process (`pid:<pid>`: a replaced worker is a new source, counting from 0).
   */
  async #alertMetrics(asking: Slot, names: string[]): Promise<{ sources: Array<{ source: string; metrics: MetricsJson }>; unanswered: string[] }> {
    const slots = [...this.#slots.values()].filter((slot) => slot.ready && slot !== asking);
    const sourceOf = new Map(slots.map((slot) => [slot.slot, `pid:${slot.worker?.process.pid}`]));
    const { answers, unanswered } = await this.#ask((id) => ({ kind: 'portcullis.cluster.metrics_collect', id, names }), METRICS_COLLECT_TIMEOUT_MS, slots);
    return { sources: [...answers].map(([slot, metrics]) => ({ source: sourceOf.get(slot)!, metrics: metrics as MetricsJson })), unanswered: unanswered.map((slot) => sourceOf.get(slot)!) };
  }

  /**
   * Drains every worker (each stops accepting, finishes its in-flight requests up to the drain
   * deadline, closes idle keep-alive connections, exits), then resolves with the exit code: 0 when
   * every worker exited 0. Workers still running `drainTimeoutMs + stopGraceMs` later are killed (1).
   */
  stop(): Promise<number> {
    if (this.#stopped) return this.#stopped;
    this.#watcher?.close();
    this.#alerts.close();
    for (const duty of this.options.duties ?? []) duty.stop();
    const live = [...this.#slots.values()].filter((slot) => slot.worker);
    this.options.logger.info({ event: 'cluster.stopping', workers: live.length }, 'stopping: every worker drains its in-flight requests');
    this.#stopped = new Promise<number>((done) => (this.#stopping = { done, failed: false }));
    for (const slot of this.#slots.values()) clearTimeout(slot.restartTimer);
    for (const slot of live) this.#send(slot, { kind: 'portcullis.cluster.drain' });
    const deadline = setTimeout(() => {
      const left = [...this.#slots.values()].filter((slot) => slot.worker);
      this.options.logger.error({ event: 'cluster.stop_timeout', workers: left.map((slot) => slot.slot) }, 'workers did not stop in time: killed');
      for (const slot of left) slot.worker?.process.kill('SIGKILL');
      this.#stopping!.failed = true;
    }, this.options.config.lifecycle.drainTimeoutMs + this.options.stopGraceMs);
    deadline.unref();
    this.#checkStopped();
    return this.#stopped;
  }

  /** Resolves with 1 once every worker has exited, after a start that failed (bounded by the caller). */
  abandoned(): Promise<number> {
    return this.#stopped ?? Promise.resolve(1);
  }

  /** A second stop signal: every worker exits at once, without draining. */
  exitNow(): void {
    for (const slot of this.#slots.values()) {
      clearTimeout(slot.restartTimer);
      this.#send(slot, { kind: 'portcullis.cluster.exit_now' });
    }
  }

  #fork(slot: number): void {
    const entry: Slot = this.#slots.get(slot) ?? { slot, worker: undefined, ready: false, given: undefined, startFailure: undefined, restartTimer: undefined };
    this.#slots.set(slot, entry);
    const worker = cluster.fork({ [WORKER_SLOT_ENV]: String(slot) });
    Object.assign(entry, { worker, ready: false, given: undefined, startFailure: undefined, restartTimer: undefined });
    worker.on('message', (message: unknown) => {
      if (isClusterMessage<FromWorker>(message)) this.#onMessage(entry, worker, message);
    });
    worker.on('exit', (code, signal) => this.#onExit(entry, worker, code, signal));
    // A send to a worker that is dying fails later with an 'error' event on the worker (EPIPE,
    // ERR_IPC_CHANNEL_CLOSED); unheard, it would throw in the primary and end every worker with it.
    // The worker's exit, which follows, is what the primary acts on.
    worker.on('error', (error: Error) => this.options.logger.warn({ event: 'cluster.worker_channel_error', slot, pid: worker.process.pid, err: error }, 'a message to a worker could not be delivered'));
    this.options.onFork?.(worker);
  }

  #send(slot: Slot, message: ToWorker): void {
    if (slot.worker?.isConnected()) slot.worker.send(message);
  }

  #onMessage(slot: Slot, worker: Worker, message: FromWorker): void {
    if (slot.worker !== worker) return;
    switch (message.kind) {
      case 'portcullis.cluster.config_request':
        slot.given = this.#config.text;
        return this.#send(slot, { kind: 'portcullis.cluster.config', ...this.#config });
      case 'portcullis.cluster.ready':
        slot.ready = true;
        this.#workersUp.inc();
        this.options.logger.info({ event: 'cluster.worker_started', slot: slot.slot, pid: worker.process.pid, listeners: message.listeners, admin: message.admin }, 'worker started');
        // A reload validated while it started: it started from the text before.
        if (slot.given !== this.#config.text) void this.#reloadIn([slot]);
        for (const assessed of this.#assessed.values()) this.#send(slot, assessed);
        return this.#bootProgress();
      case 'portcullis.cluster.start_failed':
        slot.startFailure = message.reason;
        return;
      case 'portcullis.cluster.changed':
        for (const other of this.#slots.values()) if (other !== slot && other.ready) this.#send(other, { kind: 'portcullis.cluster.changed' });
        return;
      case 'portcullis.cluster.assessed': {
        const known = this.#assessed.get(message.upstream);
        if (known && known.assessedAt > message.assessedAt) return;
        this.#assessed.set(message.upstream, message);
        for (const other of this.#slots.values()) if (other !== slot && other.ready) this.#send(other, message);
        return;
      }
      case 'portcullis.cluster.metrics_request':
        void this.clusterMetrics().then((metrics) => this.#send(slot, { kind: 'portcullis.cluster.metrics', id: message.id, ...metrics }));
        return;
      case 'portcullis.cluster.alert_metrics_request':
        void this.#alertMetrics(slot, message.names).then((answer) => this.#send(slot, { kind: 'portcullis.cluster.alert_metrics', id: message.id, ...answer }));
        return;
      case 'portcullis.cluster.alert_signals':
        return this.#alerts.relay(message.signals);
      case 'portcullis.cluster.metrics_collected':
        return this.#answer(slot, message.id, message.metrics);
      case 'portcullis.cluster.reloaded':
        return this.#answer(slot, message.id, message.result);
    }
  }

  #onExit(slot: Slot, worker: Worker, code: number | null, signal: string | null): void {
    if (slot.worker !== worker) return;
    const wasReady = slot.ready;
    slot.worker = undefined;
    slot.ready = false;
    if (wasReady) this.#workersUp.dec();
    for (const question of this.#questions.values()) {
      if (question.pending.delete(slot.slot) && question.pending.size === 0) question.finish();
    }
    if (this.#stopping) {
      if (code !== 0) this.#stopping.failed = true;
      return this.#checkStopped();
    }
    const reason = signal ?? `exit code ${code}`;
    if (this.#booting && !wasReady) {
      // A worker that cannot start at first start: the gateway cannot start (a port in use, a bad
      // certificate). The others are told to exit, and none is replaced.
      this.#booting({ ok: false, reason: slot.startFailure ?? `worker ${slot.slot} ended before it started (${reason})` });
      this.#booting = undefined;
      this.#stopped = new Promise<number>((done) => (this.#stopping = { done, failed: true }));
      this.exitNow();
      return this.#checkStopped();
    }
    this.#exits.inc({ reason });
    const { delayMs, streak } = this.#restart.exited();
    this.options.logger.warn(
      { event: 'cluster.worker_exited', slot: slot.slot, pid: worker.process.pid, code, signal, startFailure: slot.startFailure, restartInMs: delayMs, streak },
      delayMs === 0 ? 'worker exited: replacing it' : 'worker exited: replacing it after a delay (workers keep exiting)',
    );
    slot.restartTimer = setTimeout(() => this.#fork(slot.slot), delayMs);
  }

  #bootProgress(): void {
    if (!this.#booting || [...this.#slots.values()].some((slot) => !slot.ready)) return;
    this.#booting({ ok: true });
    this.#booting = undefined;
    this.options.logger.info({ event: 'cluster.started', workers: this.options.workers }, 'every worker started');
  }

  #checkStopped(): void {
    if (!this.#stopping || [...this.#slots.values()].some((slot) => slot.worker)) return;
    this.options.logger.info({ event: 'cluster.stopped' }, 'every worker stopped');
    this.#stopping.done(this.#stopping.failed ? 1 : 0);
  }

  async #reload(): Promise<void> {
    const path = this.options.configPath;
    let text: string;
    try {
      text = await readFile(path, 'utf8');
    } catch (error) {
      this.options.logger.error({ event: 'config.reload_rejected', file: path, errors: [`cannot read ${path}: ${(error as Error).message}`] }, 'cannot read the config file: the previous config keeps serving');
      return;
    }
    const loaded = loadConfigText(text, this.options.env, { baseDir: this.#baseDir });
    if (!loaded.ok) {
      this.options.logger.error({ event: 'config.reload_rejected', file: path, errors: loaded.issues.map(formatIssue) }, 'new config is invalid: the previous config keeps serving');
      return;
    }
    this.#config = { text, baseDir: this.#baseDir };
    this.#watcher?.rewatch(loaded.config);
    await this.#reloadIn([...this.#slots.values()].filter((slot) => slot.ready));
  }

  /** Puts the config text in force in `slots`; reports the outcome once. */
  async #reloadIn(slots: Slot[]): Promise<void> {
    const config = this.#config;
    for (const slot of slots) slot.given = config.text;
    const { answers, missing } = await this.#ask((id) => ({ kind: 'portcullis.cluster.reload', id, ...config }), RELOAD_TIMEOUT_MS, slots);
    const failures = [...answers].filter(([, result]) => !(result as WorkerReloadResult).ok).map(([slot, result]) => ({ slot, errors: (result as { issues: Array<{ path: string; message: string }> }).issues.map(formatIssue) }));
    if (failures.length === 0 && missing === 0) {
      this.options.logger.info({ event: 'cluster.reloaded', workers: answers.size }, 'config reloaded in every worker');
    } else {
      this.options.logger.error({ event: 'cluster.reload_failed', workers: answers.size, unanswered: missing, failures }, 'config reload failed in some workers: they keep their previous config');
    }
  }

  /** Sends a question to `slots` (default: every ready worker); resolves with the answers by slot, at the latest after `timeoutMs`. */
  #ask(message: (id: number) => ToWorker, timeoutMs: number, slots = [...this.#slots.values()].filter((slot) => slot.ready)): Promise<{ answers: Map<number, unknown>; missing: number; unanswered: number[] }> {
    const id = this.#nextId++;
    return new Promise((done) => {
      const question: Question = {
        pending: new Set(slots.map((slot) => slot.slot)),
        answers: new Map(),
        finish: () => {
          clearTimeout(timer);
          this.#questions.delete(id);
          done({ answers: question.answers, missing: question.pending.size, unanswered: [...question.pending] });
        },
      };
      const timer = setTimeout(() => question.finish(), timeoutMs);
      this.#questions.set(id, question);
      for (const slot of slots) this.#send(slot, message(id));
      if (question.pending.size === 0) question.finish();
    });
  }

  #answer(slot: Slot, id: number, answer: unknown): void {
    const question = this.#questions.get(id);
    if (!question?.pending.delete(slot.slot)) return;
    question.answers.set(slot.slot, answer);
    if (question.pending.size === 0) question.finish();
  }
}

/** Applies pending store migrations once, before the workers start (they start with migrateOnStart off). */
export async function migrateOnce(config: GatewayConfig, logger: Logger, clock: Clock = systemClock): Promise<void> {
  if (!config.store?.migrateOnStart) return;
  const store = new Store(openStore(storeLocation(config.store)), { clock, logger: () => logger });
  try {
    const result = await migrateToLatest(store);
    for (const applied of result.results ?? []) logger.info({ event: 'store.migrated', migration: applied.migrationName }, 'store migration applied');
    if (result.newer) logger.warn({ event: 'store.schema_newer', migrations: result.newer }, 'the store was migrated by a newer release: running on its schema (rolling upgrade or rollback)');
  } finally {
    await store.close();
  }
}
