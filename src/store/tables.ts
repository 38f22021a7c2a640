/**
 * The store's tables as Kysely sees them. Times are milliseconds since the epoch in both dialects
 * (bigint in PostgreSQL, integer in SQLite), JSON columns are text, so one repository layer serves
 * both; the migrations say where the column types differ.
 */
import type { ChangeEntity } from './repositories.js';

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
}

/** The change feed: one row per changed entity, written in the write's transaction. */
export interface ChangesTable {
  revision: number;
  /** A ChangeEntity (repositories.ts); text, so a newer node's kinds do not break an older one. */
  entity: ChangeEntity;
  entity_id: string;
  changed_at: number;
}

export interface StoreTables {
  consumers: ConsumersTable;
  api_keys: ApiKeysTable;
  changes: ChangesTable;
  store_revision: StoreRevisionTable;
}
