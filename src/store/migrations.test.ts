import assert from 'node:assert/strict';
import { test } from 'node:test';
import { migrations } from './migrations.js';

/**
 * Migrations that have landed on main, in order. Append a new migration's name here too: the test
 * then fails if a migration is ever numbered below (or inserted before) one that has shipped.
 */
const SHIPPED = ['0001_consumers_and_api_keys', '0004_oauth_clients_and_signing_keys', '0005_rate_limit_overrides', '0006_change_actor_and_action', '0007_change_notifications', '0008_private_ca_records', '0009_audit_trail', '0010_admin_users'];

test('every shipped migration keeps its place: new ones come after them', () => {
  for (const dialect of ['sqlite', 'postgres'] as const) {
    assert.deepEqual(Object.keys(migrations(dialect)).slice(0, SHIPPED.length), SHIPPED, dialect);
  }
});

test('migrations are declared in the order Kysely runs them (by name), so an upgraded store starts', () => {
  for (const dialect of ['sqlite', 'postgres'] as const) {
    const names = Object.keys(migrations(dialect));
    // Kysely sorts by name and refuses a store whose executed migrations are not a prefix of that
    // list: a migration numbered below one that has shipped breaks every upgraded store.
    assert.deepEqual(names, [...names].sort(), `${dialect}: append new migrations with the next number`);
    assert.equal(new Set(names.map((name) => name.slice(0, 4))).size, names.length, `${dialect}: one migration per number`);
  }
});

/**
 * Contract steps (docs/operations.md#upgrades-and-rollback). A migration's `up` may only expand
 * (new tables, nullable columns or columns with a default, indexes, triggers), so that the release
 * before it keeps running on the migrated schema during a rolling upgrade and after a rollback.
 * One that drops, renames or narrows is a contract step: list it here with why the releases before
 * it no longer matter, and say so in docs/operations.md.
 */
const CONTRACT_STEPS: Readonly<Record<string, string>> = {
  '0006_change_actor_and_action':
    'Drops the default of the new NOT NULL actor columns on PostgreSQL, so nodes older than 0006 cannot write change rows: it shipped before any release was rolled; upgrade across it by stopping old nodes first.',
};
/** Drops, renames, type changes and NOT NULL without a default, in Kysely's builder or in SQL. */
const CONTRACTING = /\.(dropTable|dropColumn|renameColumn|renameTo|dropIndex|dropConstraint|dropDefault|setDataType|setNotNull|dropView|dropType|dropSchema)\(|\b(drop|rename|alter\s+column)\s|alterTable\([^)]*\)\s*\.addColumn\([^;]*notNull\(\)(?![^;]*defaultTo)/i;

test('migrations only expand, but for the contract steps listed with their reason', () => {
  for (const dialect of ['sqlite', 'postgres'] as const) {
    const contracting = Object.entries(migrations(dialect)).filter(([, migration]) => CONTRACTING.test(migration.up.toString())).map(([name]) => name);
    assert.deepEqual(contracting, Object.keys(CONTRACT_STEPS), `${dialect}: a migration that drops, renames or narrows needs a contract step entry (docs/operations.md#upgrades-and-rollback)`);
  }
  // The rule bites: each kind of contraction is seen.
  const contractions = [
    "await db.schema.alterTable('api_keys').dropColumn('name').execute()",
    "await db.schema.alterTable('api_keys').renameColumn('name', 'label').execute()",
    "await db.schema.alterTable('api_keys').addColumn('label', 'text', (c) => c.notNull()).execute()",
    'await sql`alter table api_keys drop column name`.execute(db)',
  ];
  for (const code of contractions) assert.ok(CONTRACTING.test(code), code);
  assert.ok(!CONTRACTING.test("await db.schema.alterTable('api_keys').addColumn('label', 'text', (c) => c.notNull().defaultTo('')).execute()"), 'a NOT NULL column with a default only expands');
});
