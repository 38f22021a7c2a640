/**
 * Versioned migrations, in order. Each runs once (Kysely records them in kysely_migration); a
 * migration branches on the dialect only where the column types differ. A new migration takes the
 * next number and goes last: Kysely refuses to start on a store whose executed migrations are not
 * a prefix of this list (a test checks the order).
 */
import { upstreamCredentialLastErrorMigration, upstreamCredentialsMigration } from './credential-migration.js';
import { sql, type Kysely, type Migration } from 'kysely';
import { auditTrailMigration } from './audit-migration.js';
import { adminAuthMigration } from './admin-auth-migration.js';
import { adminWebAuthnMigration } from './admin-webauthn-migration.js';
import { adminUsersMigration } from './admin-migrations.js';
import { vaultMigration } from './vault-migration.js';
import { alertsMigration } from './alert-migration.js';
import { adminSsoMigration } from './admin-sso-migration.js';
import { inventoryMigration } from './inventory-migration.js';
import { assessmentMigration } from './assessment-migration.js';

export type Dialect = 'sqlite' | 'postgres';

export function migrations(dialect: Dialect): Record<string, Migration> {
  /** Millisecond timestamps and counters: int8 in PostgreSQL; SQLite integers are 64-bit already. */
  const big = dialect === 'postgres' ? 'bigint' : 'integer';
  return {
    '0001_consumers_and_api_keys': {
      async up(db: Kysely<unknown>) {
        await db.schema
          .createTable('consumers')
          .addColumn('id', 'text', (c) => c.primaryKey())
          .addColumn('name', 'text', (c) => c.notNull().unique())
          .addColumn('metadata', 'text', (c) => c.notNull().defaultTo('{}'))
          .addColumn('status', 'text', (c) => c.notNull().check(sql`status in ('active', 'disabled')`))
          .addColumn('created_at', big, (c) => c.notNull())
          .addColumn('updated_at', big, (c) => c.notNull())
          .execute();
        await db.schema
          .createTable('api_keys')
          .addColumn('id', 'text', (c) => c.primaryKey())
          .addColumn('consumer_id', 'text', (c) => c.notNull().references('consumers.id'))
          .addColumn('name', 'text', (c) => c.notNull())
          .addColumn('environment', 'text', (c) => c.notNull())
          .addColumn('hash', 'text', (c) => c.notNull())
          .addColumn('scopes', 'text', (c) => c.notNull().defaultTo('[]'))
          .addColumn('status', 'text', (c) => c.notNull().check(sql`status in ('active', 'revoked')`))
          .addColumn('expires_at', big)
          .addColumn('created_by', 'text', (c) => c.notNull())
          .addColumn('created_at', big, (c) => c.notNull())
          .addColumn('last_used_at', big)
          .addColumn('replaced_by', 'text')
          .addColumn('revoked_at', big)
          .execute();
        await db.schema.createIndex('api_keys_consumer').on('api_keys').column('consumer_id').execute();
        await db.schema
          .createTable('store_revision')
          .addColumn('id', 'integer', (c) => c.primaryKey())
          .addColumn('value', big, (c) => c.notNull())
          .execute();
        await db.insertInto('store_revision' as never).values({ id: 1, value: 0 } as never).execute();
        await db.schema
          .createTable('changes')
          .addColumn('revision', big, (c) => c.notNull())
          .addColumn('entity', 'text', (c) => c.notNull())
          .addColumn('entity_id', 'text', (c) => c.notNull())
          .addColumn('changed_at', big, (c) => c.notNull())
          .execute();
        await db.schema.createIndex('changes_revision').on('changes').column('revision').execute();
      },
      async down(db: Kysely<unknown>) {
        await db.schema.dropTable('changes').execute();
        await db.schema.dropTable('store_revision').execute();
        await db.schema.dropTable('api_keys').execute();
        await db.schema.dropTable('consumers').execute();
      },
    },
    '0004_oauth_clients_and_signing_keys': {
      async up(db: Kysely<unknown>) {
        await db.schema
          .createTable('oauth_clients')
          .addColumn('id', 'text', (c) => c.primaryKey())
          .addColumn('consumer_id', 'text', (c) => c.notNull().references('consumers.id'))
          .addColumn('name', 'text', (c) => c.notNull())
          .addColumn('secret_hash', 'text')
          .addColumn('previous_secret_hash', 'text')
          .addColumn('previous_secret_expires_at', big)
          .addColumn('jwks', 'text')
          .addColumn('scopes', 'text', (c) => c.notNull().defaultTo('[]'))
          .addColumn('status', 'text', (c) => c.notNull().check(sql`status in ('active', 'revoked')`))
          .addColumn('created_by', 'text', (c) => c.notNull())
          .addColumn('created_at', big, (c) => c.notNull())
          .addColumn('updated_at', big, (c) => c.notNull())
          .addColumn('revoked_at', big)
          .execute();
        await db.schema.createIndex('oauth_clients_consumer').on('oauth_clients').column('consumer_id').execute();
        await db.schema
          .createTable('oauth_signing_keys')
          .addColumn('id', 'text', (c) => c.primaryKey())
          .addColumn('algorithm', 'text', (c) => c.notNull())
          .addColumn('public_jwk', 'text', (c) => c.notNull())
          .addColumn('private_jwk_encrypted', 'text', (c) => c.notNull())
          .addColumn('status', 'text', (c) => c.notNull().check(sql`status in ('active', 'retired')`))
          .addColumn('created_at', big, (c) => c.notNull())
          .addColumn('retired_at', big)
          .addColumn('publish_until', big)
          .execute();
        await db.schema
          .createTable('oauth_revoked_tokens')
          .addColumn('jti', 'text', (c) => c.primaryKey())
          .addColumn('client_id', 'text', (c) => c.notNull())
          .addColumn('expires_at', big, (c) => c.notNull())
          .addColumn('revoked_at', big, (c) => c.notNull())
          .execute();
        await db.schema
          .createTable('oauth_used_assertions')
          .addColumn('client_id', 'text', (c) => c.notNull())
          .addColumn('jti', 'text', (c) => c.notNull())
          .addColumn('expires_at', big, (c) => c.notNull())
          .addPrimaryKeyConstraint('oauth_used_assertions_pk', ['client_id', 'jti'])
          .execute();
      },
      async down(db: Kysely<unknown>) {
        await db.schema.dropTable('oauth_used_assertions').execute();
        await db.schema.dropTable('oauth_revoked_tokens').execute();
        await db.schema.dropTable('oauth_signing_keys').execute();
        await db.schema.dropTable('oauth_clients').execute();
      },
    },
    '0005_rate_limit_overrides': {
      async up(db: Kysely<unknown>) {
        await db.schema
          .createTable('rate_limit_overrides')
          .addColumn('id', 'text', (c) => c.primaryKey())
          .addColumn('subject_type', 'text', (c) => c.notNull().check(sql`subject_type in ('consumer', 'api_key')`))
          .addColumn('subject_id', 'text', (c) => c.notNull())
          .addColumn('limit_name', 'text', (c) => c.notNull())
          .addColumn('limit', 'integer', (c) => c.notNull())
          .addColumn('window_seconds', 'integer')
          .addColumn('burst', 'integer')
          .addColumn('created_at', big, (c) => c.notNull())
          .addColumn('updated_at', big, (c) => c.notNull())
          .addUniqueConstraint('rate_limit_overrides_subject_limit', ['subject_type', 'subject_id', 'limit_name'])
          .execute();
      },
      async down(db: Kysely<unknown>) {
        await db.schema.dropTable('rate_limit_overrides').execute();
      },
    },
    '0006_change_actor_and_action': {
      async up(db: Kysely<unknown>) {
        // Rows written before this migration had no actor: they say so rather than guess one.
        await db.schema.alterTable('changes').addColumn('actor_kind', 'text', (c) => c.notNull().defaultTo('unknown')).execute();
        await db.schema.alterTable('changes').addColumn('actor_id', 'text', (c) => c.notNull().defaultTo('unknown')).execute();
        await db.schema.alterTable('changes').addColumn('action', 'text', (c) => c.notNull().defaultTo('unknown')).execute();
        if (dialect === 'postgres') {
          // New rows must name their actor (SQLite cannot drop a default; the repository types require it there).
          for (const column of ['actor_kind', 'actor_id', 'action']) await db.schema.alterTable('changes').alterColumn(column, (c) => c.dropDefault()).execute();
        }
      },
      async down(db: Kysely<unknown>) {
        for (const column of ['action', 'actor_id', 'actor_kind']) await db.schema.alterTable('changes').dropColumn(column).execute();
      },
    },
    '0007_change_notifications': {
      async up(db: Kysely<unknown>) {
        // Pruning finds old rows by time (change-feed.ts).
        await db.schema.createIndex('changes_changed_at').on('changes').column('changed_at').execute();
        if (dialect !== 'postgres') return;
        // Every transaction that adds change rows notifies the followers of every node at commit
        // (NOTIFY is transactional: a rolled-back write wakes nobody). The payload is the schema,
        // since channels are per database and several gateways may share one in their own schemas.
        await sql`create function portcullis_notify_change() returns trigger language plpgsql as $$
          begin
            perform pg_notify('portcullis_changes', tg_table_schema);
            return null;
          end
        $$`.execute(db);
        await sql`create trigger changes_notify after insert on changes for each statement execute procedure portcullis_notify_change()`.execute(db);
      },
      async down(db: Kysely<unknown>) {
        if (dialect === 'postgres') {
          await sql`drop trigger if exists changes_notify on changes`.execute(db);
          await sql`drop function if exists portcullis_notify_change()`.execute(db);
        }
        await db.schema.dropIndex('changes_changed_at').execute();
      },
    },
    '0008_private_ca_records': {
      async up(db: Kysely<unknown>) {
        await db.schema
          .createTable('pki_certificates')
          .addColumn('ca_id', 'text', (c) => c.notNull())
          .addColumn('serial', 'text', (c) => c.notNull())
          .addColumn('consumer_id', 'text', (c) => c.notNull())
          .addColumn('subject', 'text', (c) => c.notNull())
          .addColumn('fingerprint_sha256', 'text', (c) => c.notNull())
          .addColumn('not_before', big, (c) => c.notNull())
          .addColumn('not_after', big, (c) => c.notNull())
          .addColumn('status', 'text', (c) => c.notNull().check(sql`status in ('active', 'revoked')`))
          .addColumn('revoked_at', big)
          .addColumn('issued_by', 'text', (c) => c.notNull())
          .addColumn('created_at', big, (c) => c.notNull())
          .addPrimaryKeyConstraint('pki_certificates_pk', ['ca_id', 'serial'])
          .execute();
        await db.schema
          .createTable('pki_crls')
          .addColumn('ca_id', 'text', (c) => c.primaryKey())
          .addColumn('crl_number', big, (c) => c.notNull())
          .addColumn('this_update', big, (c) => c.notNull())
          .addColumn('next_update', big, (c) => c.notNull())
          .addColumn('pem', 'text', (c) => c.notNull())
          .execute();
      },
      async down(db: Kysely<unknown>) {
        await db.schema.dropTable('pki_crls').execute();
        await db.schema.dropTable('pki_certificates').execute();
      },
    },
    '0009_audit_trail': auditTrailMigration(dialect),
    '0010_admin_users': adminUsersMigration(big),
    '0011_vault_secrets': vaultMigration(big),
    '0012_admin_sessions_and_mfa': adminAuthMigration(big),
    '0013_audit_sink_cursors': {
      async up(db: Kysely<unknown>) {
        // One row per audit sink: how far it has been delivered (a seq of the audit chain), which
        // node delivers to it (a lease), and whether it is failing (read by the block-mode guard of
        // every node). docs/audit.md, "Streaming to sinks".
        await db.schema
          .createTable('audit_sink_cursors')
          .addColumn('sink', 'text', (c) => c.primaryKey())
          .addColumn('delivered_seq', big, (c) => c.notNull())
          .addColumn('lease_owner', 'text')
          .addColumn('lease_until', big)
          .addColumn('failing_since', big)
          .addColumn('last_error', 'text')
          .addColumn('updated_at', big, (c) => c.notNull())
          .execute();
      },
      async down(db: Kysely<unknown>) {
        await db.schema.dropTable('audit_sink_cursors').execute();
      },
    },
    '0014_upstream_credentials': upstreamCredentialsMigration(big),
    '0015_field_usage': {
      async up(db: Kysely<unknown>) {
        // Counters (store/field-usage.ts), upserted by every node's flush: one row per route, consumer and path.
        await db.schema
          .createTable('field_usage')
          .addColumn('route', 'text', (c) => c.notNull())
          .addColumn('consumer', 'text', (c) => c.notNull())
          .addColumn('path', 'text', (c) => c.notNull())
          .addColumn('count', big, (c) => c.notNull())
          .addColumn('first_seen', big, (c) => c.notNull())
          .addColumn('last_seen', big, (c) => c.notNull())
          .addPrimaryKeyConstraint('field_usage_pk', ['route', 'consumer', 'path'])
          .execute();
      },
      async down(db: Kysely<unknown>) {
        await db.schema.dropTable('field_usage').execute();
      },
    },
    '0017_admin_webauthn': adminWebAuthnMigration(big),
    '0020_upstream_credential_last_error': upstreamCredentialLastErrorMigration(big),
    '0021_alerts': alertsMigration(dialect),
    '0024_config_history_and_nodes': {
      async up(db: Kysely<unknown>) {
        // Every applied config once per hash, with the file as written (issue 22 §3, store/config-history.ts).
        await db.schema
          .createTable('config_history')
          .addColumn('sha256', 'text', (c) => c.primaryKey())
          .addColumn('config', 'text', (c) => c.notNull())
          .addColumn('source', 'text')
          .addColumn('file', 'text')
          .addColumn('first_applied_at', big, (c) => c.notNull())
          .addColumn('last_applied_at', big, (c) => c.notNull())
          .addColumn('first_node', 'text', (c) => c.notNull())
          .execute();
        // One row per node: what it serves and when it was last seen (a heartbeat, not a change).
        await db.schema
          .createTable('gateway_nodes')
          .addColumn('node_id', 'text', (c) => c.primaryKey())
          .addColumn('version', 'text', (c) => c.notNull())
          .addColumn('config_sha256', 'text', (c) => c.notNull())
          .addColumn('pid', 'integer', (c) => c.notNull())
          .addColumn('started_at', big, (c) => c.notNull())
          .addColumn('last_seen', big, (c) => c.notNull())
          .execute();
      },
      async down(db: Kysely<unknown>) {
        await db.schema.dropTable('gateway_nodes').execute();
        await db.schema.dropTable('config_history').execute();
      },
    },
    // Numbered after 0024 although written as 0018: it landed last, and a store only starts when its
    // applied migrations are a prefix of this list.
    '0025_admin_sso': adminSsoMigration(big),
    '0032_inventory_counters': inventoryMigration(big),
    '0034_assessment_results': assessmentMigration(big),
  };
}
