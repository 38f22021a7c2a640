/**
 * Opens the store: SQLite in a local file by default (libsql, whose native binary ships in its npm
 * package), PostgreSQL for several nodes. Runs pending migrations unless told not to.
 */
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { Kysely, Migrator, PostgresDialect, SqliteDialect, sql, type MigrationResultSet } from 'kysely';
import Database from 'libsql';
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
  // Kysely asks for the pool on the first query: node-postgres is loaded then, so a SQLite store
  // (the demo, a single node) never loads it (issue 16: start-up CPU).
  const pool = async () =>
    (await import('./pg-pool.js')).createGuardedPool({
      url: location.url,
      schema: location.schema,
      connectTimeoutMs: location.connectTimeoutMs ?? DEFAULT_CONNECT_TIMEOUT_MS,
      queryTimeoutMs: location.queryTimeoutMs ?? DEFAULT_QUERY_TIMEOUT_MS,
      onHealth: location.onHealth,
    });
  const db = new Kysely<StoreTables>({ dialect: new PostgresDialect({ pool }) });
  return { db, dialect: 'postgres', schema: location.schema, close: () => db.destroy() };
}

/** Names of the migrations applied to the store (Kysely's table); none before the first migration. */
async function executedMigrations(store: OpenedStore, schema: string | undefined): Promise<string[]> {
  const db = (schema ? store.db.withSchema(schema) : store.db) as unknown as Kysely<{ kysely_migration: { name: string } }>;
  try {
    return (await db.selectFrom('kysely_migration').select('name').execute()).map((row) => row.name);
  } catch (error) {
    // The table does not exist yet: a new store. Anything else (the database is down) is thrown.
    if (/kysely_migration|no such table|does not exist/i.test((error as Error).message)) return [];
    throw error;
  }
}

async function currentSchema(store: OpenedStore): Promise<string> {
  const { rows } = await sql<{ schema: string }>`select current_schema() as schema`.execute(store.db);
  return rows[0]!.schema;
}

/** What migrateToLatest did; `newer`: migrations the store has that this release does not know. */
export type MigrationOutcome = MigrationResultSet & { readonly newer?: readonly string[] };

/**
 * Applies every pending migration; throws with the failing migration's name if one fails.
 *
 * A store migrated by a newer release (a rolling upgrade under way, or a rollback) has migrations
 * this release does not know. Kysely would refuse it ("previously executed migration is missing"),
 * so an older pod could not start during an upgrade nor after a rollback; since migrations are
 * expand-only until a release no longer needs the old shape (docs/operations.md#upgrades-and-rollback),
 * an older release runs on the newer schema: nothing is migrated and the newer ones are returned
 * for the caller to log. A store that has unknown migrations and lacks known ones came from another
 * line of releases: refused.
 */
export async function migrateToLatest(store: OpenedStore): Promise<MigrationOutcome> {
  // Kysely otherwise accepts its bookkeeping tables from any schema on the search path, so a
  // database shared with other schemas could confuse it: pin them to ours.
  const schema = store.dialect === 'postgres' ? (store.schema ?? (await currentSchema(store))) : undefined;
  const known = migrations(store.dialect);
  const migrator = new Migrator({ db: store.db, provider: { getMigrations: async () => known }, ...(schema ? { migrationTableSchema: schema } : {}) });
  const newer = (await executedMigrations(store, schema)).filter((name) => !Object.hasOwn(known, name));
  if (newer.length > 0) {
    const pending = (await migrator.getMigrations()).filter((migration) => migration.executedAt === undefined).map((migration) => migration.name);
    if (pending.length > 0) throw new Error(`the store has migrations this release does not know (${newer.join(', ')}) and lacks some it has (${pending.join(', ')}): it was migrated by another line of releases`);
    return { results: [], newer };
  }
  const result = await migrator.migrateToLatest();
  if (result.error) {
    const failed = result.results?.find((r) => r.status === 'Error')?.migrationName ?? 'unknown';
    throw new Error(`migration ${failed} failed: ${(result.error as Error).message}`, { cause: result.error });
  }
  return result;
}
