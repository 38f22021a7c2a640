import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { ManualClock } from '../src/core/clock.js';
import { createLogger } from '../src/observability/logger.js';
import { addFieldUsage, FieldUsageCounters, listFieldUsage, unusedFields } from '../src/store/field-usage.js';
import { migrateToLatest, openStore } from '../src/store/open-store.js';
import { baseConfig, httpRequest, startGateway, startUpstream } from './helpers/index.js';
import { runCliAsync } from './helpers/cli.js';
import { migratedStore, STORE_BACKENDS } from './helpers/store-backends.js';

const DAY = 86_400_000;
const ADMIN_TOKEN = 'field-usage-admin-token-0123456789abcdef';
const PEPPER = 'field-usage-pepper-0123456789abcdefghijklmnop';
const silentLogger = createLogger({ level: 'silent', redactHeaders: [] }, { write: () => true });
const ALLOWED = ['/data/*/id', '/data/*/iban', '/data/*/nickname', '/data/*/owner/name'];

test('a gateway request through a real upstream counts the allowed fields present, written at shutdown', async () => {
  const work = mkdtempSync(join(tmpdir(), 'portcullis-field-usage-'));
  const clock = new ManualClock(Date.UTC(2026, 5, 1));
  const upstream = await startUpstream((_req, res) => {
    res.writeHead(200, { 'content-type': 'application/json' });
    // nickname is null (not present), balance is not allowed (removed, never counted).
    res.end(JSON.stringify({ data: [{ id: 'a1', iban: 'NL91ABNA0417164300', nickname: null, balance: 3, owner: { name: 'Jane' } }, { id: 'a2', iban: 'GB82WEST12345698765432', balance: 4 }] }));
  });
  const config = baseConfig([upstream.url], {
    store: { driver: 'sqlite', path: join(work, 'store.db') },
    admin: { host: '127.0.0.1', port: 0, token: '${env:ADMIN_TOKEN}' },
    apiKeys: { pepper: '${env:PEPPER}' },
    routes: [{ name: 'accounts', methods: ['GET'], path: '/accounts', upstream: 'backend', policies: { fields: { response: { mode: 'allow', paths: ALLOWED } } } }],
  });
  const gw = await startGateway(config, { clock, env: { ADMIN_TOKEN, PEPPER } });
  try {
    assert.equal((await httpRequest(`${gw.url}/accounts`)).status, 200);
    clock.advance(5_000);
    assert.equal((await httpRequest(`${gw.url}/accounts`)).status, 200);
    // Nothing written yet (the flush is once a minute): the admin API sees no usage, all four unused.
    const early = await httpRequest(`${gw.gateway.adminUrl}/v1/fields/usage?route=accounts&unused=90d`, { headers: { authorization: `Bearer ${ADMIN_TOKEN}` } });
    assert.equal(early.status, 200, early.text);
    assert.deepEqual(early.json(), { route: 'accounts', allowed: ALLOWED, usage: [], unused: [...ALLOWED].sort() });
    const unknown = await httpRequest(`${gw.gateway.adminUrl}/v1/fields/usage?route=nowhere`, { headers: { authorization: `Bearer ${ADMIN_TOKEN}` } });
    assert.equal(unknown.status, 404);
  } finally {
    await gw.close();
    await upstream.close();
  }
  const opened = openStore({ driver: 'sqlite', path: join(work, 'store.db') });
  try {
    const rows = await listFieldUsage(opened, 'accounts');
    const start = Date.UTC(2026, 5, 1);
    // One count per response in which the path reached a non-null value (not per array element).
    assert.deepEqual(rows, [
      { route: 'accounts', consumer: '-', path: '/data/*/iban', count: 2, firstSeen: start, lastSeen: start + 5_000 },
      { route: 'accounts', consumer: '-', path: '/data/*/id', count: 2, firstSeen: start, lastSeen: start + 5_000 },
      { route: 'accounts', consumer: '-', path: '/data/*/owner/name', count: 2, firstSeen: start, lastSeen: start + 5_000 },
    ]);
    assert.deepEqual(unusedFields(ALLOWED, rows, start - 90 * DAY), ['/data/*/nickname']);
    const changes = await opened.db.selectFrom('changes').select('entity').execute();
    assert.ok(!changes.some((c) => (c.entity as string).includes('field')), 'counters never enter the change feed');
  } finally {
    await opened.close();
  }
  // The operator's view of what was flushed: `portcullis fields report` through the admin API.
  const again = await startGateway(config, { clock, env: { ADMIN_TOKEN, PEPPER } });
  try {
    const env = { PORTCULLIS_ADMIN_URL: again.gateway.adminUrl, PORTCULLIS_ADMIN_TOKEN: ADMIN_TOKEN };
    const unused = await runCliAsync(['fields', 'report', '--route', 'accounts', '--unused', '90d'], env);
    assert.equal(unused.status, 0, unused.stderr);
    assert.equal(unused.stdout, '/data/*/nickname\n', 'the one allowed field no response carried');
    const report = await runCliAsync(['fields', 'report', '--route', 'accounts', '--json'], env);
    assert.equal(report.status, 0, report.stderr);
    const parsed = JSON.parse(report.stdout) as { usage: Array<{ path: string; count: number }> };
    assert.deepEqual(parsed.usage.map((row) => [row.path, row.count]), [['/data/*/iban', 2], ['/data/*/id', 2], ['/data/*/owner/name', 2]]);
    const unknown = await runCliAsync(['fields', 'report', '--route', 'nowhere'], env);
    assert.equal(unknown.status, 1);
    assert.match(unknown.stderr, /no route named nowhere/);
  } finally {
    await again.close();
  }
});

for (const backend of STORE_BACKENDS) {
  describe(`field usage on ${backend.name}`, { skip: backend.skip }, () => {
    const holder = migratedStore(backend);

    test('flushes add to the stored counts and keep the first and last times', async () => {
      const clock = new ManualClock(Date.UTC(2026, 0, 1));
      const counters = new FieldUsageCounters(holder.store, { flushMs: 60_000, logger: () => silentLogger });
      counters.record('r', 'c1', ['/a', '/b'], clock.now());
      clock.advance(1_000);
      counters.record('r', 'c1', ['/a'], clock.now());
      counters.record('r', 'c2', ['/a'], clock.now());
      await counters.flush();
      assert.equal(counters.pendingSize, 0);
      const t0 = Date.UTC(2026, 0, 1);
      clock.advance(100 * DAY);
      // A second worker's (or node's) flush of the same key adds to the row.
      const other = new FieldUsageCounters(holder.store, { flushMs: 60_000, logger: () => silentLogger });
      other.record('r', 'c1', ['/a'], clock.now());
      await other.stop();
      const rows = await listFieldUsage(holder.store, 'r');
      assert.deepEqual(rows, [
        { route: 'r', consumer: 'c1', path: '/a', count: 3, firstSeen: t0, lastSeen: clock.now() },
        { route: 'r', consumer: 'c2', path: '/a', count: 1, firstSeen: t0 + 1_000, lastSeen: t0 + 1_000 },
        { route: 'r', consumer: 'c1', path: '/b', count: 1, firstSeen: t0, lastSeen: t0 },
      ]);
      assert.deepEqual(await listFieldUsage(holder.store, 'r', 'c2'), [rows[1]]);
      // /b was last seen 100 days ago, /c never: both unused over 90 days; /a is in use.
      const since = clock.now() - 90 * DAY;
      assert.deepEqual(unusedFields(['/a', '/b', '/c'], rows, since), ['/b', '/c']);
      assert.deepEqual(unusedFields(['/a', '/b', '/c'], await listFieldUsage(holder.store, 'r', 'c2'), since), ['/a', '/b', '/c']);
    });

  });
}

test('a flush that fails keeps its counts and writes them once the store can take them', async () => {
  // A real failure: the table does not exist until the store is migrated.
  const store = openStore({ driver: 'sqlite', path: join(mkdtempSync(join(tmpdir(), 'portcullis-field-usage-')), 'store.db') });
  try {
    const counters = new FieldUsageCounters(store, { flushMs: 60_000, logger: () => silentLogger });
    counters.record('kept', 'c', ['/x'], 1);
    await counters.flush();
    assert.equal(counters.pendingSize, 1);
    counters.record('kept', 'c', ['/x'], 2);
    await migrateToLatest(store);
    await counters.flush();
    assert.deepEqual(await listFieldUsage(store, 'kept'), [{ route: 'kept', consumer: 'c', path: '/x', count: 2, firstSeen: 1, lastSeen: 2 }]);
    await addFieldUsage(store, []);
  } finally {
    await store.close();
  }
});
