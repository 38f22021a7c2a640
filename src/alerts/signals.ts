/**
 * What the alert engine learns from the request path and the log besides metrics: watched log
 * events, refused requests (auth_failure_spike's per-source counts), rate-limit usage
 * (rate_limit_saturation) and sample request ids (named in notifications). In one process the
 * engine keeps them itself; under `--workers N` only the lead worker evaluates, so every other
 * worker forwards them to it through the primary (server/alert-signal-batcher.ts), small plain
 * objects that survive the IPC channel's JSON. Metrics travel apart (metric-history.ts).
 *
 * Each signal can stand for several occurrences, so a worker coalesces before it sends
 * (server/alert-signal-coalescer.ts): a count of refused requests, the highest usage, the last
 * sample ids. `at` (epoch ms) is when it happened (the last occurrence), not when it reached the
 * lead: a batch that waited still counts in its minute.
 */
import type { SampleKind } from './request-samples.js';

export type AlertSignal =
  /** A watched log event, with only the fields kept (event-window.ts watchedFields). */
  | { readonly type: 'event'; readonly event: string; readonly fields: Readonly<Record<string, string>>; readonly at: number }
  /** `count` requests refused with 401/403: by consumer when identified, else by client IP; a few of their ids. */
  | { readonly type: 'auth_failure'; readonly consumer?: string | undefined; readonly clientIp: string; readonly count: number; readonly requestIds: readonly string[]; readonly at: number }
  /** A consumer's highest share of a rate limit (at 50 % or more). */
  | { readonly type: 'limit_usage'; readonly route: string; readonly limit: string; readonly consumer: string; readonly used: number; readonly at: number }
  /** Requests that are samples of their route (5xx, slow, refused by the contract), oldest first. */
  | { readonly type: 'sample'; readonly route: string; readonly kind: SampleKind; readonly requestIds: readonly string[] };
