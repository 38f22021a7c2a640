/**
 * Prometheus metrics (prom-client), served on the admin listener at /metrics. One registry per
 * gateway, so tests and several gateways in one process do not mix their counts. Labels are
 * bounded: route and upstream names come from the config, statuses are grouped by class.
 * With `--workers N` the primary aggregates every worker's registry (server/cluster-primary.ts,
 * prom-client's AggregatorRegistry): counters and histograms are summed, and the gauges marked
 * `aggregator: 'min'` take the minimum (a dependency down in one worker is down; the nearest expiry).
 */
import { Counter, Gauge, Registry, collectDefaultMetrics } from 'prom-client';
import { SeriesHistogram, type HistogramSeries } from './series-histogram.js';
import { LogEventTap } from './log-tap.js';

/**
 * Bucket upper bounds, in seconds, of the latency histograms: the Prometheus client libraries'
 * default set (5 ms … 10 s). Kept because dashboards, SLO rules (`le="0.25"`) and
 * histogram_quantile() recipes are written against these bounds; 5 ms separates an answer the
 * gateway gives itself (a 401, a 429) from a proxied one, and 10 s covers the upstream timeouts
 * short of their 30 s default (slower lands in +Inf; `_sum`/`_count` still give the mean).
 * Eleven buckets per series keep the series count at routes × methods × status classes × 12.
 */
export const LATENCY_BUCKETS_SECONDS: readonly number[] = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

/** Methods that get their own `method` label value; any other is `other` (bounded cardinality). */
const METHOD_LABELS: ReadonlySet<string> = new Set(['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS']);

/** What one (route, method, status class) of requests updates, found once and reused per request. */
interface RequestSeries {
  readonly requestLabels: { readonly route: string; readonly status: string };
  /** Requests not yet added to portcullis_requests_total (added when /metrics is read). */
  pendingRequests: number;
  readonly duration: HistogramSeries;
  readonly upstream: HistogramSeries;
}

/** What the request path reports when a request is over (answered, refused, or the client gone). */
export interface RequestOutcome {
  /** The route's configured name, an internal route's name (`oauth-token`), or `(none)`: never the raw path. */
  readonly route: string;
  readonly method: string;
  /** The status sent, 0 when none was. */
  readonly status: number;
  /** From the request's arrival to the end of its response, on a monotonic clock. */
  readonly durationSeconds: number;
  /** From sending the request upstream to the response head (the attempt that answered); undefined when none did. */
  readonly upstreamSeconds: number | undefined;
  /** For a 401 or 403 answer: who was refused (the consumer when identified, else the client IP). */
  readonly refused?: { readonly consumer: string | undefined; readonly clientIp: string; readonly requestId: string } | undefined;
  /** The request's id, for the alert engine's sample ids (alerts/request-samples.ts). */
  readonly requestId?: string | undefined;
  /** The problem's `code` when the gateway answered with one (`validation.failed`, …). */
  readonly errorCode?: string | undefined;
}

export class GatewayMetrics {
  readonly registry = new Registry();
  /** Counted in each RequestSeries.pendingRequests and added here when scraped (collect), so a request does no label hashing. */
  readonly requests: Counter<'route' | 'status'> = new Counter({ name: 'portcullis_requests_total', help: 'Requests answered, by route and status class.', labelNames: ['route', 'status'] as const, registers: [this.registry], collect: (): void => this.#flushRequestCounts() });
  readonly requestDuration = new SeriesHistogram({ name: 'portcullis_request_duration_seconds', help: 'Time from a request\'s arrival to the end of its response, by route, method and status class.', labelNames: ['route', 'method', 'status'] as const, buckets: [...LATENCY_BUCKETS_SECONDS], registers: [this.registry] });
  readonly upstreamDuration = new SeriesHistogram({ name: 'portcullis_upstream_duration_seconds', help: 'Time from sending a request upstream to the response head (the attempt that answered), by route.', labelNames: ['route'] as const, buckets: [...LATENCY_BUCKETS_SECONDS], registers: [this.registry] });
  readonly locationMismatches = new Counter({ name: 'portcullis_geo_location_mismatch_total', help: 'Requests whose asserted country differed from their IP country.', labelNames: ['route', 'action'] as const, registers: [this.registry] });
  readonly contractPreparations = new Counter({ name: 'portcullis_contract_preparations_total', help: 'OpenAPI contracts made ready at start or reload, by source: memory, cache (a checked contract-cache entry), compiled (in a worker thread), failed, fallback (compiled on the serving thread).', labelNames: ['source'] as const, registers: [this.registry] });
  readonly contractCacheRefused = new Counter({ name: 'portcullis_contract_cache_refused_total', help: 'Times the contract cache was not trusted (wrong owner or mode, digest or content mismatch) or could not be written, by reason.', labelNames: ['reason'] as const, registers: [this.registry] });
  readonly validationFailures = new Counter({ name: 'portcullis_validation_failures_total', help: 'Requests refused because they did not match the API contract.', labelNames: ['route'] as const, registers: [this.registry] });
  readonly contractViolations = new Counter({ name: 'portcullis_response_contract_violations_total', help: 'Upstream responses that did not match the API contract, reported or blocked.', labelNames: ['route', 'action'] as const, registers: [this.registry] });
  readonly egressDenials = new Counter({ name: 'portcullis_egress_denied_total', help: 'Outbound connections or upstream requests the egress rules refused (mode enforce) or would have refused (mode report), by upstream (empty for the gateway\'s own fetches), purpose, reason and mode.', labelNames: ['upstream', 'purpose', 'reason', 'mode'] as const, registers: [this.registry] });
  readonly upstreamErrorsNormalized = new Counter({ name: 'portcullis_upstream_errors_normalized_total', help: 'Upstream error responses replaced by upstream.* problems, by upstream and code.', labelNames: ['upstream', 'code'] as const, registers: [this.registry] });
  readonly targetCooldowns = new Counter({ name: 'portcullis_upstream_target_cooldowns_total', help: 'Times an upstream target was put in cool-down after failures.', labelNames: ['upstream'] as const, registers: [this.registry] });
  readonly tokensRejected = new Counter({ name: 'portcullis_jwt_rejected_total', help: 'Bearer tokens refused by auth-jwt, by route and error code.', labelNames: ['route', 'code'] as const, registers: [this.registry] });
  readonly oauthRequests = new Counter({ name: 'portcullis_oauth_requests_total', help: 'Token, revocation and introspection requests to the built-in authorization server, by endpoint and outcome (ok or the OAuth error code).', labelNames: ['endpoint', 'outcome'] as const, registers: [this.registry] });
  readonly jwksFetches = new Counter({ name: 'portcullis_jwks_fetches_total', help: 'Discovery/JWKS fetches of token issuers, by issuer and outcome (ok, error).', labelNames: ['issuer', 'outcome'] as const, registers: [this.registry] });
  readonly staleKeysUsed = new Counter({ name: 'portcullis_jwks_stale_keys_used_total', help: 'Token verifications that used last-good issuer keys while the provider was unreachable.', labelNames: ['issuer'] as const, registers: [this.registry] });

  readonly crlRefreshes = new Counter({ name: 'portcullis_crl_refresh_total', help: 'CRL loads and fetches, by listener, source and result (ok | failed).', labelNames: ['listener', 'source', 'result'] as const, registers: [this.registry] });
  readonly revocationUnknown = new Counter({ name: 'portcullis_client_cert_revocation_unknown_total', help: 'Client certificates with no current CRL, by listener and action (refused | allowed).', labelNames: ['listener', 'action'] as const, registers: [this.registry] });
  readonly ocspRefreshes = new Counter({ name: 'portcullis_ocsp_staple_refresh_total', help: 'OCSP responses fetched for stapling, by listener and result (ok | failed).', labelNames: ['listener', 'result'] as const, registers: [this.registry] });
  readonly adminSsoLogins = new Counter({ name: 'portcullis_admin_sso_logins_total', help: 'Admin single sign-ons, by outcome: signed_in, mfa_required (our second factor asked for), refused (no mapped role, domain, conflict, disabled), failed (state, binding, code or ID token not valid), unavailable (the identity provider could not be reached).', labelNames: ['outcome'] as const, registers: [this.registry] });
  readonly adminRefused = new Counter({ name: 'portcullis_admin_requests_refused_total', help: 'Requests the admin listener refused before authentication, by reason (allowlist | client_certificate).', labelNames: ['reason'] as const, registers: [this.registry] });
  readonly renegotiationsRefused = new Counter({ name: 'portcullis_tls_renegotiation_refused_total', help: 'Client-initiated TLS renegotiations refused (the connection is closed), by listener.', labelNames: ['listener'] as const, registers: [this.registry] });
  readonly certificateExpiry = new Gauge({ name: 'portcullis_certificate_expiry_seconds', help: 'Seconds until each known certificate expires (negative: expired).', labelNames: ['kind', 'name', 'subject', 'serial'] as const, aggregator: 'min', registers: [this.registry] });

  readonly rateLimited = new Counter({ name: 'portcullis_ratelimit_refused_total', help: 'Requests refused by a rate or concurrency limit, by route and limit name.', labelNames: ['route', 'limit'] as const, registers: [this.registry] });
  readonly credentialUnavailable = new Counter({ name: 'portcullis_upstream_credential_unavailable_total', help: 'Requests answered 503 upstream.credential_unavailable because no valid upstream credential could be had, by credential and reason.', labelNames: ['credential', 'reason'] as const, registers: [this.registry] });
  readonly credentialTokenRequests = new Counter({ name: 'portcullis_upstream_credential_token_requests_total', help: 'Token requests made for upstream credentials, by credential and outcome (ok, refused, failed, fenced).', labelNames: ['credential', 'outcome'] as const, registers: [this.registry] });
  readonly rateLimitFallbacks = new Counter({ name: 'portcullis_ratelimit_fallback_total', help: 'Limit decisions taken by the fallback because Redis (or, under --workers, the primary) failed, by route and mode.', labelNames: ['route', 'mode'] as const, registers: [this.registry] });
  readonly counterCallsFailed = new Counter({ name: 'portcullis_counter_host_failed_calls_total', help: 'Under --workers: calls to the primary\'s counters that got no answer in time and were answered by a fallback, by call (consume, acquire, failure).', labelNames: ['call'] as const, registers: [this.registry] });
  readonly rateLimitStoreUp = new Gauge({ name: 'portcullis_ratelimit_store_up', help: '1 while the shared rate-limit store (Redis) answers, 0 while it does not.', aggregator: 'min', registers: [this.registry] });
  readonly dependencyUp = new Gauge({ name: 'portcullis_dependency_up', help: '1 while a dependency (store, redis, issuer:<url>, crl:<listener>, log) answers, 0 while it does not.', labelNames: ['dependency'] as const, aggregator: 'min', registers: [this.registry] });
  readonly dependencyFailures = new Counter({ name: 'portcullis_dependency_failures_total', help: 'Failed attempts to use a dependency (a lost connection, a timeout, a refused connection).', labelNames: ['dependency'] as const, registers: [this.registry] });
  readonly tracingSpansFailed = new Counter({ name: 'portcullis_tracing_spans_failed_total', help: 'Spans lost because their export to the OTLP endpoint failed (unreachable, refused, timed out).', registers: [this.registry] });
  readonly logLinesDropped = new Counter({ name: 'portcullis_log_lines_dropped_total', help: 'Log lines dropped because the log destination did not keep up (its buffer was full) or was gone.', registers: [this.registry] });
  /** Read when /metrics is scraped (set by the gateway that owns the destination). */
  #logBuffered: () => number = () => 0;
  readonly logBufferedBytes: Gauge = new Gauge({ name: 'portcullis_log_buffered_bytes', help: 'Log output waiting in memory for the log reader (bounded by logging.maxBufferBytes).', registers: [this.registry], collect: (): void => this.logBufferedBytes.set(this.#logBuffered()) });
  readonly shed = new Counter({ name: 'portcullis_overload_shed_total', help: 'Requests refused early with 503 overloaded.', registers: [this.registry] });

  /** The catalogued events the gateway's loggers log (the alert engine counts them). */
  readonly logEvents: LogEventTap;

  constructor(options: { processMetrics: boolean; logEvents?: LogEventTap } = { processMetrics: true }) {
    this.logEvents = options.logEvents ?? new LogEventTap();
    if (options.processMetrics) collectDefaultMetrics({ register: this.registry, prefix: 'portcullis_' });
  }

  /** Where the ratelimit policy's usage reports go (the alert engine, for rate_limit_saturation). */
  #limitUsage: ((route: string, limit: string, consumer: string, used: number) => void) | undefined;

  /** Sends the ratelimit policy's usage reports (core/services.ts `usage`) to `listener`; not a /metrics series (one per consumer). */
  reportLimitUsageTo(listener: (route: string, limit: string, consumer: string, used: number) => void): void {
    this.#limitUsage = listener;
  }

  /** A consumer's use of a limit (share of its burst, from USAGE_REPORT_FLOOR up). */
  limitUsage(route: string, limit: string, consumer: string, used: number): void {
    this.#limitUsage?.(route, limit, consumer, used);
  }

  /** Where portcullis_log_buffered_bytes is read from: the log destination's waiting bytes. */
  readLogBufferFrom(buffered: () => number): void {
    this.#logBuffered = buffered;
  }

  /** The counters a listener's TLS state reports to. */
  listenerTls(listener: string): { crlRefresh(source: string, result: 'ok' | 'failed'): void; revocationUnknown(listener: string, action: 'refused' | 'allowed'): void; ocspRefresh(result: 'ok' | 'failed'): void } {
    return {
      ocspRefresh: (result) => this.ocspRefreshes.inc({ listener, result }),
      crlRefresh: (source, result) => this.crlRefreshes.inc({ listener, source, result }),
      revocationUnknown: (name, action) => this.revocationUnknown.inc({ listener: name, action }),
    };
  }

  /**
   * Counts a finished request and observes its latencies. The hot path: the series are looked up
   * without building a key (#seriesFor) and updated in place; the request count reaches the
   * prom-client counter when /metrics is read.
   */
  requestEnded(outcome: RequestOutcome): void {
    const series = this.#seriesFor(outcome.route, outcome.method, outcome.status);
    series.pendingRequests += 1;
    series.duration.observe(outcome.durationSeconds);
    if (outcome.upstreamSeconds !== undefined) series.upstream.observe(outcome.upstreamSeconds);
  }

  #flushRequestCounts(): void {
    for (const series of this.#seriesInOrder) {
      if (series.pendingRequests === 0) continue;
      this.requests.inc(series.requestLabels, series.pendingRequests);
      series.pendingRequests = 0;
    }
  }

  /**
   * Label sets of the request series, by route, then method label, then status class (0 … 9):
   * nested maps so a lookup builds no key string. Bounded like the exposed series themselves:
   * routes come from the config (a route removed by a reload keeps its series, as before), methods
   * are grouped into 8 labels and statuses into classes.
   */
  readonly #series = new Map<string, Map<string, Array<RequestSeries | undefined>>>();
  /** The same series in first-use order, the order prom-client lists them in (kept for the flush). */
  readonly #seriesInOrder: RequestSeries[] = [];

  #seriesFor(route: string, rawMethod: string, status: number): RequestSeries {
    const method = METHOD_LABELS.has(rawMethod) ? rawMethod : 'other';
    const statusIndex = status === 0 ? 0 : Math.floor(status / 100);
    let byMethod = this.#series.get(route);
    if (byMethod === undefined) {
      byMethod = new Map();
      this.#series.set(route, byMethod);
    }
    let byStatus = byMethod.get(method);
    if (byStatus === undefined) { byStatus = []; byMethod.set(method, byStatus); }
    let series = byStatus[statusIndex];
    if (series === undefined) {
      const statusLabel = GatewayMetrics.statusClass(status);
      series = { requestLabels: { route, status: statusLabel }, pendingRequests: 0, duration: this.requestDuration.series({ route, method, status: statusLabel }), upstream: this.upstreamDuration.series({ route }) };
      byStatus[statusIndex] = series;
      this.#seriesInOrder.push(series);
    }
    return series;
  }

  /** 0 (no response), 1xx … 5xx */
  static statusClass(status: number): string {
    return status === 0 ? '0' : `${Math.floor(status / 100)}xx`;
  }
}
