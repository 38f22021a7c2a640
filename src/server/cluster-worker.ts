/**
 * A `portcullis start --workers N` worker's side of the IPC channel (the primary's is
 * cluster-primary.ts). A worker is a whole gateway with its listeners (node:cluster shares each
 * listening socket), started from the config text the primary validated; it follows the store's
 * change feed itself and also catches up whenever the primary says another worker committed a
 * change. The lead worker (slot 1) also serves the admin listener, with /metrics answered from the
 * primary's aggregate, and runs the once-per-gateway schedules (ClusterRole), alert evaluation
 * among them: its engine reads every worker's metrics through the primary, and every other worker
 * forwards its alert signals to it (alert-signal-batcher.ts). Process exits and signals stay with
 * the CLI (cli/start-cluster.ts).
 */
import { loadConfigText, type LoadResult } from '../config/loader.js';
import type { GatewayConfig } from '../config/schema.js';
import { isClusterMessage, METRICS_COLLECT_TIMEOUT_MS, WORKER_SLOT_ENV, type ClusterRole, type ConfigText, type FromWorker, type MetricsJson, type ToWorker } from './cluster-messages.js';
import type { Gateway } from './gateway.js';
import type { MetricReading } from '../alerts/metric-history.js';
import { AlertSignalBatcher, sendOver } from './alert-signal-batcher.js';

/** The lead waits this long for the primary's aggregate (which answers within METRICS_COLLECT_TIMEOUT_MS). */
const METRICS_ANSWER_TIMEOUT_MS = METRICS_COLLECT_TIMEOUT_MS + 3000;

/** This worker's slot (1 … N), from the environment the primary forked it with; undefined if not a worker. */
export function workerSlot(env: NodeJS.ProcessEnv = process.env): number | undefined {
  const slot = Number(env[WORKER_SLOT_ENV]);
  return Number.isInteger(slot) && slot >= 1 ? slot : undefined;
}

/** The config a worker runs: migrations are the primary's, done before any worker started. */
export function workerConfig(loaded: LoadResult & { ok: true }): GatewayConfig {
  const config = loaded.config;
  return config.store ? { ...config, store: { ...config.store, migrateOnStart: false } } : config;
}

/**
 * Prefixes every JSON log line with `field` (e.g. `"worker":2`), so the lines of all workers,
 * written to one standard output, say which process wrote them. Costs a string concatenation.
 */
export function tagLogLines(destination: { write(line: string): void }, field: string): void {
  const write = destination.write.bind(destination);
  destination.write = (line: string) => write(line.startsWith('{') ? `{${field},${line.slice(1)}` : line);
}

export interface WorkerHooks {
  /** Drain and stop (the primary's stop). */
  drain(): void;
  /** Exit at once (a second stop signal). */
  exitNow(): void;
}

/** The worker's link to the primary. */
export class WorkerLink {
  readonly slot: number;
  readonly #pendingMetrics = new Map<number, (metrics: { contentType: string; body: string } | undefined) => void>();
  readonly #pendingAlertMetrics = new Map<number, (reading: MetricReading) => void>();
  /** Not the lead: this worker's alert signals, on their way to the lead (the lead counts its drops here too). */
  readonly #signals = new AlertSignalBatcher(sendOver(process));
  #nextId = 1;
  #gateway: Gateway | undefined;
  #hooks: WorkerHooks | undefined;
  #config: ((config: ConfigText) => void) | undefined;
  /** A stop that arrived while the gateway was starting: carried out once it has. */
  #stopAsked: keyof WorkerHooks | undefined;

  constructor(slot: number) {
    this.slot = slot;
    process.on('message', (message: unknown) => {
      if (isClusterMessage<ToWorker>(message)) void this.#onMessage(message);
    });
  }

  /** What this worker serves besides its listeners: slot 1 leads. */
  get role(): ClusterRole {
    const lead = this.slot === 1;
    return lead
      ? { admin: true, duties: true, metrics: () => this.#clusterMetrics(), alertMetrics: (names) => this.#alertMetrics(names) }
      : { admin: false, duties: false, forwardAlertSignal: (signal) => this.#signals.push(signal) };
  }

  /** Alert signals this worker dropped (AlertSignalBatcher; on the lead, those that came before its gateway ran). */
  get signalsDropped(): AlertSignalBatcher['dropped'] {
    return this.#signals.dropped;
  }

  /** Stopping, once the gateway closed (no request adds any more): sends the alert signals still waiting, for at most `timeoutMs`. */
  flushSignals(timeoutMs: number): Promise<void> {
    return this.#signals.flushAll(timeoutMs);
  }

  /** Asks the primary for the config text to start from. */
  config(): Promise<ConfigText> {
    const config = new Promise<ConfigText>((resolve) => (this.#config = resolve));
    this.#send({ kind: 'portcullis.cluster.config_request' });
    return config;
  }

  /** The gateway started: tells the primary, and relays this worker's store commits to the others. */
  started(gateway: Gateway, hooks: WorkerHooks): void {
    this.#gateway = gateway;
    this.#hooks = hooks;
    gateway.services.metrics.registry.registerMetric(this.#signals.dropped);
    gateway.services.store?.onCommitted(() => this.#send({ kind: 'portcullis.cluster.changed' }));
    // The lead's assessment grades reach every worker through the primary (minimumGrade), store or not.
    gateway.assessments.onGraded((upstream, graded) => this.#send({ kind: 'portcullis.cluster.assessed', upstream, grade: graded.grade, assessedAt: graded.assessedAt, ...(graded.certificateNotAfter === undefined ? {} : { certificateNotAfter: graded.certificateNotAfter }) }));
    let admin: string | null = null;
    try {
      admin = gateway.adminUrl;
    } catch {
      // Not the lead, or the admin listener is off.
    }
    this.#send({ kind: 'portcullis.cluster.ready', listeners: gateway.listeners.map((listener) => listener.url), admin });
    if (this.#stopAsked) hooks[this.#stopAsked]();
  }

  /** The gateway could not start: says why (resolves once the message is out). */
  failed(reason: string): Promise<void> {
    return new Promise((resolve) => {
      if (!process.send?.({ kind: 'portcullis.cluster.start_failed', reason } satisfies FromWorker, undefined, {}, () => resolve())) resolve();
    });
  }

  #send(message: FromWorker): void {
    // With a callback a failed send (the primary died after the check) is not an 'error' event,
    // which would crash this worker instead of letting it drain: the 'disconnect' that follows
    // logs cluster.primary_lost and drains.
    if (process.connected) process.send?.(message, undefined, {}, ignoreSendFailure);
  }

  async #onMessage(message: ToWorker): Promise<void> {
    const gateway = this.#gateway;
    switch (message.kind) {
      case 'portcullis.cluster.config':
        return this.#config?.({ text: message.text, baseDir: message.baseDir });
      case 'portcullis.cluster.metrics':
        return this.#pendingMetrics.get(message.id)?.({ contentType: message.contentType, body: message.body });
      case 'portcullis.cluster.alert_metrics':
        return this.#pendingAlertMetrics.get(message.id)?.({ sources: message.sources, unanswered: message.unanswered });
      case 'portcullis.cluster.drain':
        this.#stopAsked ??= 'drain';
        return this.#hooks?.drain();
      case 'portcullis.cluster.exit_now':
        this.#stopAsked = 'exitNow';
        return this.#hooks?.exitNow();
    }
    if (!gateway) {
      // Relayed to the lead before its gateway ran: lost, and counted as such.
      if (message.kind === 'portcullis.cluster.alert_signals') this.#signals.dropped.inc({ reason: 'not_ready' }, message.signals.length);
      return;
    }
    switch (message.kind) {
      case 'portcullis.cluster.changed':
        return gateway.services.followed?.follower.nudge();
      case 'portcullis.cluster.assessed':
        return gateway.assessments.learn(message.upstream, { grade: message.grade, certificateNotAfter: message.certificateNotAfter, assessedAt: message.assessedAt });
      case 'portcullis.cluster.metrics_collect': {
        const registry = gateway.services.metrics.registry;
        // The alert engine names the families its rules read: only those are collected (each one's
        // collect callback runs), not the whole registry.
        const metrics =
          message.names === undefined
            ? await registry.getMetricsAsJSON()
            : (await Promise.all(message.names.map((name) => registry.getSingleMetric(name)?.get()))).filter((family) => family !== undefined);
        return this.#send({ kind: 'portcullis.cluster.metrics_collected', id: message.id, metrics: metrics as MetricsJson });
      }
      case 'portcullis.cluster.alert_signals':
        for (const signal of message.signals) gateway.alerts.accept(signal);
        return;
      case 'portcullis.cluster.reload': {
        // The primary validated this text; validating it again here builds this process's config objects.
        const loaded = loadConfigText(message.text, process.env, { baseDir: message.baseDir });
        const result = loaded.ok ? await gateway.reload(workerConfig(loaded)) : { ok: false as const, issues: loaded.issues };
        return this.#send({ kind: 'portcullis.cluster.reloaded', id: message.id, result });
      }
    }
  }

  /**
   * For the lead's alert engine: every other worker's metrics, from the primary, each a source of
   * its own (the engine adds its own registry). Fails when the primary does not answer: that
   * evaluation fails (alerts.evaluation_failed) rather than judging the cluster by one worker.
   */
  async #alertMetrics(names: readonly string[]): Promise<MetricReading> {
    const id = this.#nextId++;
    const answer = await new Promise<MetricReading | undefined>((resolve) => {
      const timer = setTimeout(() => resolve(undefined), METRICS_ANSWER_TIMEOUT_MS);
      this.#pendingAlertMetrics.set(id, (reading) => {
        clearTimeout(timer);
        resolve(reading);
      });
      this.#send({ kind: 'portcullis.cluster.alert_metrics_request', id, names: [...names] });
    });
    this.#pendingAlertMetrics.delete(id);
    if (!answer) throw new Error("the primary did not send the other workers' metrics in time");
    return answer;
  }

  /**
   * The cluster's metrics, from the primary. If it does not answer (it is gone, and this worker
   * is stopping), this worker's own, marked as such in a comment line.
   */
  async #clusterMetrics(): Promise<{ contentType: string; body: string }> {
    const id = this.#nextId++;
    const answer = await new Promise<{ contentType: string; body: string } | undefined>((resolve) => {
      const timer = setTimeout(() => resolve(undefined), METRICS_ANSWER_TIMEOUT_MS);
      this.#pendingMetrics.set(id, (metrics) => {
        clearTimeout(timer);
        resolve(metrics);
      });
      this.#send({ kind: 'portcullis.cluster.metrics_request', id });
    });
    this.#pendingMetrics.delete(id);
    if (answer) return answer;
    const gateway = this.#gateway!;
    gateway.logger.warn({ event: 'cluster.metrics_local', slot: this.slot }, 'the primary did not answer for /metrics: serving this worker\'s metrics only');
    const registry = gateway.services.metrics.registry;
    return { contentType: registry.contentType, body: `# portcullis: the primary did not answer: worker ${this.slot} only\n${await registry.metrics()}` };
  }
}

/** A send the primary did not receive: its loss is seen and logged by 'disconnect' (see #send). */
function ignoreSendFailure(): void {}
