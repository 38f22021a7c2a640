/**
 * `portcullis backup`: copies the store into one file while the gateway runs. Every table is read
 * in ONE read-only transaction, so the copy is one consistent state of the store (the audit chain's
 * head, the store revision and every row agree), whatever the gateway writes meanwhile:
 * - PostgreSQL: REPEATABLE READ (a snapshot taken at the first query, PostgreSQL docs §13.2.2);
 * - SQLite (WAL): a read transaction sees the database as of its first read; writers go on
 *   beside it (they append to the WAL) and are not blocked.
 * The file is the format of backup-file.ts (a manifest line, then rows as JSON lines), the same
 * for both dialects, so one restore serves both (and a SQLite store can move to PostgreSQL).
 * It is written beside its destination and renamed into place only when complete, mode 0600.
 */
import { createHash } from 'node:crypto';
import { open, rename, rm } from 'node:fs/promises';
import { sql, type Kysely } from 'kysely';
import { appliedMigrations, storeTables } from './backup-catalogue.js';
import { BACKUP_FORMAT, BACKUP_FORMAT_VERSION, type BackupManifest, type BackupValue, type TableHeader } from './backup-file.js';
import type { OpenedStore } from './open-store.js';

/** Rows read per query: bounds the memory a large table (the audit trail) takes. */
const PAGE_ROWS = 2000;

/** A sealed vault value (envelope.ts's `pv1:<kekId>:…`) or a `kek_id` column: its KEK id goes in the manifest. */
const SEALED = /^pv1:(kek-[0-9a-z]+):/;

/**
 * Writes a backup of `store` to `out` and returns its manifest. Throws (leaving no file at `out`)
 * when the store is not migrated or cannot be read.
 */
export async function writeBackup(store: OpenedStore, out: string, now: () => Date = () => new Date()): Promise<BackupManifest> {
  const partial = `${out}.partial-${process.pid}`;
  const content = `${partial}.content`;
  try {
    const body = await open(content, 'w', 0o600);
    const hash = createHash('sha256');
    const emit = async (text: string): Promise<void> => {
      hash.update(text);
      await body.write(text);
    };
    let snapshot: Omit<BackupManifest, 'contentSha256'>;
    try {
      const transaction = store.dialect === 'postgres' ? store.db.transaction().setIsolationLevel('repeatable read').setAccessMode('read only') : store.db.transaction();
      snapshot = await transaction.execute(async (trx) => dump(trx as unknown as Kysely<unknown>, store.dialect, emit, now));
    } finally {
      await body.close();
    }
    const manifest: BackupManifest = { ...snapshot, contentSha256: hash.digest('hex') };
    const file = await open(partial, 'w', 0o600);
    try {
      await file.write(`${JSON.stringify(manifest)}\n`);
      const source = await open(content, 'r');
      try {
        for await (const chunk of source.createReadStream()) await file.write(chunk as Buffer);
      } finally {
        await source.close();
      }
      await file.sync();
    } finally {
      await file.close();
    }
    await rename(partial, out);
    return manifest;
  } finally {
    await rm(content, { force: true });
    await rm(partial, { force: true });
  }
}

async function dump(db: Kysely<unknown>, dialect: 'sqlite' | 'postgres', emit: (text: string) => Promise<void>, now: () => Date): Promise<Omit<BackupManifest, 'contentSha256'>> {
  // The first read fixes the snapshot (both dialects): take the head and the time with it.
  const { rows: heads } = await sql<{ value: number | string; audit_seq: number | string; audit_hash: string }>`select value, audit_seq, audit_hash from store_revision where id = 1`.execute(db);
  const createdAt = now().toISOString();
  const head = heads[0];
  if (!head) throw new Error('the store is not migrated (no store_revision row): nothing to back up');
  const migrations = await appliedMigrations(db);
  const tables: Record<string, number> = {};
  const kekIds = new Set<string>();
  for (const table of await storeTables(db, dialect)) {
    const { rows: counted } = await sql<{ n: number | string }>`select count(*) as n from ${sql.table(table)}`.execute(db);
    const count = Number(counted[0]!.n);
    const columns = await columnNames(db, dialect, table);
    await emit(`${JSON.stringify({ table, columns, rows: count } satisfies TableHeader)}\n`);
    // Ordered by every column: rows are distinct (each table has a primary key), so pages of one
    // snapshot neither skip nor repeat a row.
    const order = sql.raw(columns.map((_, i) => String(i + 1)).join(', '));
    let written = 0;
    for (let offset = 0; offset < count; offset += PAGE_ROWS) {
      const { rows } = await sql<Record<string, unknown>>`select * from ${sql.table(table)} order by ${order} limit ${PAGE_ROWS} offset ${offset}`.execute(db);
      if (rows.length === 0) break;
      let text = '';
      for (const row of rows) {
        const values = columns.map((column) => normalise(row[column]));
        values.forEach((value, i) => {
          if (typeof value !== 'string') return;
          if (columns[i] === 'kek_id') kekIds.add(value);
          else kekIds.add(SEALED.exec(value)?.[1] ?? '');
        });
        text += `${JSON.stringify(values)}\n`;
      }
      written += rows.length;
      await emit(text);
    }
    if (written !== count) throw new Error(`table ${table}: read ${written} rows of ${count} in one snapshot`);
    tables[table] = count;
  }
  kekIds.delete('');
  return {
    format: BACKUP_FORMAT,
    formatVersion: BACKUP_FORMAT_VERSION,
    createdAt,
    dialect,
    schemaVersion: migrations[migrations.length - 1] ?? '',
    migrations,
    storeRevision: Number(head.value),
    auditHead: { seq: Number(head.audit_seq), hash: head.audit_hash },
    tables,
    kekIds: [...kekIds].sort(),
  };
}

async function columnNames(db: Kysely<unknown>, dialect: 'sqlite' | 'postgres', table: string): Promise<string[]> {
  if (dialect === 'sqlite') {
    const { rows } = await sql<{ name: string }>`select name from pragma_table_info(${table}) order by cid`.execute(db);
    return rows.map((row) => row.name);
  }
  const { rows } = await sql<{ name: string }>`select column_name as name from information_schema.columns where table_schema = current_schema() and table_name = ${table} order by ordinal_position`.execute(db);
  return rows.map((row) => row.name);
}

/** Integers as numbers (PostgreSQL's bigint arrives as a number through pg-pool.ts, counts as text). */
function normalise(value: unknown): BackupValue {
  if (value === null || value === undefined) return null;
  if (typeof value === 'number' || typeof value === 'string') return value;
  if (typeof value === 'bigint') return Number(value);
  throw new Error(`a value of type ${typeof value} in the store: the backup format holds text and integers only`);
}
