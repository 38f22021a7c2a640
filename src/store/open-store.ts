/**
 * Opens the store: SQLite in a local file by default (libsql, whose native binary ships in its npm
 * package), PostgreSQL for several nodes. Runs pending migrations unless told not to.
 */
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { Kysely, Migrator, PostgresDialect, SqliteDialect, type MigrationResultSet } from 'kysely';
import Database from 'libsql';
import pg from 'pg';
import { migrations, type Dialect } from './migrations.js';
import type { StoreTables } from './tables.js';

export type StoreLocation = { driver: 'sqlite'; path: string } | { driver: 'postgres'; url: string; schema?: string };

export interface OpenedStore {
  readonly db: Kysely<StoreTables>;
  readonly dialect: Dialect;
  /** For PostgreSQL: the pool, so the change feed can LISTEN on a connection of its own. */
  readonly pgPool: pg.Pool | undefined;
  close(): Promise<void>;
}

const INT8_OID = 20;

export function openStore(location: StoreLocation): OpenedStore {
  if (location.driver === 'sqlite') {
    if (location.path !== ':memory:') mkdirSync(dirname(location.path), { recursive: true });
    const database = new Database(location.path);
    // WAL lets the gateway read while the admin API writes; a busy timeout rides out short locks.
    database.exec('PRAGMA journal_mode = WAL; PRAGMA busy_timeout = 5000; PRAGMA foreign_keys = ON;');
    const db = new Kysely<StoreTables>({ dialect: new SqliteDialect({ database: database as never }) });
    return { db, dialect: 'sqlite', pgPool: undefined, close: () => db.destroy() };
  }
  const pool = new pg.Pool({
    connectionString: location.url,
    max: 10,
    // Millisecond timestamps are int8; they fit a JS number exactly until the year 287396.
    types: { getTypeParser: ((oid: number, format?: 'text' | 'binary') => (oid === INT8_OID ? Number : pg.types.getTypeParser(oid, format))) as typeof pg.types.getTypeParser },
    ...(location.schema ? { options: `-c search_path=${location.schema}` } : {}),
  });
  const db = new Kysely<StoreTables>({ dialect: new PostgresDialect({ pool }) });
  return { db, dialect: 'postgres', pgPool: pool, close: () => db.destroy() };
}

/** Applies every pending migration; throws with the failing migration's name if one fails. */
export async function migrateToLatest(store: OpenedStore): Promise<MigrationResultSet> {
  const migrator = new Migrator({ db: store.db, provider: { getMigrations: async () => migrations(store.dialect) } });
  const result = await migrator.migrateToLatest();
  if (result.error) {
    const failed = result.results?.find((r) => r.status === 'Error')?.migrationName ?? 'unknown';
    throw new Error(`migration ${failed} failed: ${(result.error as Error).message}`, { cause: result.error });
  }
  return result;
}
