/**
 * Migration of admin sign-in (issue 18): login sessions, TOTP factors and recovery codes. Its own
 * module beside the list in migrations.ts, which stays one readable list.
 */
import { sql, type Kysely, type Migration } from 'kysely';

export function adminAuthMigration(big: 'bigint' | 'integer'): Migration {
  return {
    async up(db: Kysely<unknown>) {
      await db.schema
        .createTable('admin_sessions')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('user_id', 'text', (c) => c.notNull())
        .addColumn('token_hash', 'text', (c) => c.notNull().unique())
        .addColumn('method', 'text', (c) => c.notNull())
        .addColumn('mfa', 'integer', (c) => c.notNull())
        .addColumn('mfa_at', big)
        .addColumn('enrol_only', 'integer', (c) => c.notNull())
        .addColumn('created_at', big, (c) => c.notNull())
        .addColumn('last_seen_at', big, (c) => c.notNull())
        .addColumn('expires_at', big, (c) => c.notNull())
        .addColumn('ip', 'text')
        .addColumn('user_agent', 'text')
        .addColumn('revoked_at', big)
        .execute();
      await db.schema.createIndex('admin_sessions_user').on('admin_sessions').column('user_id').execute();
      await db.schema
        .createTable('admin_totp')
        .addColumn('user_id', 'text', (c) => c.primaryKey())
        .addColumn('secret_encrypted', 'text', (c) => c.notNull())
        .addColumn('status', 'text', (c) => c.notNull().check(sql`status in ('pending', 'active')`))
        .addColumn('last_step', big)
        .addColumn('created_at', big, (c) => c.notNull())
        .addColumn('confirmed_at', big)
        .execute();
      await db.schema
        .createTable('admin_recovery_codes')
        .addColumn('user_id', 'text', (c) => c.notNull())
        .addColumn('code_hash', 'text', (c) => c.notNull())
        .addColumn('created_at', big, (c) => c.notNull())
        .addColumn('used_at', big)
        .addPrimaryKeyConstraint('admin_recovery_codes_pk', ['user_id', 'code_hash'])
        .execute();
    },
    async down(db: Kysely<unknown>) {
      await db.schema.dropTable('admin_recovery_codes').execute();
      await db.schema.dropTable('admin_totp').execute();
      await db.schema.dropTable('admin_sessions').execute();
    },
  };
}
