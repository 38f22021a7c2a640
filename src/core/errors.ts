/**
 * Every error the gateway itself answers with. One table maps each stable code to its HTTP status
 * and title; the RFC 9457 writer (problem.ts) reads only this table, and a test keeps it and
 * docs/errors.md in sync in both directions.
 */

export const ERROR_TABLE = {
  'route.not_found': { status: 404, title: 'No route matches the request' },
  'route.method_not_allowed': { status: 405, title: 'Method not allowed on this route' },
  'route.sunset': { status: 410, title: 'This API has been retired' },
  'request.malformed': { status: 400, title: 'Malformed request' },
  'request.timeout': { status: 408, title: 'Request not received in time' },
  'request.body_too_large': { status: 413, title: 'Request body too large' },
  'request.header_too_large': { status: 431, title: 'Request header fields too large' },
  'request.uri_too_long': { status: 414, title: 'Request target too long' },
  'request.not_implemented': { status: 501, title: 'Not implemented' },
  'request.unsupported_media_type': { status: 415, title: 'Unsupported media type' },
  'request.https_required': { status: 403, title: 'HTTPS required' },
  'validation.failed': { status: 400, title: 'Request does not match the API contract' },
  'cors.origin_not_allowed': { status: 403, title: 'Origin not allowed' },
  'network.ip_blocked': { status: 403, title: 'Access denied' },
  'geo.country_blocked': { status: 403, title: 'Access denied' },
  'geo.location_mismatch': { status: 403, title: 'Location mismatch' },
  'auth.missing_credentials': { status: 401, title: 'Credentials required' },
  'auth.key_invalid': { status: 401, title: 'API key not valid' },
  'auth.key_expired': { status: 401, title: 'API key expired' },
  'auth.key_revoked': { status: 401, title: 'API key revoked' },
  'auth.consumer_disabled': { status: 401, title: 'Consumer disabled' },
  'auth.token_invalid': { status: 401, title: 'Token not valid' },
  'auth.token_expired': { status: 401, title: 'Token expired' },
  'auth.token_not_yet_valid': { status: 401, title: 'Token not valid yet' },
  'auth.token_issuer_unknown': { status: 401, title: 'Token issuer not accepted' },
  'auth.token_audience_invalid': { status: 401, title: 'Token not meant for this API' },
  'auth.token_algorithm_refused': { status: 401, title: 'Token signature algorithm refused' },
  'auth.token_key_unknown': { status: 401, title: 'Token signing key unknown' },
  'auth.token_claims_invalid': { status: 401, title: 'Token claims not valid' },
  'auth.token_too_large': { status: 401, title: 'Token too large' },
  'auth.token_revoked': { status: 401, title: 'Token revoked' },
  'auth.credentials_conflict': { status: 401, title: 'Credentials of different consumers' },
  'auth.issuer_unavailable': { status: 503, title: 'Token issuer unavailable' },
  'auth.client_cert_required': { status: 401, title: 'Client certificate required' },
  'auth.client_cert_invalid': { status: 401, title: 'Client certificate not valid' },
  'auth.client_cert_revoked': { status: 401, title: 'Client certificate revoked' },
  'auth.client_cert_unknown': { status: 401, title: 'Client certificate not recognised' },
  'auth.too_many_failures': { status: 429, title: 'Too many failed authentication attempts' },
  'auth.insufficient_scope': { status: 403, title: 'Insufficient scope' },
  'ratelimit.exceeded': { status: 429, title: 'Rate limit exceeded' },
  'ratelimit.concurrency_exceeded': { status: 429, title: 'Too many requests in flight' },
  'ratelimit.store_unavailable': { status: 503, title: 'Rate limits cannot be checked' },
  'overloaded': { status: 503, title: 'Gateway overloaded' },
  'admin.unauthorized': { status: 401, title: 'Admin token required' },
  'admin.forbidden': { status: 403, title: 'Admin permission missing' },
  'admin.invalid_request': { status: 400, title: 'Invalid admin request' },
  'admin.not_found': { status: 404, title: 'No such entity' },
  'admin.conflict': { status: 409, title: 'Conflicts with the current state' },
  'admin.secret_in_use': { status: 409, title: 'Secret still referenced' },
  'admin.secret_unresolved': { status: 422, title: 'Secret reference cannot be resolved' },
  'admin.login_failed': { status: 401, title: 'Login failed' },
  'admin.mfa_required': { status: 401, title: 'Second factor required' },
  'admin.session_expired': { status: 401, title: 'Session expired' },
  'admin.csrf_failed': { status: 403, title: 'Cross-site request refused' },
  'admin.step_up_required': { status: 403, title: 'Fresh second factor required' },
  'admin.mfa_enrolment_required': { status: 403, title: 'Second-factor enrolment required' },
  'admin.mfa_unavailable': { status: 503, title: 'Second factors not configured' },
  'admin.sso_failed': { status: 401, title: 'Single sign-on failed' },
  'admin.sso_refused': { status: 403, title: 'Single sign-on refused' },
  'admin.sso_no_role': { status: 403, title: 'No admin role for this identity' },
  'admin.sso_account_conflict': { status: 409, title: 'Identity conflicts with a local admin user' },
  'admin.sso_unavailable': { status: 503, title: 'Identity provider unavailable' },
  'admin.ca_issuing_off': { status: 409, title: 'This gateway does not issue certificates' },
  'store.unavailable': { status: 503, title: 'Store unavailable' },
  'audit.sink_unavailable': { status: 503, title: 'Audit sink unavailable' },
  'upstream.unavailable': { status: 502, title: 'Upstream unavailable' },
  'upstream.timeout': { status: 504, title: 'Upstream timed out' },
  'upstream.credential_unavailable': { status: 503, title: 'Upstream credential unavailable' },
  'upstream.assessment_below_minimum': { status: 503, title: 'Upstream below its minimum security grade' },
  'upstream.egress_denied': { status: 502, title: 'Upstream connection not allowed' },
  'upstream.rejected': { status: 400, title: 'Request rejected by the upstream' },
  'upstream.auth_failed': { status: 502, title: 'Upstream refused the gateway\'s credentials' },
  'upstream.rate_limited': { status: 429, title: 'Upstream rate limit reached' },
  'upstream.failed': { status: 502, title: 'Upstream failed' },
  'upstream.contract_violation': { status: 502, title: 'Upstream response breaks the API contract' },
  'upstream.content_encoding_unsupported': { status: 502, title: 'Upstream response in a content coding the gateway cannot decode' },
  'upstream.content_encoding_invalid': { status: 502, title: 'Upstream response body not valid in its content coding' },
  'upstream.response_too_large': { status: 502, title: 'Upstream response too large once decoded' },
  'upstream.response_not_json': { status: 502, title: 'Upstream response cannot be filtered: not JSON' },
  'internal': { status: 500, title: 'Internal gateway error' },
} as const satisfies Record<string, { status: number; title: string }>;

export type ErrorCode = keyof typeof ERROR_TABLE;

export const ERROR_CODES = Object.keys(ERROR_TABLE) as ErrorCode[];

export interface GatewayErrorOptions {
  /** Safe for clients: goes into the problem's `detail`. Never a secret, never raw input. */
  detail?: string;
  /** For logs only: never sent to the client. */
  internal?: string;
  /** Extra response headers that the code requires (`Allow` for 405, `Retry-After`, ...). */
  headers?: Record<string, string>;
  /** Extension members of the problem object (e.g. `errors[]` for validation). */
  extensions?: Record<string, unknown>;
  cause?: unknown;
}

/** The one error class a policy or the proxy throws to stop a request with a problem response. */
export class GatewayError extends Error {
  readonly code: ErrorCode;
  readonly status: number;
  readonly detail: string | undefined;
  readonly internal: string | undefined;
  readonly headers: Readonly<Record<string, string>>;
  readonly extensions: Readonly<Record<string, unknown>>;

  constructor(code: ErrorCode, options: GatewayErrorOptions = {}) {
    super(options.internal ?? options.detail ?? ERROR_TABLE[code].title, { cause: options.cause });
    this.name = 'GatewayError';
    this.code = code;
    this.status = ERROR_TABLE[code].status;
    this.detail = options.detail;
    this.internal = options.internal;
    this.headers = options.headers ?? {};
    this.extensions = options.extensions ?? {};
  }
}

/** Anything thrown that is not a GatewayError becomes `internal`; its message stays in the log. */
export function toGatewayError(error: unknown): GatewayError {
  if (error instanceof GatewayError) return error;
  const message = error instanceof Error ? error.message : String(error);
  return new GatewayError('internal', { internal: message, cause: error });
}
