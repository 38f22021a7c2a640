/**
 * The messages between the `--workers N` primary (cluster-primary.ts) and its workers
 * (cluster-worker.ts) over node:cluster's IPC channel. The channel is shared with the counter host
 * (ratelimit/, CLUSTER-CONTRACT): every message is an object with a `kind`, and ours start with
 * `portcullis.cluster.`; each side ignores kinds that are not its own.
 */
import type { MetricObjectWithValues, MetricValue } from 'prom-client';
import type { ConfigIssue } from '../core/policy.js';
import type { MetricSource } from '../alerts/metric-history.js';
import type { AlertSignal } from '../alerts/signals.js';

/** A cluster worker's share of the once-per-gateway work (GatewayOptions.cluster); undefined (one process) means all of it. */
export interface ClusterRole {
  /** Serves the admin listener (the API, /healthz, /readyz, /metrics): one worker, the lead. */
  readonly admin: boolean;
  /** Runs the schedules that must run once (certificate expiry watch, signing-key rotation). */
  readonly duties: boolean;
  /** The whole cluster's metrics for /metrics, aggregated by the primary. */
  readonly metrics?: () => Promise<{ contentType: string; body: string }>;
  /** The lead: every worker's metrics, apart, for its alert engine (alerts/metric-history.ts). */
  readonly alertMetrics?: MetricSource;
  /** Not the lead: where this worker's alert signals go (to the lead's engine, through the primary). */
  readonly forwardAlertSignal?: (signal: AlertSignal) => void;
}

export const CLUSTER_KIND_PREFIX = 'portcullis.cluster.';

/** The environment variable that tells a forked worker its slot (1 … N; slot 1 is the lead). */
export const WORKER_SLOT_ENV = 'PORTCULLIS_WORKER_SLOT';

/** How long the primary waits for the workers' metrics before answering /metrics without the late ones. */
export const METRICS_COLLECT_TIMEOUT_MS = 2000;

/** The config a worker runs: the text the primary validated, and the folder its relative paths resolve from. */
export interface ConfigText {
  readonly text: string;
  readonly baseDir: string;
}

/** A reload's outcome in one worker. */
export type WorkerReloadResult = { ok: true; revision: number } | { ok: false; issues: ConfigIssue[] };

export type MetricsJson = Array<MetricObjectWithValues<MetricValue<string>>>;

/**
 * The lead's latest assessment grade of an upstream (server/assessments.ts, issue 23 §5): sent by
 * the lead after each run, kept by the primary and relayed to every other worker (and to a worker
 * when it starts), so each decides minimumGrade from the same latest result, store or not.
 */
export interface AssessedGrade {
  readonly kind: 'portcullis.cluster.assessed';
  readonly upstream: string;
  readonly grade: string;
  /** Epoch ms; absent when unknown. */
  readonly certificateNotAfter?: number;
  /** Epoch ms of the run: a worker keeps the newest it has. */
  readonly assessedAt: number;
}

/** Primary → worker. */
export type ToWorker =
  /** The config to start with (sent once, when the worker is forked). */
  | ({ kind: 'portcullis.cluster.config' } & ConfigText)
  /** A validated config to put in force; answered with `reloaded`. */
  | ({ kind: 'portcullis.cluster.reload'; id: number } & ConfigText)
  /** Another worker committed a store change: catch up now. */
  | { kind: 'portcullis.cluster.changed' }
  /** Send your metrics registry (as JSON; only the families named, when `names` is given); answered with `metrics_collected`. */
  | { kind: 'portcullis.cluster.metrics_collect'; id: number; names?: string[] }
  /** The other workers' metrics the lead's alert engine asked for, by source (`pid:<pid>`); `unanswered`: asked, silent. */
  | { kind: 'portcullis.cluster.alert_metrics'; id: number; sources: Array<{ source: string; metrics: MetricsJson }>; unanswered: string[] }
  /** To the lead: alert signals of the other workers (and of the primary's own log), relayed. */
  | { kind: 'portcullis.cluster.alert_signals'; signals: AlertSignal[] }
  /** The aggregated metrics the lead asked for. */
  | { kind: 'portcullis.cluster.metrics'; id: number; contentType: string; body: string }
  /** The lead assessed an upstream (relayed; also every known grade when a worker is ready). */
  | AssessedGrade
  /** Drain in-flight requests, stop, exit 0. */
  | { kind: 'portcullis.cluster.drain' }
  /** Exit now, without draining (a second stop signal). */
  | { kind: 'portcullis.cluster.exit_now' };

/** Worker → primary. */
export type FromWorker =
  /** Loaded and ready for its config (answered with `config`: asked for, since a message sent before the worker listens would be lost). */
  | { kind: 'portcullis.cluster.config_request' }
  | { kind: 'portcullis.cluster.ready'; listeners: string[]; admin: string | null }
  | { kind: 'portcullis.cluster.start_failed'; reason: string }
  | { kind: 'portcullis.cluster.reloaded'; id: number; result: WorkerReloadResult }
  /** This worker committed a store change: the others should catch up. */
  | { kind: 'portcullis.cluster.changed' }
  /** The lead assessed an upstream: the primary keeps it and relays it to the other workers. */
  | AssessedGrade
  /** The lead serves /metrics: it asks the primary for the whole cluster's. */
  | { kind: 'portcullis.cluster.metrics_request'; id: number }
  | { kind: 'portcullis.cluster.metrics_collected'; id: number; metrics: MetricsJson }
  /** The lead's alert engine reads the cluster's metrics: every other worker's, apart (answered with `alert_metrics`). */
  | { kind: 'portcullis.cluster.alert_metrics_request'; id: number; names: string[] }
  /** Not the lead: a batch of this worker's alert signals, for the lead. */
  | { kind: 'portcullis.cluster.alert_signals'; signals: AlertSignal[] };

/** True for messages of ours (the counter host's and prom-client's are not). */
export function isClusterMessage<T extends { kind: string }>(message: unknown): message is T {
  return typeof message === 'object' && message !== null && typeof (message as { kind?: unknown }).kind === 'string' && (message as { kind: string }).kind.startsWith(CLUSTER_KIND_PREFIX);
}
