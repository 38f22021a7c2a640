/**
 * The store's tables as Kysely sees them. Times are milliseconds since the epoch in both dialects
 * (bigint in PostgreSQL, integer in SQLite), JSON columns are text, so one repository layer serves
 * both; the migrations say where the column types differ.
 */
import type { InventoryTables } from './inventory-tables.js';
import type { AssessmentTables } from './assessment-tables.js';
import type { ConfigHistoryTables } from './config-history-tables.js';
import type { CredentialTables } from './credential-tables.js';
export type { UpstreamCredentialKind, UpstreamCredentialStatus, UpstreamCredentialsTable } from './credential-tables.js';
import type { AdminAuthTables } from './admin-auth-tables.js';
import type { AdminWebAuthnTables } from './admin-webauthn-tables.js';
import type { AdminSsoTables } from './admin-sso-tables.js';
import type { AdminTables } from './admin-tables.js';
import type { VaultTables } from './vault-tables.js';

import type { AlertTables } from './alert-tables.js';

/** Every kind of entity the change feed reports; a new entity kind adds its name here. */
export const CHANGE_ENTITIES = ['consumer', 'api_key', 'oauth_client', 'signing_key', 'revoked_token', 'rate_limit_override', 'certificate', 'crl', 'admin_user', 'admin_role', 'admin_token', 'admin_state', 'secret', 'admin_session', 'admin_mfa', 'upstream_credential', 'admin_passkey', 'alert_silence'] as const;
export type ChangeEntity = (typeof CHANGE_ENTITIES)[number];

export type ConsumerStatus = 'active' | 'disabled';
export type ApiKeyStatus = 'active' | 'revoked';

export interface ConsumersTable {
  id: string;
  name: string;
  /** JSON object. */
  metadata: string;
  status: ConsumerStatus;
  created_at: number;
  updated_at: number;
}

export interface ApiKeysTable {
  /** Non-secret key id, the lookup handle; also embedded in the key itself. */
  id: string;
  consumer_id: string;
  name: string;
  environment: string;
  /** HMAC-SHA256 of the whole key with the server's pepper, hex. The key itself is never stored. */
  hash: string;
  /** JSON array of scope strings. */
  scopes: string;
  status: ApiKeyStatus;
  expires_at: number | null;
  created_by: string;
  created_at: number;
  last_used_at: number | null;
  /** Set on rotation: the key that replaces this one. */
  replaced_by: string | null;
  revoked_at: number | null;
}

/**
 * The store's revision: one row, incremented by every writing transaction. The row lock orders
 * writers, so revisions become visible in order; a sequence would let revision 5 commit after 6
 * and a node that had read 6 would never see 5.
 */
export interface StoreRevisionTable {
  id: number;
  value: number;
  /** The audit chain's head (store/audit-chain.ts): the last record's seq (0: none yet) and hash. */
  audit_seq: number;
  audit_hash: string;
}

/**
 * The audit trail (docs/audit.md): `record` is the whole record as RFC 8785 canonical JSON, the
 * one source of truth a verifier reads; the other columns repeat some of its fields for filtering
 * (verification checks that they agree with `record`).
 */
export interface AuditRecordsTable {
  seq: number;
  /** ms since the epoch (the record's `time`). */
  time: number;
  actor_type: string;
  actor_id: string;
  action: string;
  target_kind: string;
  target_id: string;
  outcome: string;
  record: string;
  hash: string;
}

/** A signed checkpoint over records fromSeq..toSeq (audit/checkpoint.ts); `body` is the signed canonical JSON. */
export interface AuditCheckpointsTable {
  to_seq: number;
  from_seq: number;
  last_hash: string;
  time: number;
  key_id: string;
  body: string;
  signature: string;
}

/** Every checkpoint signing key's public half, kept after rotation so old checkpoints still verify. */
export interface AuditKeysTable {
  key_id: string;
  /** SPKI PEM of the Ed25519 public key. */
  public_key: string;
  first_used_at: number;
}

/** The change feed: one row per changed entity, written in the write's transaction. */
export interface ChangesTable {
  revision: number;
  /** A ChangeEntity (above); text, so a newer node's kinds do not break an older one. */
  entity: ChangeEntity;
  entity_id: string;
  changed_at: number;
  /** Who made the change (core/actor.ts ActorKind, and its id): never a secret. */
  actor_kind: string;
  actor_id: string;
  /** What the unit of work did: a StoreAction (actions.ts), text like `entity`. */
  action: string;
}

/** An OAuth client of the built-in authorization server; it belongs to a consumer. */
export interface OAuthClientsTable {
  /** The client_id: not secret. */
  id: string;
  consumer_id: string;
  name: string;
  /** HMAC-SHA256 of the client secret with the pepper, hex; null for a private_key_jwt-only client. */
  secret_hash: string | null;
  /** After a rotation: the old secret's hash, accepted until previous_secret_expires_at. */
  previous_secret_hash: string | null;
  previous_secret_expires_at: number | null;
  /** JSON JWKS (public keys) for private_key_jwt (RFC 7523), or null. */
  jwks: string | null;
  /** JSON array of the scopes the client may be granted. */
  scopes: string;
  status: 'active' | 'revoked';
  created_by: string;
  created_at: number;
  updated_at: number;
  revoked_at: number | null;
}

/** A signing key of the built-in authorization server. The private key is stored encrypted only. */
export interface OAuthSigningKeysTable {
  /** The kid. */
  id: string;
  algorithm: string;
  /** JSON public JWK. */
  public_jwk: string;
  /** The private JWK, sealed: by the vault (`pv1:…`, oauth/signing-key-sealer.ts) or, before it, AES-256-GCM under oauth.signingKeySecret (`v1.…`, oauth/key-encryption.ts). */
  private_jwk_encrypted: string;
  status: 'active' | 'retired';
  created_at: number;
  retired_at: number | null;
  /** A retired key stays in the JWKS until the tokens it signed have expired. */
  publish_until: number | null;
}

/** Access tokens revoked before their expiry (RFC 7009); rows may go once expires_at has passed. */
export interface OAuthRevokedTokensTable {
  jti: string;
  client_id: string;
  expires_at: number;
  revoked_at: number;
}

/** private_key_jwt assertions already used (RFC 7523 §3 item 7): a second use is a replay. */
export interface OAuthUsedAssertionsTable {
  client_id: string;
  jti: string;
  expires_at: number;
}

/** A consumer's or key's own numbers for a named rate limit (issue #6: overrides without restart). */
export interface RateLimitOverridesTable {
  id: string;
  subject_type: 'consumer' | 'api_key';
  subject_id: string;
  limit_name: string;
  limit: number;
  window_seconds: number | null;
  burst: number | null;
  created_at: number;
  updated_at: number;
}

/**
 * A certificate issued by the private CA (`portcullis certs issue`), when the CA keeps its records in
 * the store. `ca_id` is the SHA-256 fingerprint (hex) of the CA certificate, so several CAs (a root
 * and its intermediates) can share one store.
 */
export interface PkiCertificatesTable {
  ca_id: string;
  /** Lower-case hex without leading zeros (pki/revocation.ts normalizeSerial). */
  serial: string;
  consumer_id: string;
  subject: string;
  fingerprint_sha256: string;
  not_before: number;
  not_after: number;
  status: 'active' | 'revoked';
  revoked_at: number | null;
  /** The actor that issued it, or `imported` for a record taken over from issued.json. */
  issued_by: string;
  created_at: number;
}

/** The newest CRL a CA signed (RFC 5280 §5), PEM; its number grows with every CRL (§5.2.3). */
export interface PkiCrlsTable {
  ca_id: string;
  crl_number: number;
  this_update: number;
  next_update: number;
  pem: string;
}

/**
 * Delivery bookkeeping of one audit sink (audit/sink-cursors.ts). Not an entity: it changes on
 * every delivery and is written outside the unit of work, since an audit record per delivery would
 * itself need delivering.
 */
export interface AuditSinkCursorsTable {
  sink: string;
  /** The highest audit `seq` the sink has taken. */
  delivered_seq: number;
  /** The node (and process) delivering to the sink while `lease_until` (ms) is ahead. */
  lease_owner: string | null;
  lease_until: number | null;
  /** Since when delivery fails (ms), null while it works. */
  failing_since: number | null;
  /** What the last failure was (an error code or status, never a secret). */
  last_error: string | null;
  updated_at: number;
}

/** Field-usage counters (field-usage.ts): counters, not entities, so never in the change feed. */
export interface FieldUsageTable {
  route: string;
  consumer: string;
  path: string;
  count: number;
  first_seen: number;
  last_seen: number;
}

export interface StoreTables extends InventoryTables, AssessmentTables, AdminTables, VaultTables, AdminAuthTables, AdminWebAuthnTables, CredentialTables, AlertTables, ConfigHistoryTables, AdminSsoTables {
  consumers: ConsumersTable;
  api_keys: ApiKeysTable;
  oauth_clients: OAuthClientsTable;
  oauth_signing_keys: OAuthSigningKeysTable;
  oauth_revoked_tokens: OAuthRevokedTokensTable;
  oauth_used_assertions: OAuthUsedAssertionsTable;
  rate_limit_overrides: RateLimitOverridesTable;
  pki_certificates: PkiCertificatesTable;
  pki_crls: PkiCrlsTable;
  field_usage: FieldUsageTable;
  changes: ChangesTable;
  store_revision: StoreRevisionTable;
  audit_records: AuditRecordsTable;
  audit_checkpoints: AuditCheckpointsTable;
  audit_keys: AuditKeysTable;
  audit_sink_cursors: AuditSinkCursorsTable;
}
