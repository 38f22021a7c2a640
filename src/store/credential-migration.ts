/**
 * The upstream credentials' table (issue 19 §4, §5; store/upstream-credentials.ts): settings by
 * reference, lifecycle, and the sealed tokens with their fencing version.
 */
import { sql, type Kysely, type Migration } from 'kysely';

/** 0020: the last failed token request of each credential (`credentials show`), cleared by the next success. */
export function upstreamCredentialLastErrorMigration(big: 'bigint' | 'integer'): Migration {
  return {
    async up(db: Kysely<unknown>) {
      await db.schema.alterTable('upstream_credentials').addColumn('last_error', 'text').execute();
      await db.schema.alterTable('upstream_credentials').addColumn('last_error_at', big).execute();
    },
    async down(db: Kysely<unknown>) {
      await db.schema.alterTable('upstream_credentials').dropColumn('last_error_at').execute();
      await db.schema.alterTable('upstream_credentials').dropColumn('last_error').execute();
    },
  };
}

export function upstreamCredentialsMigration(big: 'bigint' | 'integer'): Migration {
  return {
    async up(db: Kysely<unknown>) {
      await db.schema
        .createTable('upstream_credentials')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('name', 'text', (c) => c.notNull().unique())
        .addColumn('kind', 'text', (c) => c.notNull().check(sql`kind in ('static', 'client_credentials', 'refresh_token')`))
        .addColumn('settings', 'text', (c) => c.notNull())
        .addColumn('status', 'text', (c) => c.notNull().check(sql`status in ('active', 'quarantined', 'revoked', 'expired')`))
        .addColumn('status_reason', 'text')
        .addColumn('owner', 'text', (c) => c.notNull())
        .addColumn('consumer_id', 'text')
        .addColumn('expires_at', big)
        .addColumn('max_age_days', 'integer')
        .addColumn('disable_if_unused_days', 'integer')
        .addColumn('last_used_at', big)
        .addColumn('token_version', big, (c) => c.notNull().defaultTo(0))
        .addColumn('tokens_sealed', 'text')
        .addColumn('token_expires_at', big)
        .addColumn('refreshed_at', big)
        .addColumn('created_by', 'text', (c) => c.notNull())
        .addColumn('created_at', big, (c) => c.notNull())
        .addColumn('updated_at', big, (c) => c.notNull())
        .execute();
      await db.schema.createIndex('upstream_credentials_consumer').on('upstream_credentials').column('consumer_id').execute();
    },
    async down(db: Kysely<unknown>) {
      await db.schema.dropTable('upstream_credentials').execute();
    },
  };
}
