/** Migration of admin single sign-on (issue 18 §5): sign-ins in progress, linked provider identities. */
import type { Kysely, Migration } from 'kysely';

export function adminSsoMigration(big: 'bigint' | 'integer'): Migration {
  return {
    async up(db: Kysely<unknown>) {
      await db.schema
        .createTable('admin_sso_requests')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('purpose', 'text', (c) => c.notNull())
        .addColumn('binding_hash', 'text')
        .addColumn('user_id', 'text')
        .addColumn('created_at', big, (c) => c.notNull())
        .addColumn('expires_at', big, (c) => c.notNull())
        .execute();
      await db.schema.createIndex('admin_sso_requests_expiry').on('admin_sso_requests').column('expires_at').execute();
      await db.schema
        .createTable('admin_sso_identities')
        .addColumn('issuer', 'text', (c) => c.notNull())
        .addColumn('subject', 'text', (c) => c.notNull())
        .addColumn('user_id', 'text', (c) => c.notNull())
        .addColumn('email', 'text', (c) => c.notNull())
        .addColumn('created_at', big, (c) => c.notNull())
        .addColumn('last_login_at', big, (c) => c.notNull())
        .addPrimaryKeyConstraint('admin_sso_identities_pk', ['issuer', 'subject'])
        .execute();
      await db.schema.createIndex('admin_sso_identities_user').on('admin_sso_identities').column('user_id').execute();
    },
    async down(db: Kysely<unknown>) {
      await db.schema.dropTable('admin_sso_identities').execute();
      await db.schema.dropTable('admin_sso_requests').execute();
    },
  };
}
