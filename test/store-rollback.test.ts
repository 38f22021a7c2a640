/**
 * Rolling upgrades and rollbacks (docs/operations.md#upgrades-and-rollback): a release started on a
 * store that a newer release has migrated runs on it (expand-only migrations keep it compatible),
 * logging store.schema_newer, instead of refusing to start as Kysely would; on both dialects.
 */
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { sql } from 'kysely';
import { migrations } from '../src/store/migrations.js';
import { migrateToLatest, openStore, type OpenedStore } from '../src/store/open-store.js';
import { STORE_BACKENDS } from './helpers/store-backends.js';
import { baseConfig, httpRequest, startGateway, startUpstream } from './helpers/index.js';

const NEWER = '9999_from_a_newer_release';

async function recordMigration(store: OpenedStore, name: string): Promise<void> {
  const table = store.schema ? sql`${sql.id(store.schema)}.kysely_migration` : sql`kysely_migration`;
  await sql`insert into ${table} (name, timestamp) values (${name}, ${new Date().toISOString()})`.execute(store.db);
}

for (const backend of STORE_BACKENDS) {
  describe(`a store migrated by a newer release (${backend.name})`, { skip: backend.skip }, () => {
    test('is run on as it is: nothing migrated, the newer migrations named', async () => {
      const { location, cleanup } = await backend.open();
      const store = openStore(location);
      try {
        assert.equal((await migrateToLatest(store)).results?.length, Object.keys(migrations(store.dialect)).length);
        await recordMigration(store, NEWER);
        const again = await migrateToLatest(store);
        assert.deepEqual(again.newer, [NEWER]);
        assert.deepEqual(again.results, []);
      } finally {
        await store.close();
        await cleanup();
      }
    });

    test('is refused when it also lacks migrations this release has (another line of releases)', async () => {
      const { location, cleanup } = await backend.open();
      const store = openStore(location);
      try {
        await migrateToLatest(store);
        const last = Object.keys(migrations(store.dialect)).at(-1)!;
        const table = store.schema ? sql`${sql.id(store.schema)}.kysely_migration` : sql`kysely_migration`;
        await sql`delete from ${table} where name = ${last}`.execute(store.db);
        await recordMigration(store, NEWER);
        await assert.rejects(migrateToLatest(store), new RegExp(`does not know \\(${NEWER}\\) and lacks some it has \\(${last}\\)`));
      } finally {
        await store.close();
        await cleanup();
      }
    });
  });
}

test('a gateway started on a store a newer release migrated serves, and logs store.schema_newer', async () => {
  const path = join(mkdtempSync(join(tmpdir(), 'portcullis-rollback-')), 'store.db');
  const store = openStore({ driver: 'sqlite', path });
  await migrateToLatest(store);
  await recordMigration(store, NEWER);
  await store.close();
  const upstream = await startUpstream();
  const gw = await startGateway(baseConfig([upstream.url], { store: { path }, apiKeys: { pepper: '${env:PEPPER}' } }), { env: { PEPPER: 'p'.repeat(40) } });
  try {
    const logged = await gw.logs.waitFor((record) => record.event === 'store.schema_newer');
    assert.equal(logged.level, 'warn');
    assert.deepEqual(logged.migrations, [NEWER]);
    assert.equal((await httpRequest(`${gw.url}/anything`)).status, 200);
  } finally {
    await gw.close();
    await upstream.close();
  }
});
