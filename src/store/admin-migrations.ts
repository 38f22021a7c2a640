/**
 * The admin plane's migration (issue 18), kept beside migrations.ts so the list there stays short:
 * migrations.ts spreads it in at its number.
 */
import { sql, type Kysely, type Migration } from 'kysely';

/** `big`: the dialect's 64-bit integer type for millisecond times (migrations.ts decides it). */
export function adminUsersMigration(big: 'bigint' | 'integer'): Migration {
  return {
    async up(db: Kysely<unknown>) {
      await db.schema
        .createTable('admin_users')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('name', 'text', (c) => c.notNull().unique())
        .addColumn('email', 'text', (c) => c.notNull().unique())
        .addColumn('status', 'text', (c) => c.notNull().check(sql`status in ('invited', 'active', 'disabled')`))
        .addColumn('roles', 'text', (c) => c.notNull().defaultTo('[]'))
        .addColumn('password_hash', 'text')
        .addColumn('password_changed_at', big)
        .addColumn('created_by', 'text', (c) => c.notNull())
        .addColumn('created_at', big, (c) => c.notNull())
        .addColumn('updated_at', big, (c) => c.notNull())
        .execute();
      await db.schema
        .createTable('admin_roles')
        .addColumn('name', 'text', (c) => c.primaryKey())
        .addColumn('description', 'text', (c) => c.notNull().defaultTo(''))
        .addColumn('permissions', 'text', (c) => c.notNull().defaultTo('[]'))
        .addColumn('created_by', 'text', (c) => c.notNull())
        .addColumn('created_at', big, (c) => c.notNull())
        .addColumn('updated_at', big, (c) => c.notNull())
        .execute();
      await db.schema
        .createTable('admin_tokens')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('name', 'text', (c) => c.notNull())
        .addColumn('user_id', 'text', (c) => c.notNull().references('admin_users.id').onDelete('cascade'))
        .addColumn('hash', 'text', (c) => c.notNull())
        .addColumn('permissions', 'text', (c) => c.notNull().defaultTo('[]'))
        .addColumn('status', 'text', (c) => c.notNull().check(sql`status in ('active', 'revoked')`))
        .addColumn('expires_at', big, (c) => c.notNull())
        .addColumn('created_by', 'text', (c) => c.notNull())
        .addColumn('created_at', big, (c) => c.notNull())
        .addColumn('last_used_at', big)
        .addColumn('last_used_ip', 'text')
        .addColumn('replaced_by', 'text')
        .addColumn('revoked_at', big)
        .execute();
      await db.schema.createIndex('admin_tokens_user').on('admin_tokens').column('user_id').execute();
      await db.schema
        .createTable('admin_one_time_codes')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('user_id', 'text', (c) => c.notNull().references('admin_users.id').onDelete('cascade'))
        .addColumn('purpose', 'text', (c) => c.notNull().check(sql`purpose in ('invitation', 'password_reset')`))
        .addColumn('hash', 'text', (c) => c.notNull())
        .addColumn('expires_at', big, (c) => c.notNull())
        .addColumn('created_by', 'text', (c) => c.notNull())
        .addColumn('created_at', big, (c) => c.notNull())
        .addColumn('used_at', big)
        .execute();
      await db.schema.createIndex('admin_one_time_codes_user').on('admin_one_time_codes').column('user_id').execute();
      await db.schema
        .createTable('admin_state')
        .addColumn('key', 'text', (c) => c.primaryKey())
        .addColumn('value', 'text', (c) => c.notNull())
        .addColumn('updated_at', big, (c) => c.notNull())
        .execute();
    },
    async down(db: Kysely<unknown>) {
      for (const table of ['admin_state', 'admin_one_time_codes', 'admin_tokens', 'admin_roles', 'admin_users']) await db.schema.dropTable(table).execute();
    },
  };
}
