/** Migration 0017 (issue 18 §4): admin users' WebAuthn credentials and pending ceremony challenges. */
import type { Kysely, Migration } from 'kysely';

export function adminWebAuthnMigration(big: 'bigint' | 'integer'): Migration {
  return {
    async up(db: Kysely<unknown>) {
      await db.schema
        .createTable('admin_webauthn_credentials')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('user_id', 'text', (c) => c.notNull())
        .addColumn('credential_id', 'text', (c) => c.notNull().unique())
        .addColumn('public_key', 'text', (c) => c.notNull())
        .addColumn('sign_count', big, (c) => c.notNull())
        .addColumn('transports', 'text', (c) => c.notNull())
        .addColumn('name', 'text', (c) => c.notNull())
        .addColumn('created_at', big, (c) => c.notNull())
        .addColumn('last_used_at', big)
        .execute();
      await db.schema.createIndex('admin_webauthn_credentials_user').on('admin_webauthn_credentials').column('user_id').execute();
      await db.schema
        .createTable('admin_webauthn_challenges')
        .addColumn('challenge', 'text', (c) => c.primaryKey())
        .addColumn('user_id', 'text', (c) => c.notNull())
        .addColumn('purpose', 'text', (c) => c.notNull())
        .addColumn('session_id', 'text')
        .addColumn('expires_at', big, (c) => c.notNull())
        .execute();
    },
    async down(db: Kysely<unknown>) {
      await db.schema.dropTable('admin_webauthn_challenges').execute();
      await db.schema.dropTable('admin_webauthn_credentials').execute();
    },
  };
}
