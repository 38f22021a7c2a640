/**
 * The catalogue of log events: every `event` a log line may carry, with its level and meaning.
 * Alerts and dashboards key on these names, so they are a contract like the error codes: one
 * table here, documented in docs/logging.md (a test keeps the two in step, both ways).
 *
 * The logger the code receives (EventLogger) only accepts a record whose `event` is in the table
 * *at the level it is logged at*: a misspelt name, a new name missing from the table, or an event
 * logged at another level than the table says is a compile error. Access-log lines
 * (`type: "access"`) are the request log rather than events; they may carry an event (a request
 * the parser refused) but need not.
 */
import type { Logger as PinoLogger } from 'pino';

export type LogLevel = 'fatal' | 'error' | 'warn' | 'info' | 'debug';

interface EventSpec {
  readonly level: LogLevel;
  /** What happened, and what it means for an operator. */
  readonly meaning: string;
}

export const LOG_EVENTS = {
  // Lifecycle
  'gateway.started': { level: 'info', meaning: 'The gateway listens: its listeners, the admin URL and the number of routes.' },
  'gateway.overloaded': { level: 'warn', meaning: 'In-flight requests reached `overload.maxInFlight`: new requests are shed with 503 until the count drops.' },
  'gateway.draining': { level: 'info', meaning: 'Shutdown began: listeners closed, in-flight requests are finishing.' },
  'gateway.drain_timeout': { level: 'warn', meaning: 'The drain deadline passed with requests still in flight: their connections were closed.' },
  'gateway.stopped': { level: 'info', meaning: 'Shutdown finished.' },
  'gateway.forced_exit': { level: 'warn', meaning: 'A second stop signal arrived: the process exits without draining.' },
  'gateway.stop_timeout': { level: 'error', meaning: 'Shutdown did not finish within its grace period (a dependency hangs): the process exits anyway.' },
  'gateway.stop_failed': { level: 'error', meaning: 'Shutdown failed; the process exits with an error.' },
  'process.crashed': { level: 'fatal', meaning: 'An uncaught exception or unhandled rejection ended the process; the record carries the error and stack.' },
  'security.brute_force_disabled': { level: 'warn', meaning: 'Brute-force protection is off (`bruteForce.enabled: false`): clients failing authentication are never blocked.' },
  // Workers (--workers N: server/cluster-primary.ts, cluster-worker.ts)
  'cluster.started': { level: 'info', meaning: '`--workers N`: every worker started; the primary supervises them.' },
  'cluster.worker_started': { level: 'info', meaning: '`--workers N`: a worker (its `slot`, `pid`, listeners) started serving, at start or as a replacement.' },
  'cluster.worker_exited': { level: 'warn', meaning: '`--workers N`: a worker exited while the gateway was not stopping; it is replaced after `restartInMs` (0 at once; longer while workers keep exiting: `streak`).' },
  'cluster.worker_channel_error': { level: 'warn', meaning: '`--workers N`: a message to a worker could not be delivered (its channel closed as it exited): logged, never fatal to the primary; the worker\'s exit is handled as usual.' },
  'cluster.reloaded': { level: 'info', meaning: '`--workers N`: a reload (SIGHUP or a watched file) is in force in every worker; reported once, by the primary.' },
  'cluster.reload_failed': { level: 'error', meaning: '`--workers N`: a validated config could not be applied in some workers (`failures`, `unanswered`): they keep their previous config.' },
  'cluster.metrics_local': { level: 'warn', meaning: '`--workers N`: the primary did not answer the lead worker for /metrics: that answer holds the lead worker\'s metrics only.' },
  'cluster.primary_lost': { level: 'error', meaning: '`--workers N`: a worker lost its primary process (killed?): it drains and exits.' },
  'cluster.stopping': { level: 'info', meaning: '`--workers N`: a stop signal reached the primary: every worker drains its in-flight requests.' },
  'cluster.stop_timeout': { level: 'error', meaning: '`--workers N`: workers still running after the drain deadline and grace period were killed; the primary exits 1.' },
  'cluster.stopped': { level: 'info', meaning: '`--workers N`: every worker stopped; the primary exits.' },
  // Config and reload
  'config.reloaded': { level: 'info', meaning: 'A new config is in force (SIGHUP or a watched file changed).' },
  'config.reload_rejected': { level: 'error', meaning: 'A new config was invalid or could not be applied: the previous config keeps serving.' },
  'config.restart_required': { level: 'warn', meaning: 'A reload changed sections that take effect only after a restart; they are named.' },
  'config.watch_failed': { level: 'error', meaning: 'A config or policy file folder cannot be watched: reload with SIGHUP.' },
  'config.old_pools_close_failed': { level: 'warn', meaning: 'Closing the previous config\'s upstream pools after a reload failed.' },
  // Admin API
  'admin.disabled': { level: 'warn', meaning: 'The admin listener is off (`admin.enabled: false`): no /healthz, /readyz, /metrics or admin API.' },
  'admin.exposed': { level: 'warn', meaning: 'The admin API listens beyond loopback: keep it on a management network.' },
  'admin.console_missing': { level: 'warn', meaning: 'admin.console.enabled, but this installation has no built console (dist/console; `npm run build` makes it): /console/ answers 404.' },
  'admin.request_refused': { level: 'warn', meaning: 'The admin listener refused a request before authentication: its client address is outside `admin.allowlist` (`reason: allowlist`), or its client certificate is missing, invalid or revoked (`reason: client_certificate`, `code` says which).' },
  'admin.auth_failed': { level: 'warn', meaning: 'An admin API request had a missing or wrong credential (`reason` says which, `authenticator` which kind).' },
  'admin.bootstrap_token_refused': { level: 'warn', meaning: 'The bootstrap token (`admin.token`) was presented after an owner exists and it was disabled: someone still uses it; see docs/admin.md#bootstrap-and-break-glass.' },
  'admin.bootstrap_token_kept': { level: 'warn', meaning: '`admin.bootstrapToken.keepEnabled` is true: the bootstrap token keeps opening everything after an owner exists.' },
  'admin.break_glass': { level: 'warn', meaning: '`portcullis admin break-glass` re-enabled the bootstrap token from the host (alert on this): `until` says when it turns itself off again.' },
  'admin.token_last_used_flush_failed': { level: 'warn', meaning: "Admin tokens' last-used times could not be written; kept for the next flush." },
  'admin.login_succeeded': { level: 'info', meaning: 'An admin user logged in: user id, session id, method (password, password+totp, password+recovery, sso…) and client address.' },
  'admin.login_failed': { level: 'warn', meaning: 'A login or step-up failed (unknown name, wrong password or second factor, replayed code); the name as typed and the client address, never the password or code.' },
  'admin.passkey_counter_regressed': { level: 'warn', meaning: 'A passkey assertion carried a sign counter no greater than the stored one (WebAuthn §6.1.1: a cloned authenticator, or a replay); refused as a failed second factor. The user and passkey ids.' },
  'admin.login_locked': { level: 'warn', meaning: 'Brute-force limits locked an account, an address or the pair for `admin.login.lockoutMinutes` (it releases itself).' },
  'admin.sso_failed': { level: 'warn', meaning: 'A single sign-on could not be completed (`reason`: unknown, used or expired state, binding cookie mismatch, provider error, code not redeemed, ID token not valid); answered 401 admin.sso_failed.' },
  'admin.sso_refused': { level: 'warn', meaning: 'A provider-verified identity may not sign in (`code`: admin.sso_no_role, admin.sso_refused, admin.sso_account_conflict; `subject`, `reason`).' },
  'admin.sso_unavailable': { level: 'error', meaning: 'The identity provider of admin.sso could not be reached or failed (discovery, token endpoint, JWKS); answered 503 admin.sso_unavailable.' },
  'admin.sso_provisioned': { level: 'info', meaning: 'A first single sign-on created an admin user (`userId`, `name`, `roles`) linked to the provider identity.' },
  'admin.sso_roles_changed': { level: 'info', meaning: "A single sign-on brought a user's roles in line with the provider's groups (`before`, `after`)." },
  'admin.csrf_refused': { level: 'warn', meaning: 'A cookie-authenticated state-changing request lacked its CSRF token or came from a foreign Origin.' },
  'admin.store_failed': { level: 'error', meaning: 'An admin API request failed because the store failed (answered 503).' },
  'admin.internal_error': { level: 'error', meaning: 'A bug while answering an admin API request (answered 500 `internal`); the record has the error.' },
  // Requests
  'request.rejected_by_parser': { level: 'info', meaning: 'Access line for a request the HTTP parser refused (head too large or too slow, unparseable), answered with a problem.' },
  'request.cut_off_by_parser': { level: 'warn', meaning: 'The HTTP parser failed while a response was already under way: the connection was cut (access line with status 0).' },
  'request.method_not_implemented': { level: 'info', meaning: 'Access line for a CONNECT request, answered 501 (a reverse proxy opens no tunnels).' },
  'request.after_framing_fault': { level: 'warn', meaning: 'A request read after one with faulty framing was dropped (request smuggling defence).' },
  'request.internal_error': { level: 'error', meaning: 'A bug while handling a request: answered 500 `internal`; the record has the error.' },
  'request.response_failed': { level: 'error', meaning: 'A response could not be sent.' },
  'request.finish_callback_failed': { level: 'error', meaning: 'A policy failed while a request ended (releasing a concurrency slot, say).' },
  'respond.policy_failed': { level: 'error', meaning: 'A respond-phase policy failed on a problem response.' },
  'log.policy_failed': { level: 'error', meaning: 'A log-phase policy failed.' },
  'auth.client_blocked': { level: 'warn', meaning: 'A client IP failed authentication too often: it is refused (429) for the block time.' },
  'contract.prepared': { level: 'info', meaning: 'An OpenAPI contract the config uses is ready, and from where: `memory` (known in this process), `cache` (a checked contract-cache entry), `compiled` (whole, in a worker thread) or `failed` (it does not compile: the config check reports why).' },
  'contract.cache_refused': { level: 'warn', meaning: 'The contract cache was not used (its folder or file is owned by another user, writable by others, not a plain file, or its content does not match its digest or the contract), or could not be written: the contract was compiled whole instead.' },
  'contract.compile_fallback': { level: 'warn', meaning: 'A contract could not be compiled in a worker thread: it was compiled on the serving thread instead (requests wait meanwhile).' },
  'validate.contract_loaded': { level: 'debug', meaning: 'An OpenAPI contract was compiled: how many operations, how long it took.' },
  'validate.response_drift': { level: 'warn', meaning: 'An upstream response does not match the contract (reported, or blocked with 502 in block mode).' },
  // Upstreams
  'upstream.retry': { level: 'warn', meaning: 'An idempotent request is retried on the next target after a connection failure.' },
  'assess.completed': { level: 'info', meaning: 'A scheduled assessment of an upstream finished: its grade, the previous one, and the findings counted (docs/assess.md#continuous-mode).' },
  'assess.provider_security_regression': { level: 'warn', meaning: "An upstream's grade dropped since its previous assessment, or its certificate now expires within 30, 7 or 1 days: alert provider_security_regression." },
  'assess.provider_security_recovered': { level: 'info', meaning: "A later assessment ended an upstream's regression: the grade is back at its level before the drop (or at minimumGrade), or the certificate no longer expires within 30 days: alert provider_security_regression resolves." },
  'assess.failed': { level: 'warn', meaning: 'A scheduled assessment of an upstream could not run (unreachable, refused by the egress rules, the result not stored): the previous grade stays in force.' },
  'upstream.target_cooldown': { level: 'warn', meaning: 'An upstream target failed repeatedly: it gets no requests for the cool-down.' },
  'upstream.target_recovered': { level: 'info', meaning: 'An upstream target in cool-down answered again.' },
  'upstream.error_normalized': { level: 'debug', meaning: "An upstream error response was replaced by an upstream.* problem (`upstreams.<name>.errors.mode: normalize`): its status and its raw body (at most 4 KiB), which only this debug line carries." },
  // Egress control (docs/outbound.md)
  'egress.denied': { level: 'warn', meaning: 'An outbound connection (or, for an upstream with methods/pathPrefixes, a request) was refused by the egress rules: `reason` (host_not_declared, port_not_declared, scheme_not_allowed, address_blocked, method_not_allowed, path_not_allowed), purpose, upstream, host, port and the resolved address and its class.' },
  'egress.would_deny': { level: 'warn', meaning: '`egress.mode: report`: an outbound connection or request the egress rules would refuse went ahead; the same fields as egress.denied. Clear these before turning on enforce.' },
  // Upstream credentials (credentials/: issue 19)
  'credentials.token_obtained': { level: 'info', meaning: 'An upstream credential obtained a token from its token endpoint (`credential`, `grant`, `expiresInSeconds`, `tokenVersion`); never the token.' },
  'credentials.token_adopted': { level: 'debug', meaning: 'A node took the tokens another node (or an earlier refresh) stored for a credential instead of asking the token endpoint itself.' },
  'credentials.refresh_failed': { level: 'warn', meaning: 'A token request for an upstream credential failed (endpoint down, timeout, an error answer other than invalid_grant/invalid_client): a still-valid token keeps being used; none is past its expiry.' },
  'credentials.unavailable': { level: 'error', meaning: 'No valid token could be had for an upstream credential: the request was answered 503 `upstream.credential_unavailable` and nothing was sent upstream. Alert on it.' },
  'credentials.revoked': { level: 'warn', meaning: 'An upstream credential was revoked (`reason`: `invalid_grant` or `invalid_client` from the token endpoint, `consumer_disabled`, or an operator\'s reason such as `leaked`): it is never used or refreshed again.' },
  'credentials.quarantined': { level: 'warn', meaning: 'An upstream credential was quarantined after `credentials.quarantineAfter` consecutive 401/403 answers from the upstream: requests get 503 until an operator releases or replaces it.' },
  'credentials.released': { level: 'info', meaning: 'A quarantined upstream credential was released by an operator and is injected again.' },
  'credentials.refresh_fenced': { level: 'warn', meaning: 'A refresh lost the fencing check (another node stored newer tokens while this one refreshed, its lock having lapsed): the newer tokens were kept, not overwritten.' },
  'credentials.legacy_sealed': { level: 'warn', meaning: 'Stored tokens of an upstream credential were opened with `credentials.tokenEncryptionKey` (sealed before the vault was configured): they are re-sealed by the vault at the next refresh or `portcullis vault rotate-kek`; keep the key configured until none is left.' },
  'credentials.tokens_resealed': { level: 'info', meaning: '`portcullis vault rotate-kek` re-wrapped the data keys of stored upstream credential tokens with the current KEK, and re-sealed those still sealed with `credentials.tokenEncryptionKey` (`rewrapped`, `resealed`, `remaining`).' },
  'credentials.sweep_done': { level: 'info', meaning: 'A lifecycle sweep of the upstream credentials finished (`at`: the gateway clock\'s time it judged by): expiries, disuse and notices are applied as of then.' },
  'credentials.lock_unavailable': { level: 'warn', meaning: 'The cross-node refresh lock (Redis) could not be taken or checked: this node refreshed under its own single flight only; the fencing check still keeps the newest tokens.' },
  'credentials.forced_refresh': { level: 'info', meaning: 'The upstream answered 401 to a request with a token that had not expired: one forced refresh, and the idempotent request retried once with the new token.' },
  'credentials.upstream_rejected': { level: 'warn', meaning: 'The upstream answered 401 or 403 to a request carrying an upstream credential (`consecutive` so far); at `credentials.quarantineAfter` the credential is quarantined.' },
  'credentials.expiring': { level: 'warn', meaning: 'An upstream credential expires (by `expiresAt` or `maxAgeDays`) within a notice threshold (`noticeDays`: 30, 7, 1 by default): replace or renew it. Logged once per threshold per process.' },
  'credentials.expired': { level: 'warn', meaning: 'An upstream credential reached its `expiresAt`, its `maxAgeDays`, or was unused for `disableIfUnusedDays`: marked expired, never injected again.' },
  'credentials.sweep_failed': { level: 'error', meaning: 'The lifecycle sweep of upstream credentials (expiry, notices, unused) could not run (the store failed); it is tried again at the next interval.' },
  // Dependencies and the store
  'dependency.unavailable': { level: 'error', meaning: 'A dependency (store, Redis, an issuer, a CRL source, the log) fails; repeated at most every 30 s while it lasts.' },
  'dependency.available_again': { level: 'info', meaning: 'A dependency answers again, with how long the outage lasted.' },
  'store.heartbeat_failed': { level: 'warn', meaning: 'This node\'s heartbeat (gateway_nodes: its id, version and config hash) could not be written; logged once per outage, tried again at the next beat.' },
  'store.migrated': { level: 'info', meaning: 'A store migration was applied at start.' },
  'store.schema_newer': { level: 'warn', meaning: 'The store was migrated by a newer release (a rolling upgrade or a rollback): this release runs on that schema, migrating nothing.' },
  'store.unreachable': { level: 'error', meaning: 'The store cannot be reached: API keys or OAuth state are served as last loaded.' },
  'store.reachable_again': { level: 'info', meaning: 'The store answers again: its changes are followed again.' },
  'store.changed': { level: 'info', meaning: 'A unit of work committed: actor, action, new revision and the changed entities (the admin actions among them).' },
  'store.listener_failed': { level: 'error', meaning: 'An after-commit listener threw; the write itself stands.' },
  'store.changes_pruned': { level: 'info', meaning: 'Change-feed rows older than `store.changeRetentionSeconds` were deleted.' },
  'store.changes_prune_failed': { level: 'warn', meaning: 'Old change-feed rows could not be deleted; tried again later.' },
  'store.change_feed_reload': { level: 'warn', meaning: 'Changes after this node\'s revision were already pruned: it reloads everything from the store.' },
  'store.listen_lost': { level: 'warn', meaning: 'The PostgreSQL LISTEN connection is lost: changes are polled until it is back.' },
  'store.listen_resumed': { level: 'info', meaning: 'Listening for store changes again (PostgreSQL LISTEN/NOTIFY).' },
  // Audit trail (docs/audit.md)
  'audit.checkpoint_signed': { level: 'info', meaning: 'A signed checkpoint now anchors the audit records `fromSeq`..`toSeq` (key `keyId`).' },
  'audit.checkpoint_failed': { level: 'error', meaning: 'An audit checkpoint could not be made (the store failed); the next check tries again, and records stay "not yet anchored" meanwhile.' },
  'audit.checkpoints_off': { level: 'warn', meaning: 'No `audit.signingKey` (or `signingKeyFile`) is configured: no checkpoint is signed and `portcullis audit verify` reports every record as not yet anchored.' },
  'keys.loaded': { level: 'info', meaning: 'The API-key index was loaded at start: how many keys, at which revision.' },
  'fields.usage_flush_failed': { level: 'warn', meaning: 'Field-usage counts could not be written; kept and retried at the next flush.' },
  'inventory.traffic_flush_failed': { level: 'warn', meaning: 'Route traffic counts (the inventory\'s figures) could not be written; kept and retried at the next flush.' },
  'keys.last_used_flush_failed': { level: 'warn', meaning: 'Key last-used times could not be written; retried later.' },
  'keys.expired_by_policy': { level: 'warn', meaning: 'Key-age enforcement (apiKeys.enforcement.mode: expire) expired an API key past its consumer\'s key-age policy and the grace (keyId, consumerId, maxAgeDays, graceDays, policyExpiresAt, expiredAt); audited as api_key.expire_by_policy, actor system.' },
  'keys.enforcement_failed': { level: 'error', meaning: 'The key-age enforcement sweep could not finish (the store failed); every node still refuses the keys it should expire, and the sweep is tried again at the next interval.' },
  'ratelimit.store_unavailable': { level: 'error', meaning: 'Redis for rate limits is unreachable: policies apply their `onStoreFailure` fallback.' },
  'ratelimit.store_recovered': { level: 'warn', meaning: 'Redis for rate limits is back: shared limits resume.' },
  'log.lines_dropped': { level: 'warn', meaning: 'The log reader did not keep up: this many lines were dropped.' },
  // Identity providers
  'jwks.fetched': { level: 'debug', meaning: 'An issuer\'s keys were fetched.' },
  'jwks.fetch_failed': { level: 'warn', meaning: 'An issuer\'s keys could not be fetched and none are cached.' },
  'jwks.serving_stale': { level: 'warn', meaning: 'An issuer\'s keys could not be refreshed: the cached keys keep serving.' },
  'jwks.keys_expired': { level: 'error', meaning: 'Cached issuer keys are too old to use and the provider cannot be reached: its tokens are refused.' },
  'jwks.recovered': { level: 'info', meaning: 'An issuer\'s keys were fetched again after failures.' },
  'jwks.keys_ignored': { level: 'warn', meaning: 'An issuer published keys that are not public asymmetric keys: they were ignored.' },
  // Built-in OAuth authorization server
  'oauth.started': { level: 'info', meaning: 'The built-in authorization server is ready, with its issuer and signing key id.' },
  'oauth.token_issued': { level: 'info', meaning: 'An access token was issued (client, token id, scopes; never the token).' },
  'oauth.token_revoked': { level: 'info', meaning: 'A client revoked an access token.' },
  'oauth.signing_key_rotated': { level: 'info', meaning: 'A new OAuth signing key is active.' },
  'oauth.signing_key_rotation_failed': { level: 'error', meaning: 'A scheduled signing-key rotation failed: the current key keeps signing.' },
  'oauth.signing_key_unusable': { level: 'error', meaning: 'A signing key cannot be decrypted: check the vault KEKs and `oauth.signingKeySecret`.' },
  'oauth.signing_keys_resealed': { level: 'info', meaning: 'At start or in `vault rotate-kek`, signing keys from before the vault were sealed by it, or re-wrapped with the current KEK (how many of each; audited as `signing_key.reseal`).' },
  'oauth.no_signing_key': { level: 'error', meaning: 'No usable signing key: tokens cannot be issued.' },
  'oauth.endpoint_failed': { level: 'error', meaning: 'An authorization-server endpoint failed (a bug or the store): answered with an error.' },
  // Vault, backup and restore
  'vault.opened': { level: 'info', meaning: 'The vault is open on this node: its KEK ids (current first; `previous` decrypt-only) and how many secrets it holds.' },
  'vault.secret_unreadable': { level: 'error', meaning: 'A secret version cannot be decrypted on this node (a row moved or altered in the database, or a KEK this node lacks): it is not served; the value held before, if any, keeps serving.' },
  'vault.secret_revealed': { level: 'warn', meaning: 'An operator revealed a secret value (`secrets reveal`): who, which secret and version; never the value. Also an audit record.' },
  'vault.kek_rotation_progress': { level: 'info', meaning: '`vault rotate-kek`: a batch of data keys was re-wrapped with the current KEK (how many so far, how many left).' },
  'vault.kek_rotated': { level: 'info', meaning: '`vault rotate-kek` finished: every sealed value (secret versions, upstream credential tokens, OAuth signing keys; re-wrapped and re-sealed counts per column) is wrapped by the current KEK; previous KEKs may be removed.' },
  'vault.kek_rotation_incomplete': { level: 'warn', meaning: '`vault rotate-kek` ran, but sealed values are left under another KEK or a key from before the vault (`remaining`, per column): values that did not open (logged before it). Keep the previous KEKs and run it again; the command exits 1.' },
  // TLS, certificates and revocation
  'tls.handshake_failed': { level: 'debug', meaning: 'A TLS handshake with a client failed (its code).' },
  'tls.renegotiation_refused': { level: 'warn', meaning: 'A client tried TLS renegotiation: the connection was closed.' },
  'tls.ticket_key_rotated': { level: 'info', meaning: 'A listener\'s session-ticket key was rotated.' },
  'tls.reloaded': { level: 'info', meaning: 'A listener\'s certificate and client CAs were reloaded.' },
  'tls.reload_failed': { level: 'error', meaning: 'A listener\'s certificate reload failed: the previous certificate keeps serving.' },
  'tls.watch_failed': { level: 'error', meaning: 'A listener\'s certificate folder cannot be watched: reload with SIGHUP.' },
  'certificate.expiring': { level: 'warn', meaning: 'A certificate expires within `certificateExpiry.warningDays`.' },
  'certificate.expired': { level: 'warn', meaning: 'A certificate has expired.' },
  'certificate.watch_failed': { level: 'error', meaning: 'The certificates to watch for expiry could not be listed (the private CA folder, say).' },
  'crl.loaded': { level: 'info', meaning: 'A CRL was loaded for a listener: its issuer and how many serials it revokes.' },
  'crl.renewed': { level: 'info', meaning: 'A gateway holding the private CA key (pki.issuing) signed a fresh CRL, half its validity having passed.' },
  'crl.renew_failed': { level: 'error', meaning: 'A gateway holding the private CA key could not sign a fresh CRL (a wrong pki.issuing.caKey, an unreadable CA folder, the store down); retried hourly.' },
  'crl.stale': { level: 'warn', meaning: 'A CRL is past its nextUpdate: revocation of its issuer\'s certificates is unknown.' },
  'crl.refresh_failed': { level: 'error', meaning: 'A CRL could not be refreshed: the kept one applies until its nextUpdate, then `whenUnavailable`.' },
  'crl.status_unknown': { level: 'warn', meaning: 'A client certificate\'s revocation status is unknown: `whenUnavailable` decides.' },
  'ocsp.stapled': { level: 'info', meaning: 'An OCSP response was fetched for stapling.' },
  'ocsp.staple_failed': { level: 'warn', meaning: 'An OCSP response could not be fetched: the previous one, or none, is stapled.' },
  'ocsp.unavailable': { level: 'warn', meaning: 'OCSP stapling is on but cannot work for this certificate (no responder URL, say): nothing is stapled.' },
  'ocsp.certificate_revoked': { level: 'error', meaning: 'The OCSP responder says the listener\'s own certificate is revoked: clients will refuse it; replace it.' },
  // Audit streaming and audited security events (audit/: docs/audit.md)
  // Traces (docs/observability.md#traces)
  'tracing.export_failed': { level: 'warn', meaning: 'Spans could not be exported to the OTLP endpoint (`endpoint`, `spans`, `code`): they are lost (counted in portcullis_tracing_spans_failed_total). Logged once per outage; requests are not affected.' },
  'tracing.export_recovered': { level: 'info', meaning: 'Spans are exported to the OTLP endpoint again.' },
  'audit.sink_failing': { level: 'error', meaning: 'An audit sink stopped taking records (`sink`, `onFailure`, `reason`, `deliveredSeq`): with block, admin writes get 503 audit.sink_unavailable until it is back; with buffer, records are kept and delivered in order when it is back. Logged once per outage; alert on it.' },
  'audit.sink_recovered': { level: 'info', meaning: 'An audit sink takes records again; what it missed was delivered from its cursor.' },
  'audit.sink_records_skipped': { level: 'error', meaning: 'An audit sink will never get these records (`fromSeq`..`toSeq`; `reason` backlog_full: more than maxBacklogRecords waited; archived: removed by `audit archive` first). They stay in the chain and in `audit export`.' },
  'audit.sink_lease_acquired': { level: 'info', meaning: 'This process now delivers to an audit sink (one per sink across workers and nodes; `owner`, `deliveredSeq`).' },
  'audit.sink_lease_lost': { level: 'warn', meaning: 'Another process took over delivery to an audit sink (this one paused past the lease, or lost the store).' },
  'audit.sink_deliverer_failed': { level: 'error', meaning: 'A bug in an audit sink\'s delivery loop; it goes on after the poll interval.' },
  'audit.security_events_dropped': { level: 'warn', meaning: 'Data-plane security events were not recorded (`dropped`, `reason` queue_full or store_failed); counted in portcullis_audit_security_events_dropped_total.' },
  'audit.denied_record_failed': { level: 'warn', meaning: 'The aggregated record of denied admin attempts could not be written (the store failed); its counts are added to the next interval\'s.' },
  'audit.config_record_failed': { level: 'warn', meaning: 'The config.applied audit record of a start or reload could not be written (the store failed).' },
  // Alerts (alerts/: docs/alerts.md)
  'alerts.firing': { level: 'warn', meaning: 'An alert started firing (`rule`, `labels`, `severity`, `summary`): its condition held for the rule\'s `for` duration.' },
  'alerts.resolved': { level: 'info', meaning: 'A firing alert resolved (`rule`, `labels`): its condition no longer holds.' },
  'alerts.evaluation_failed': { level: 'error', meaning: 'A round of rule evaluation failed (a bug, or the store failed reading silences): tried again at the next interval.' },
  'alerts.notification_failed': { level: 'warn', meaning: 'An alert notification was not delivered to a sink (`sink`, `attempts`, `error`): it stays queued and is retried after `retryInMs`.' },
  'alerts.notification_dropped': { level: 'error', meaning: 'An alert notification will never reach a sink (`reason`: rejected by the receiver, gave_up after giveUpAfterSeconds, queue_full, sink_removed by a reload).' },
  'alerts.sink_failing': { level: 'error', meaning: 'An alert sink failed a delivery after working (`sink`, `reason`); logged once per outage. After alerts.delivery.sinkFailingAfterSeconds the alert_sink_failing meta-alert goes to every other sink.' },
  'alerts.reconfigure_failed': { level: 'error', meaning: 'A reload changed alerts.sinks but the new sinks could not be built (a malformed signing secret, an unreadable CA file): the previous sinks keep serving.' },
  'alerts.sink_recovered': { level: 'info', meaning: 'An alert sink delivers again (`failedForSeconds`); its queued notifications follow in order.' },
  // Geo
  'geo.database_loaded': { level: 'info', meaning: 'The geo database was loaded at start: its type and build date.' },
  'geo.database_reloaded': { level: 'info', meaning: 'A changed geo database file was loaded.' },
  'geo.database_reload_failed': { level: 'error', meaning: 'A changed geo database file is not usable: the previous one keeps serving.' },
} as const satisfies Record<string, EventSpec>;

export type LogEvent = keyof typeof LOG_EVENTS;

/** The events the catalogue logs at `level`. */
export type LogEventAt<L extends LogLevel> = { [E in LogEvent]: (typeof LOG_EVENTS)[E]['level'] extends L ? E : never }[LogEvent];

/** A log record: a catalogued event at this level, or an access-log line (which may name one). */
type LogRecord<L extends LogLevel> = { readonly event: LogEventAt<L> } | { readonly type: 'access'; readonly event?: LogEventAt<L> };

/** One level's method: the record (with the fields that go with the event) and a human message. */
type LogMethod<L extends LogLevel> = <R extends LogRecord<L>>(record: R, message: string) => void;

/**
 * pino's Logger, narrowed so that every record names a catalogued event at the catalogue's level.
 * A pino logger is one (createLogger returns it as such); `trace` is not used.
 */
export type EventLogger = Omit<PinoLogger, LogLevel | 'trace' | 'child'> & { readonly [L in LogLevel]: LogMethod<L> } & {
  child(bindings: Record<string, unknown>): EventLogger;
};
