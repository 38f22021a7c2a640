/**
 * `portcullis restore`: loads a backup (backup.ts) into an EMPTY database. A database that holds
 * anything is refused: a restore never merges into or overwrites a store (two audit chains, two
 * revision counters cannot be merged), so the operator creates a fresh database (or schema) for it.
 *
 * Steps: the file's manifest and content hash are checked first (backup-file.ts); the database is
 * migrated to exactly the backup's schema version (its migration list must be one this release
 * knows); every table is then loaded in one transaction, parents before children, with the
 * migrations' seed rows replaced by the backup's. The rows are the backup's byte for byte, so the
 * audit chain verifies as it did; a gateway started on the database migrates it on to the
 * current release, as after any upgrade.
 */
import { Migrator, sql, type Kysely } from 'kysely';
import { appliedMigrations, storeTables } from './backup-catalogue.js';
import { BackupFileError, readTables, readVerifiedManifest, type BackupManifest, type BackupValue } from './backup-file.js';
import { migrations } from './migrations.js';
import type { OpenedStore } from './open-store.js';

/** Rows per INSERT: far under SQLite's and PostgreSQL's bound-parameter limits for our widest table. */
const INSERT_ROWS = 200;

/** Tables a migration seeds with a row of its own: replaced by the backup's row, not counted as data. */
const SEEDED = new Set(['store_revision']);

export class RestoreRefusedError extends Error {
  override readonly name = 'RestoreRefusedError';
}

/**
 * Restores the backup `file` into `store`; returns the backup's manifest. Throws BackupFileError
 * (the file is not a complete, unchanged backup) or RestoreRefusedError (the database is not
 * empty, or the backup's schema is not one this release knows), before writing anything.
 */
export async function restoreBackup(store: OpenedStore, file: string): Promise<BackupManifest> {
  const manifest = await readVerifiedManifest(file);
  const known = migrations(store.dialect);
  const unknown = manifest.migrations.filter((name) => !Object.hasOwn(known, name));
  if (unknown.length > 0) throw new RestoreRefusedError(`the backup was made by a newer release (migrations ${unknown.join(', ')} are unknown here): restore it with that release or a newer one`);
  const order = Object.keys(known);
  if (manifest.migrations.some((name, index) => order[index] !== name)) throw new RestoreRefusedError('the backup\'s migrations are not a prefix of this release\'s: it was made by another line of releases');
  await requireEmpty(store, manifest);
  await migrateTo(store, manifest.schemaVersion);
  await store.db.transaction().execute(async (trx) => {
    const db = trx as unknown as Kysely<unknown>;
    const tables = new Set(await storeTables(db, store.dialect));
    for (const table of SEEDED) if (tables.has(table)) await sql`delete from ${sql.table(table)}`.execute(db);
    for await (const { header, rows } of readTables(file)) {
      if (!tables.has(header.table)) throw new BackupFileError(`the backup has a table ${header.table} that its schema version ${manifest.schemaVersion} does not have`);
      if (rows.length !== header.rows) throw new BackupFileError(`table ${header.table}: ${rows.length} rows, its header says ${header.rows}`);
      for (let i = 0; i < rows.length; i += INSERT_ROWS) await insertRows(db, header.table, header.columns, rows.slice(i, i + INSERT_ROWS));
    }
  });
  return manifest;
}

async function insertRows(db: Kysely<unknown>, table: string, columns: readonly string[], rows: readonly BackupValue[][]): Promise<void> {
  const names = sql.join(columns.map((column) => sql.ref(column)));
  const values = sql.join(rows.map((row) => sql`(${sql.join(row.map((value) => sql`${value}`))})`));
  await sql`insert into ${sql.table(table)} (${names}) values ${values}`.execute(db);
}

/**
 * Empty: no migration applied, or migrated (a gateway or `portcullis migrate` ran once) with no
 * data yet: revision 0, no audit record, no row in any table but the seeded ones, and no migration
 * beyond the backup's.
 */
async function requireEmpty(store: OpenedStore, manifest: BackupManifest): Promise<void> {
  const db = store.db as unknown as Kysely<unknown>;
  const applied = await appliedMigrations(db);
  if (applied.length === 0) return;
  const beyond = applied.filter((name) => !manifest.migrations.includes(name));
  if (beyond.length > 0) throw new RestoreRefusedError(`the database is migrated beyond the backup's schema version ${manifest.schemaVersion} (${beyond.join(', ')}): restore into a new, empty database`);
  const holding: string[] = [];
  for (const table of await storeTables(db, store.dialect)) {
    if (SEEDED.has(table)) continue;
    const { rows } = await sql<{ n: number | string }>`select count(*) as n from ${sql.table(table)}`.execute(db);
    if (Number(rows[0]!.n) > 0) holding.push(`${table}: ${Number(rows[0]!.n)}`);
  }
  const { rows: heads } = await sql<{ value: number | string }>`select value from store_revision where id = 1`.execute(db);
  if (Number(heads[0]?.value ?? 0) > 0) holding.push(`store revision ${Number(heads[0]!.value)}`);
  if (holding.length > 0) throw new RestoreRefusedError(`the database is not empty (${holding.join(', ')}): a restore only goes into a new, empty database`);
}

async function migrateTo(store: OpenedStore, target: string): Promise<void> {
  const schema = store.dialect === 'postgres' ? (store.schema ?? (await sql<{ schema: string }>`select current_schema() as schema`.execute(store.db)).rows[0]!.schema) : undefined;
  const migrator = new Migrator({ db: store.db, provider: { getMigrations: async () => migrations(store.dialect) }, ...(schema ? { migrationTableSchema: schema } : {}) });
  const result = await migrator.migrateTo(target);
  if (result.error) throw new Error(`migrating the empty database to ${target} failed: ${(result.error as Error).message}`, { cause: result.error });
}
