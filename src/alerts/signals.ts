/**
 * What the alert engine learns from the request path and the log besides metrics: watched log
 * events, refused requests (auth_failure_spike's per-source counts), rate-limit usage
 * (rate_limit_saturation) and sample request ids (named in notifications). In one process the
 * engine keeps them itself; under `--workers N` only the lead worker evaluates, so every other
 * worker forwards them to it through the primary (server/alert-signal-batcher.ts), small plain
 * objects that survive the IPC channel's JSON. Metrics travel apart (metric-history.ts).
 */
import type { SampleKind } from './request-samples.js';

export type AlertSignal =
  /** A watched log event, with only the fields kept (event-window.ts watchedFields). */
  | { readonly type: 'event'; readonly event: string; readonly fields: Readonly<Record<string, string>> }
  /** A request refused with 401/403: by consumer when identified, else by client IP. */
  | { readonly type: 'auth_failure'; readonly consumer?: string | undefined; readonly clientIp: string; readonly requestId?: string | undefined }
  /** A consumer's share of a rate limit (at 50 % or more). */
  | { readonly type: 'limit_usage'; readonly route: string; readonly limit: string; readonly consumer: string; readonly used: number }
  /** A request that is a sample of its route (5xx, slow, refused by the contract). */
  | { readonly type: 'sample'; readonly route: string; readonly kind: SampleKind; readonly requestId: string };
