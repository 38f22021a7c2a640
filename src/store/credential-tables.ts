/**
 * The upstream credentials' table as Kysely sees it (joined into StoreTables in tables.ts).
 */
/** How an upstream credential obtains what it injects (credentials/credential-kinds.ts). */
export type UpstreamCredentialKind = 'static' | 'client_credentials' | 'refresh_token';
/** active: injected; quarantined: held back after repeated 401/403 (an operator releases it); revoked and expired: for good. */
export type UpstreamCredentialStatus = 'active' | 'quarantined' | 'revoked' | 'expired';

/**
 * A credential the gateway injects into upstream requests (issue 19 §4, §5). Its settings name
 * secrets by reference only (`${env:…}`, `${secret:…}`); the tokens it obtained are stored sealed
 * (envelope-encrypted, bound to the row's id and token version). `token_version` is the fencing
 * counter: a refresh stores its tokens only if the version it read is still current, so a node
 * that lost a race never overwrites a newer rotated refresh token.
 */
export interface UpstreamCredentialsTable {
  id: string;
  name: string;
  kind: UpstreamCredentialKind;
  /** JSON: token endpoint, client id, client authentication, scopes, secret references (never values). */
  settings: string;
  status: UpstreamCredentialStatus;
  /** Why it is not active (`invalid_grant`, `leaked`, `upstream_401`, …), or null. */
  status_reason: string | null;
  owner: string;
  /** The consumer this credential serves: disabling that consumer revokes it. */
  consumer_id: string | null;
  expires_at: number | null;
  max_age_days: number | null;
  disable_if_unused_days: number | null;
  last_used_at: number | null;
  /** Fencing counter of the sealed tokens below; 0 before any token was stored. */
  token_version: number;
  /** Sealed JSON { accessToken?, expiresAt?, refreshToken? }, or null. */
  tokens_sealed: string | null;
  token_expires_at: number | null;
  refreshed_at: number | null;
  /** The last failed token request (a message, never a secret), cleared when tokens are stored. */
  last_error: string | null;
  last_error_at: number | null;
  created_by: string;
  created_at: number;
  updated_at: number;
}

export interface CredentialTables {
  upstream_credentials: UpstreamCredentialsTable;
}
