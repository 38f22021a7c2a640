/**
 * Which rule alerts on each failure or fallback event of the catalogue (core/log-events.ts), and
 * why the others alert on nothing: issue 21's "no silent failure". docs/alerts.md#events-and-rules
 * shows this table; a test keeps the two in step and fails when a new `*_failed` or fallback event
 * appears in neither.
 */
import type { AlertRuleName } from '../core/alert-rules.js';
import type { LogEvent } from '../core/log-events.js';

/** Background failures counted by background_task_failed (each its own alert, labelled `event`). */
export const BACKGROUND_FAILURES = [
  'config.watch_failed',
  'config.old_pools_close_failed',
  'admin.token_last_used_flush_failed',
  'request.finish_callback_failed',
  'respond.policy_failed',
  'log.policy_failed',
  'contract.compile_fallback',
  'credentials.sweep_failed',
  'store.listener_failed',
  'store.changes_prune_failed',
  'audit.checkpoint_failed',
  'crl.renew_failed',
  'fields.usage_flush_failed',
  'inventory.traffic_flush_failed',
  'keys.last_used_flush_failed',
  'keys.enforcement_failed',
  'oauth.signing_key_rotation_failed',
  'oauth.endpoint_failed',
  'tls.reload_failed',
  'tls.watch_failed',
  'certificate.watch_failed',
  'ocsp.staple_failed',
  'audit.sink_deliverer_failed',
  'audit.denied_record_failed',
  'audit.config_record_failed',
  'alerts.reconfigure_failed',
  'geo.database_reload_failed',
  'tracing.export_failed',
  'store.heartbeat_failed',
  'assess.failed',
  // Losses: what was dropped will not come back, so each is an alert of its own.
  'log.lines_dropped',
  'audit.security_events_dropped',
  'alerts.notification_dropped',
] as const satisfies readonly LogEvent[];

/** Failure and fallback events alerted on by a rule (the rule reads the event, or the gauge the same failure sets). */
export const EVENT_RULES: Partial<Record<LogEvent, AlertRuleName>> = {
  ...Object.fromEntries(BACKGROUND_FAILURES.map((event) => [event, 'background_task_failed'])),
  'cluster.reload_failed': 'config_reload_rejected',
  'admin.auth_failed': 'admin_login_failures',
  'admin.login_failed': 'admin_login_failures',
  'admin.sso_failed': 'admin_login_failures',
  'admin.store_failed': 'store_unavailable',
  'credentials.refresh_failed': 'key_age',
  'ratelimit.store_unavailable': 'redis_unavailable',
  'jwks.fetch_failed': 'jwks_stale',
  'crl.refresh_failed': 'crl_stale',
  'crl.stale': 'crl_stale',
  'jwks.serving_stale': 'jwks_stale',
  'jwks.keys_expired': 'jwks_stale',
  'certificate.expired': 'certificate_expiry',
  'credentials.expired': 'credential_expiry',
  'credentials.unavailable': 'credential_expiry',
  'alerts.notification_failed': 'alert_sink_failing',
};

/** Failure events no rule alerts on, and why. */
export const EVENTS_NOT_ALERTED: Partial<Record<LogEvent, string>> = {
  'keys.expired_by_policy': 'The key-age enforcement the operator chose, working: key_age alerted on the key\'s consumer from the day the key passed its policy, through the whole grace; the expiry itself is in the audit trail (api_key.expire_by_policy).',
  'gateway.stop_failed': 'The process is exiting: its supervisor (systemd, Kubernetes) sees the exit code; nothing is left to send an alert.',
  'request.response_failed': 'A client went away while its response was sent: the client\'s connection, not a fault of the gateway (counted as status 0 in portcullis_requests_total).',
  'tls.handshake_failed': 'A client\'s failed TLS handshake (scanners, outdated clients), logged at debug: not a fault of the gateway; a certificate problem of the gateway\'s own is certificate_expiry.',
  'cluster.primary_lost': 'The worker drains and exits with its primary: the process is gone, so its supervisor (systemd, Kubernetes) sees the exit; nothing is left to send an alert.',
  'admin.sso_unavailable': 'The administrator signing in gets 503 admin.sso_unavailable at once (an outage of the identity provider, whose owners watch it); the data plane is untouched. Repeated sign-in failures are admin_login_failures.',
  'credentials.lock_unavailable': 'A fallback without loss: the node refreshes under its own single flight and the fencing check keeps the newest token; Redis itself is redis_unavailable.',
  'store.listen_lost': 'A fallback without loss: changes are polled until LISTEN is back; a store that does not answer is store_unavailable.',
  'dependency.unavailable': 'Logged for every dependency; the rules read the gauge it sets, portcullis_dependency_up, per dependency: store_unavailable, redis_unavailable, jwks_stale (issuers), crl_stale (CRL sources); the log is log.lines_dropped.',
  'ocsp.unavailable': 'A configuration the certificate does not support (no responder URL), found when it is loaded: nothing is stapled and clients check revocation themselves; no request fails.',
  'audit.sink_lease_lost': 'A handover: another process delivers to the audit sink from where this one stopped, nothing is lost; a sink that stops taking records is audit_sink_failing.',
  'alerts.evaluation_failed': 'The engine cannot report its own failure through itself: portcullis_alert_evaluations_total{outcome="failed"} and the exported Prometheus rule PortcullisAlertEvaluationFailing cover it.',
};

/**
 * Whether an event is a failure or fallback the table must cover: a `*_failed` name; a loss or an
 * outage (`*_dropped`, `*_lost`, `*_unavailable` or `.unavailable`); something served past its
 * time (`*stale`, `*expired`); or "fallback" in its name or meaning.
 */
export function mustBeCovered(event: string, meaning: string): boolean {
  return /_failed$/.test(event) || /[._](dropped|lost|unavailable)$/.test(event) || /(stale|expired)$/.test(event) || /fallback/i.test(event) || /fallback/i.test(meaning);
}
