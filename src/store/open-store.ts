/**
 * Opens the store: SQLite in a local file by default (libsql, whose native binary ships in its npm
 * package), PostgreSQL for several nodes. Runs pending migrations unless told not to.
 */
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { Kysely, Migrator, PostgresDialect, SqliteDialect, sql, type MigrationResultSet } from 'kysely';
import Database from 'libsql';
import { createGuardedPool } from './pg-pool.js';
import { migrations, type Dialect } from './migrations.js';
import type { StoreTables } from './tables.js';

export type StoreLocation =
  | { driver: 'sqlite'; path: string }
  | {
      driver: 'postgres';
      url: string;
      schema?: string;
      /** Defaults: 5000 ms to connect, 10000 ms per query. */
      connectTimeoutMs?: number;
      queryTimeoutMs?: number;
      /** Told whether the database answers (see pg-pool.ts): feeds the outage log, metric and /readyz. */
      onHealth?: (up: boolean, reason?: string) => void;
    };

export interface OpenedStore {
  readonly db: Kysely<StoreTables>;
  readonly dialect: Dialect;
  /** PostgreSQL: the schema the tables live in (migrations record themselves there too). */
  readonly schema: string | undefined;
  close(): Promise<void>;
}

/**
 * PostgreSQL timeouts: a frozen connection (a partition, a stuck proxy) must become an error that
 * is logged, not a query that never returns while nodes silently stop following revocations.
 */
export const DEFAULT_CONNECT_TIMEOUT_MS = 5000;
export const DEFAULT_QUERY_TIMEOUT_MS = 10000;

export function openStore(location: StoreLocation): OpenedStore {
  if (location.driver === 'sqlite') {
    if (location.path !== ':memory:') mkdirSync(dirname(location.path), { recursive: true });
    const database = new Database(location.path);
    // WAL lets the gateway read while the admin API writes; a busy timeout rides out short locks.
    database.exec('PRAGMA journal_mode = WAL; PRAGMA busy_timeout = 5000; PRAGMA foreign_keys = ON;');
    const db = new Kysely<StoreTables>({ dialect: new SqliteDialect({ database: database as never }) });
    return { db, dialect: 'sqlite', schema: undefined, close: () => db.destroy() };
  }
  const pool = createGuardedPool({
    url: location.url,
    schema: location.schema,
    connectTimeoutMs: location.connectTimeoutMs ?? DEFAULT_CONNECT_TIMEOUT_MS,
    queryTimeoutMs: location.queryTimeoutMs ?? DEFAULT_QUERY_TIMEOUT_MS,
    onHealth: location.onHealth,
  });
  const db = new Kysely<StoreTables>({ dialect: new PostgresDialect({ pool }) });
  return { db, dialect: 'postgres', schema: location.schema, close: () => db.destroy() };
}

async function currentSchema(store: OpenedStore): Promise<string> {
  const { rows } = await sql<{ schema: string }>`select current_schema() as schema`.execute(store.db);
  return rows[0]!.schema;
}

/** Applies every pending migration; throws with the failing migration's name if one fails. */
export async function migrateToLatest(store: OpenedStore): Promise<MigrationResultSet> {
  // Kysely otherwise accepts its bookkeeping tables from any schema on the search path, so a
  // database shared with other schemas could confuse it: pin them to ours.
  const schema = store.dialect === 'postgres' ? (store.schema ?? (await currentSchema(store))) : undefined;
  const migrator = new Migrator({ db: store.db, provider: { getMigrations: async () => migrations(store.dialect) }, ...(schema ? { migrationTableSchema: schema } : {}) });
  const result = await migrator.migrateToLatest();
  if (result.error) {
    const failed = result.results?.find((r) => r.status === 'Error')?.migrationName ?? 'unknown';
    throw new Error(`migration ${failed} failed: ${(result.error as Error).message}`, { cause: result.error });
  }
  return result;
}
