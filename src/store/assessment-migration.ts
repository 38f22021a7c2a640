/** Migration 0034: results of continuous assessment (store/assessment-tables.ts). */
import type { Kysely, Migration } from 'kysely';

export function assessmentMigration(big: 'bigint' | 'integer'): Migration {
  return {
    async up(db: Kysely<unknown>) {
      await db.schema
        .createTable('assessment_results')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('upstream', 'text', (c) => c.notNull())
        .addColumn('target', 'text', (c) => c.notNull())
        .addColumn('grade', 'text', (c) => c.notNull())
        .addColumn('cap_reasons', 'text', (c) => c.notNull())
        .addColumn('findings', 'text', (c) => c.notNull())
        .addColumn('certificate_not_after', big)
        .addColumn('assessed_at', big, (c) => c.notNull())
        .execute();
      await db.schema.createIndex('assessment_results_upstream_time').on('assessment_results').columns(['upstream', 'assessed_at']).execute();
    },
    async down(db: Kysely<unknown>) {
      await db.schema.dropTable('assessment_results').execute();
    },
  };
}
