/**
 * What a backup copies: the store's tables, read from the database's own catalogue (so a table a
 * later migration adds is backed up without a list to keep), in an order where every table comes
 * after the tables its foreign keys point to, so a restore can insert them as they come. Kysely's
 * bookkeeping tables are left out: a restore re-runs the migrations the backup names instead.
 */
import { sql, type Kysely } from 'kysely';
import type { Dialect } from './migrations.js';

/** Kysely's own tables: the migration list is in the manifest, the lock is a run-time artefact. */
const BOOKKEEPING = new Set(['kysely_migration', 'kysely_migration_lock']);

/** The store's tables, each after the tables it references (`db` may be a transaction). */
export async function storeTables(db: Kysely<unknown>, dialect: Dialect): Promise<string[]> {
  const names = (await tableNames(db, dialect)).filter((name) => !BOOKKEEPING.has(name)).sort();
  const references = await foreignKeys(db, dialect);
  return parentsFirst(names, references);
}

async function tableNames(db: Kysely<unknown>, dialect: Dialect): Promise<string[]> {
  if (dialect === 'sqlite') {
    const { rows } = await sql<{ name: string }>`select name from sqlite_master where type = 'table' and name not like 'sqlite_%'`.execute(db);
    return rows.map((row) => row.name);
  }
  const { rows } = await sql<{ name: string }>`select table_name as name from information_schema.tables where table_schema = current_schema() and table_type = 'BASE TABLE'`.execute(db);
  return rows.map((row) => row.name);
}

/** child table → the tables it references. */
async function foreignKeys(db: Kysely<unknown>, dialect: Dialect): Promise<Map<string, Set<string>>> {
  const { rows } =
    dialect === 'sqlite'
      ? await sql<{ child: string; parent: string }>`select m.name as child, f."table" as parent from sqlite_master m join pragma_foreign_key_list(m.name) f where m.type = 'table'`.execute(db)
      : await sql<{ child: string; parent: string }>`
          select c.relname as child, p.relname as parent
          from pg_constraint k
          join pg_class c on c.oid = k.conrelid
          join pg_class p on p.oid = k.confrelid
          join pg_namespace n on n.oid = c.relnamespace
          where k.contype = 'f' and n.nspname = current_schema()`.execute(db);
  const map = new Map<string, Set<string>>();
  for (const { child, parent } of rows) {
    if (child === parent) continue;
    const set = map.get(child) ?? new Set<string>();
    set.add(parent);
    map.set(child, set);
  }
  return map;
}

/** A topological order (Kahn's algorithm), alphabetical among equals so a backup is stable. */
export function parentsFirst(names: readonly string[], references: ReadonlyMap<string, ReadonlySet<string>>): string[] {
  const placed = new Set<string>();
  const order: string[] = [];
  while (order.length < names.length) {
    const next = names.find((name) => !placed.has(name) && [...(references.get(name) ?? [])].every((parent) => placed.has(parent) || !names.includes(parent)));
    // A reference cycle cannot be inserted table by table: the schema has none, so refuse loudly.
    if (next === undefined) throw new Error(`the store's tables reference each other in a cycle (${names.filter((name) => !placed.has(name)).join(', ')}): cannot order them for a restore`);
    placed.add(next);
    order.push(next);
  }
  return order;
}

/** The migrations applied to the store, in order; none on a database never migrated. */
export async function appliedMigrations(db: Kysely<unknown>): Promise<string[]> {
  try {
    const { rows } = await sql<{ name: string }>`select name from kysely_migration order by name`.execute(db);
    return rows.map((row) => row.name);
  } catch (error) {
    if (/kysely_migration|no such table|does not exist/i.test((error as Error).message)) return [];
    throw error;
  }
}
