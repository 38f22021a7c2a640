/**
 * Migration 0011: the vault's tables (src/vault/). Named secrets (vault_secrets: the name and which
 * version is promoted) and their versions, each envelope-encrypted (vault/envelope.ts: kek_id,
 * wrapped_key, ciphertext).
 */
import type { Kysely, Migration } from 'kysely';

export function vaultMigration(big: 'bigint' | 'integer'): Migration {
  return {
    async up(db: Kysely<unknown>) {
      // Named secrets (vault/): the name and which version is promoted; the values are in the
      // versions, each envelope-encrypted (vault/envelope.ts: kek_id, wrapped_key, ciphertext).
      await db.schema
        .createTable('vault_secrets')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('name', 'text', (c) => c.notNull().unique())
        .addColumn('current_version', 'integer')
        .addColumn('description', 'text', (c) => c.notNull().defaultTo(''))
        .addColumn('created_by', 'text', (c) => c.notNull())
        .addColumn('created_at', big, (c) => c.notNull())
        .addColumn('updated_at', big, (c) => c.notNull())
        .execute();
      await db.schema
        .createTable('vault_secret_versions')
        .addColumn('secret_id', 'text', (c) => c.notNull().references('vault_secrets.id').onDelete('cascade'))
        .addColumn('version', 'integer', (c) => c.notNull())
        .addColumn('kek_id', 'text', (c) => c.notNull())
        .addColumn('wrapped_key', 'text', (c) => c.notNull())
        .addColumn('ciphertext', 'text', (c) => c.notNull())
        .addColumn('created_by', 'text', (c) => c.notNull())
        .addColumn('created_at', big, (c) => c.notNull())
        .addPrimaryKeyConstraint('vault_secret_versions_pk', ['secret_id', 'version'])
        .execute();
      // rotate-kek finds the data keys still wrapped by another KEK.
      await db.schema.createIndex('vault_secret_versions_kek').on('vault_secret_versions').column('kek_id').execute();
    },
    async down(db: Kysely<unknown>) {
      await db.schema.dropTable('vault_secret_versions').execute();
      await db.schema.dropTable('vault_secrets').execute();
    },
  };
}
