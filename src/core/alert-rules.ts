/**
 * The catalogue of built-in alert rules: name, default severity, `for` duration and thresholds.
 * Like the log-event catalogue it is a contract (sinks, silences and dashboards key on the names),
 * documented rule by rule in docs/alerts.md (a test keeps the two in step). How each rule is
 * evaluated lives in alerts/rules/; the config (`alerts.rules.<name>`) overrides these defaults,
 * and config/alerts-schema.ts checks the names given there against this table.
 */

export type AlertRuleSeverity = 'critical' | 'warning' | 'info';

export interface AlertRuleSpec {
  readonly severity: AlertRuleSeverity;
  /** How long the condition must hold before the alert fires (Prometheus' `for`). */
  readonly forSeconds: number;
  /** Threshold values by name, in the unit the name says. */
  readonly thresholds: Readonly<Record<string, number>>;
  /** The labels its alerts carry (besides `rule`, `severity` and `node`). */
  readonly labels: readonly string[];
  /** One line: what it watches. */
  readonly watches: string;
}

export const ALERT_RULES = {
  route_error_ratio: {
    severity: 'critical',
    forSeconds: 60,
    thresholds: { fastWindowSeconds: 300, fastRatio: 0.1, slowWindowSeconds: 3600, slowRatio: 0.05, minRequests: 20 },
    labels: ['route', 'upstream'],
    watches: 'The 5xx ratio of one route: fast burn (fastRatio over fastWindowSeconds) or slow burn (slowRatio over slowWindowSeconds), each with at least minRequests requests in its window.',
  },
  upstream_down: {
    severity: 'critical',
    forSeconds: 30,
    thresholds: {},
    labels: ['upstream'],
    watches: 'Every target of an upstream has failed failuresBeforeCooldown times in a row (each in or past its cool-down, none answered since).',
  },
  latency_p99: {
    severity: 'warning',
    forSeconds: 300,
    thresholds: { p99Seconds: 2, windowSeconds: 300, minRequests: 20 },
    labels: ['route', 'upstream'],
    watches: 'The 99th percentile of a route\'s request duration over windowSeconds (from the latency histogram) above p99Seconds.',
  },
  auth_failure_spike: {
    severity: 'warning',
    forSeconds: 0,
    thresholds: { windowSeconds: 300, baselineSeconds: 3600, factor: 10, minFailures: 20 },
    labels: ['consumer', 'client_ip'],
    watches: '401/403 answers to one consumer or client IP within windowSeconds: at least minFailures and factor times its own rate over the baselineSeconds before.',
  },
  admin_login_failures: {
    severity: 'warning',
    forSeconds: 0,
    thresholds: { windowSeconds: 300, failures: 10 },
    labels: [],
    watches: 'Failed admin logins (admin.login_failed, admin.auth_failed, admin.sso_failed) within windowSeconds.',
  },
  brute_force_blocks: {
    severity: 'warning',
    forSeconds: 0,
    thresholds: { windowSeconds: 600, blocks: 1 },
    labels: ['scope'],
    watches: 'Clients or admin accounts blocked by brute-force protection (auth.client_blocked, admin.login_locked) within windowSeconds.',
  },
  rate_limit_saturation: {
    severity: 'warning',
    forSeconds: 300,
    thresholds: { ratio: 0.9, windowSeconds: 60 },
    labels: ['consumer', 'route', 'limit'],
    watches: 'A consumer at ratio (90 %) or more of a rate limit (the share of its burst spent; refused: 100 %), seen within the last windowSeconds at every evaluation for forSeconds. From 0.5 up: uses below half a limit are not reported by the request path.',
  },
  certificate_expiry: {
    severity: 'warning',
    forSeconds: 0,
    thresholds: { infoDays: 30, warningDays: 7, criticalDays: 1 },
    labels: ['kind', 'name', 'subject'],
    watches: 'A certificate the gateway knows (listener, upstream, client CA, partner certificates of the private CA) or the private CA\'s CRL (kind crl, by its nextUpdate) expires within infoDays (info), warningDays (warning) or criticalDays (critical), or has expired.',
  },
  credential_expiry: {
    severity: 'warning',
    forSeconds: 0,
    thresholds: {},
    labels: ['credential', 'reason'],
    watches: 'An upstream credential expiring or expired (credentials.expiring, credentials.expired), quarantined, revoked, or unavailable, until it is released or obtains a token again.',
  },
  key_age: {
    severity: 'info',
    forSeconds: 0,
    thresholds: { windowSeconds: 3600, refreshFailures: 3 },
    labels: ['consumer', 'credential'],
    watches: 'API keys past the key-age policy: a consumer (label consumer, its id) with usable keys (not revoked, expired or replaced by a rotation) created apiKeys.maxAgeDays days ago or more, or its own metadata.apiKeys.maxAgeDays; resolves when they are rotated or revoked. And token refreshes of an upstream credential failing (credentials.refresh_failed, label credential) refreshFailures times within windowSeconds while an older token is still used.',
  },
  provider_security_regression: {
    severity: 'warning',
    forSeconds: 0,
    thresholds: {},
    labels: ['upstream', 'reason'],
    watches: "An upstream's assessed grade dropped (reason grade_dropped: critical for two grades or more, to F, or below minimumGrade; else warning), or its certificate expires within 30 (info), 7 (warning) or 1 (critical) days (reason certificate_expiring): assess.provider_security_regression, until a later assessment logs assess.provider_security_recovered for it.",
  },
  store_unavailable: {
    severity: 'critical',
    forSeconds: 30,
    thresholds: {},
    labels: [],
    watches: 'The store does not answer (portcullis_dependency_up{dependency="store"} is 0).',
  },
  redis_unavailable: {
    severity: 'critical',
    forSeconds: 30,
    thresholds: {},
    labels: [],
    watches: 'Redis for rate limits does not answer: the policies\' onStoreFailure fallback is in use (portcullis_dependency_up{dependency="redis"} is 0).',
  },
  jwks_stale: {
    severity: 'warning',
    forSeconds: 60,
    thresholds: {},
    labels: ['issuer'],
    watches: 'A token issuer\'s discovery document or JWKS cannot be fetched: cached keys serve, or its tokens are refused.',
  },
  crl_stale: {
    severity: 'warning',
    forSeconds: 0,
    thresholds: {},
    labels: ['listener'],
    watches: 'A CRL cannot be refreshed (crl.refresh_failed) or is past its nextUpdate (crl.stale), until one loads again.',
  },
  config_reload_rejected: {
    severity: 'warning',
    forSeconds: 0,
    thresholds: {},
    labels: [],
    watches: 'The last reload was refused (config.reload_rejected): the running config is not the file\'s; resolves at the next accepted reload.',
  },
  audit_sink_failing: {
    severity: 'critical',
    forSeconds: 60,
    thresholds: {},
    labels: ['sink'],
    watches: 'An audit sink does not take records (portcullis_audit_sink_up is 0).',
  },
  egress_denied: {
    severity: 'warning',
    forSeconds: 0,
    thresholds: { windowSeconds: 300, denials: 1 },
    labels: ['upstream', 'reason'],
    watches: 'Outbound connections or requests the egress rules refused or would refuse, within windowSeconds.',
  },
  validation_failure_spike: {
    severity: 'warning',
    forSeconds: 0,
    thresholds: { windowSeconds: 300, failures: 50 },
    labels: ['route'],
    watches: 'Requests a route refused because they did not match its contract, within windowSeconds (someone probing).',
  },
  background_task_failed: {
    severity: 'warning',
    forSeconds: 0,
    thresholds: { windowSeconds: 900, occurrences: 1 },
    labels: ['event'],
    watches: 'A background task failed (a flush, a prune, a checkpoint, a certificate or geo reload, a key rotation, a policy bug), or something was lost for good (log lines, security events, an alert notification: *_dropped): occurrences of its event within windowSeconds (the table in docs/alerts.md#events-and-rules).',
  },
  alert_sink_failing: {
    severity: 'critical',
    forSeconds: 0,
    thresholds: {},
    labels: ['sink'],
    watches: 'An alert sink has failed every delivery for alerts.delivery.sinkFailingAfterSeconds: sent to every other sink.',
  },
} as const satisfies Record<string, AlertRuleSpec>;

export type AlertRuleName = keyof typeof ALERT_RULES;
export const ALERT_RULE_NAMES = Object.keys(ALERT_RULES) as AlertRuleName[];
