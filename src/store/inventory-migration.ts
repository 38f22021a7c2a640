/** Migration 0032: the API inventory's counters (store/inventory-tables.ts). */
import type { Kysely, Migration } from 'kysely';

export function inventoryMigration(big: 'bigint' | 'integer'): Migration {
  return {
    async up(db: Kysely<unknown>) {
      await db.schema
        .createTable('route_traffic')
        .addColumn('route', 'text', (c) => c.notNull())
        .addColumn('consumer', 'text', (c) => c.notNull())
        .addColumn('hour', big, (c) => c.notNull())
        .addColumn('requests', big, (c) => c.notNull())
        .addColumn('errors', big, (c) => c.notNull())
        .addColumn('last_seen', big, (c) => c.notNull())
        .addPrimaryKeyConstraint('route_traffic_pk', ['route', 'consumer', 'hour'])
        .execute();
      await db.schema.createIndex('route_traffic_hour').on('route_traffic').column('hour').execute();
      await db.schema
        .createTable('route_unmatched')
        .addColumn('route', 'text', (c) => c.notNull())
        .addColumn('method', 'text', (c) => c.notNull())
        .addColumn('template', 'text', (c) => c.notNull())
        .addColumn('count', big, (c) => c.notNull())
        .addColumn('first_seen', big, (c) => c.notNull())
        .addColumn('last_seen', big, (c) => c.notNull())
        .addPrimaryKeyConstraint('route_unmatched_pk', ['route', 'method', 'template'])
        .execute();
    },
    async down(db: Kysely<unknown>) {
      await db.schema.dropTable('route_unmatched').execute();
      await db.schema.dropTable('route_traffic').execute();
    },
  };
}
