/**
 * Errors of the authorization server's own endpoints, in the format of RFC 6749 §5.2 (not
 * problem+json: OAuth clients expect `{"error": "...", "error_description": "..."}`), also used by
 * RFC 7009 §2.2.1 and RFC 7662 §2.3.
 */
import type { DirectResponse } from '../core/policy.js';

export type OAuthErrorCode =
  | 'invalid_request'
  | 'invalid_client'
  | 'invalid_grant'
  | 'unauthorized_client'
  | 'unsupported_grant_type'
  | 'invalid_scope'
  | 'unsupported_token_type'
  | 'temporarily_unavailable';

export class OAuthError extends Error {
  constructor(
    readonly error: OAuthErrorCode,
    readonly description: string,
    readonly options: { basicChallenge?: boolean; status?: number; retryAfterSeconds?: number } = {},
  ) {
    super(description);
    this.name = 'OAuthError';
  }

  /** §5.2: 400, except invalid_client (401, with a Basic challenge when Basic was tried). */
  toResponse(realm: string): DirectResponse {
    const status = this.options.status ?? (this.error === 'invalid_client' ? 401 : 400);
    const headers: Record<string, string> = { 'content-type': 'application/json', 'cache-control': 'no-store', pragma: 'no-cache' };
    if (this.error === 'invalid_client' && this.options.basicChallenge) headers['www-authenticate'] = `Basic realm="${realm}"`;
    if (this.options.retryAfterSeconds !== undefined) headers['retry-after'] = String(this.options.retryAfterSeconds);
    return { status, headers, body: JSON.stringify({ error: this.error, error_description: this.description }) };
  }
}
