/**
 * What a built-in rule is to the engine: the metric families it reads (kept by MetricHistory) and
 * one function that, given the state of the gateway now, returns every label set its condition
 * holds for. The `for` duration, severity, silences and routing are the engine's: a rule only
 * says what is wrong now, where, and by how much.
 */
import type { AlertSeverity } from '../notification.js';
import type { EventWindow } from '../event-window.js';
import type { MetricHistory } from '../metric-history.js';
import type { LimitUsageSource } from '../limit-usage.js';
import type { SampleKind } from '../request-samples.js';
import type { ConsumerAgedKeys } from '../../keys/aged-keys.js';

/** The live state of the gateway a rule may read besides metrics and events. */
export interface GatewayView {
  /** The routes in force: name and upstream. */
  routes(): ReadonlyArray<{ readonly name: string; readonly upstream: string }>;
  /** The upstreams in force, with each target's passive-health state (server/upstream.ts). */
  upstreams(): ReadonlyArray<{
    readonly name: string;
    readonly failuresBeforeCooldown: number;
    readonly targets: ReadonlyArray<{ readonly origin: string; readonly consecutiveFailures: number }>;
  }>;
  /** 401/403 answers by consumer or client IP, per minute bucket (auth-failures.ts). */
  authFailures(): ReadonlyMap<string, { readonly labels: Readonly<Record<string, string>>; countSince(since: number): number; samples(): readonly string[] }>;
  /** Consumers' highest use of each rate limit per minute (limit-usage.ts). */
  limitUsage(): Iterable<LimitUsageSource>;
  /** The newest request ids of a route that were 5xx, slow or invalid (request-samples.ts). */
  requestSamples(route: string, kind: SampleKind): readonly string[];
  /** API keys past the key-age policy, per consumer (keys/aged-keys.ts); none without API keys. */
  agedKeys(): readonly ConsumerAgedKeys[];
  /** Alert sinks that have failed every delivery since `failingSince` (ms), and why. */
  failingSinks(): ReadonlyArray<{ readonly sink: string; readonly failingSince: number; readonly reason: string }>;
}

export interface RuleContext {
  readonly now: number;
  readonly history: MetricHistory;
  readonly events: EventWindow;
  readonly gateway: GatewayView;
  /** The rule's thresholds: its defaults with the config's overrides. */
  readonly thresholds: Readonly<Record<string, number>>;
  /** alerts.delivery.sinkFailingAfterSeconds (the meta-alert's threshold). */
  readonly sinkFailingAfterSeconds: number;
}

/** One label set the condition holds for, now. */
export interface Finding {
  readonly labels: Readonly<Record<string, string>>;
  readonly summary: string;
  readonly description: string;
  readonly value?: number;
  /** Overrides the rule's severity (certificate_expiry: by days left). */
  readonly severity?: AlertSeverity;
  readonly sampleRequestIds?: readonly string[];
}

export interface RuleEvaluator {
  /** Metric families read from the registry (exposition names). */
  readonly metrics: readonly string[];
  evaluate(context: RuleContext): Finding[];
}

/** A ratio as a percentage for humans: 0.2345 → "23.5 %". */
export const percent = (ratio: number): string => `${(ratio * 100).toFixed(1)} %`;
