/**
 * The audit trail's tables (docs/audit.md), one migration of the list in migrations.ts: the chain's
 * head on the `store_revision` row (so `seq` is taken under the writers' lock), the records, the
 * signed checkpoints and the checkpoint keys' public halves. Expand-only: a release from before it
 * keeps writing changes on the migrated schema (its changes are simply not audited).
 */
import type { Kysely, Migration } from 'kysely';

/** `dialect` as in migrations.ts (spelled out here: importing its type would be a cycle). */
export function auditTrailMigration(dialect: 'sqlite' | 'postgres'): Migration {
  const big = dialect === 'postgres' ? 'bigint' : 'integer';
  return {
    async up(db: Kysely<unknown>) {
      await db.schema.alterTable('store_revision').addColumn('audit_seq', big, (c) => c.notNull().defaultTo(0)).execute();
      await db.schema.alterTable('store_revision').addColumn('audit_hash', 'text', (c) => c.notNull().defaultTo('0'.repeat(64))).execute();
      await db.schema
        .createTable('audit_records')
        .addColumn('seq', big, (c) => c.primaryKey())
        .addColumn('time', big, (c) => c.notNull())
        .addColumn('actor_type', 'text', (c) => c.notNull())
        .addColumn('actor_id', 'text', (c) => c.notNull())
        .addColumn('action', 'text', (c) => c.notNull())
        .addColumn('target_kind', 'text', (c) => c.notNull())
        .addColumn('target_id', 'text', (c) => c.notNull())
        .addColumn('outcome', 'text', (c) => c.notNull())
        .addColumn('record', 'text', (c) => c.notNull())
        .addColumn('hash', 'text', (c) => c.notNull())
        .execute();
      await db.schema.createIndex('audit_records_time').on('audit_records').column('time').execute();
      await db.schema.createIndex('audit_records_actor').on('audit_records').columns(['actor_id', 'seq']).execute();
      await db.schema.createIndex('audit_records_target').on('audit_records').columns(['target_id', 'seq']).execute();
      await db.schema.createIndex('audit_records_action').on('audit_records').columns(['action', 'seq']).execute();
      await db.schema
        .createTable('audit_checkpoints')
        .addColumn('to_seq', big, (c) => c.primaryKey())
        .addColumn('from_seq', big, (c) => c.notNull())
        .addColumn('last_hash', 'text', (c) => c.notNull())
        .addColumn('time', big, (c) => c.notNull())
        .addColumn('key_id', 'text', (c) => c.notNull())
        .addColumn('body', 'text', (c) => c.notNull())
        .addColumn('signature', 'text', (c) => c.notNull())
        .execute();
      await db.schema
        .createTable('audit_keys')
        .addColumn('key_id', 'text', (c) => c.primaryKey())
        .addColumn('public_key', 'text', (c) => c.notNull())
        .addColumn('first_used_at', big, (c) => c.notNull())
        .execute();
    },
    async down(db: Kysely<unknown>) {
      await db.schema.dropTable('audit_keys').execute();
      await db.schema.dropTable('audit_checkpoints').execute();
      await db.schema.dropTable('audit_records').execute();
      await db.schema.alterTable('store_revision').dropColumn('audit_hash').execute();
      await db.schema.alterTable('store_revision').dropColumn('audit_seq').execute();
    },
  };
}
