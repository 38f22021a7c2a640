/**
 * Denied is not broken, and broken is not down (issue 15 §5): the admin API answers a store that
 * cannot serve with 503 store.unavailable, and a bug, including a statement the real database
 * refuses, with 500 internal that never echoes the cause. Real stores only: a SQLite file, and a
 * private PostgreSQL cluster that the test stops. The failing routes are test-only routes
 * registered through the route table, like any other route.
 */
import assert from 'node:assert/strict';
import { sql } from 'kysely';
import { after, before, describe, test } from 'node:test';
import { defineRoute, type AdminRoute } from '../src/admin/route.js';
import { ADMIN_ROUTES } from '../src/admin/routes/index.js';
import { Type } from '@sinclair/typebox';
import { assertProblem } from './helpers/index.js';
import { sqliteLocation, startAdminApi, type StandaloneAdminApi } from './helpers/admin-api.js';
import { PrivatePostgres, skipWithoutInitdb } from './helpers/private-postgres.js';

const CAUSE = 'cause-that-must-stay-in-the-log-7f3a';

/** A handler bug, and a statement the database answers with an error (no such table). */
function failingRoutes(api: () => StandaloneAdminApi): AdminRoute[] {
  const route = (path: string, handler: () => Promise<unknown>) =>
    defineRoute({ method: 'GET', path, summary: 'test only', permission: 'test:read', status: 200, responseSchema: Type.Unknown(), handler });
  return [
    route('/v1/test/bug', async () => {
      throw new TypeError(`undefined is not a function (${CAUSE})`);
    }),
    route('/v1/test/bad-statement', async () => sql`select * from no_such_table_${sql.raw(CAUSE.replace(/-/g, '_'))}`.execute(api().store.db)),
  ];
}

async function problem(reply: Response, status: number, code: string): Promise<Record<string, unknown>> {
  const text = await reply.text();
  return assertProblem({ status: reply.status, headers: Object.fromEntries(reply.headers), text }, status, code);
}

async function assertBug(api: StandaloneAdminApi, path: string): Promise<void> {
  const reply = await api.call('GET', path);
  const text = await reply.clone().text();
  const body = await problem(reply, 500, 'internal');
  assert.equal(body.detail, 'Internal gateway error', 'a 500 carries only the title');
  assert.doesNotMatch(text, new RegExp(CAUSE.replace(/-/g, '.')));
  const logged = await api.logs.waitFor((r) => r.event === 'admin.internal_error' && r.requestId === body.instance);
  assert.match(JSON.stringify(logged), new RegExp(CAUSE.replace(/-/g, '.')), 'the cause is in the log');
}

describe('admin API errors on SQLite', () => {
  let api: StandaloneAdminApi;
  before(async () => {
    api = await startAdminApi(sqliteLocation(), { routes: [...ADMIN_ROUTES, ...failingRoutes(() => api)], keepBootstrapToken: true });
  });
  after(() => api.close());

  test('answers a handler bug with 500 internal, the cause only in the log', () => assertBug(api, '/v1/test/bug'));

  test('answers a statement SQLite refuses (no such table) with 500 internal, not 503', () => assertBug(api, '/v1/test/bad-statement'));

  test('answers a closed store with 503 store.unavailable', async () => {
    assert.equal((await api.call('GET', '/v1/consumers')).status, 200);
    await api.store.close();
    const body = await problem(await api.call('GET', '/v1/consumers'), 503, 'store.unavailable');
    await api.logs.waitFor((r) => r.event === 'admin.store_failed' && r.requestId === body.instance);
    // A bug stays a bug while the store is down.
    await assertBug(api, '/v1/test/bug');
  });
});

describe('admin API errors on PostgreSQL', { skip: skipWithoutInitdb, timeout: 300_000 }, () => {
  let cluster: PrivatePostgres;
  let api: StandaloneAdminApi;
  before(async () => {
    cluster = await PrivatePostgres.create();
    api = await startAdminApi({ driver: 'postgres', url: cluster.url(), connectTimeoutMs: 500, queryTimeoutMs: 1000 }, { routes: [...ADMIN_ROUTES, ...failingRoutes(() => api)], keepBootstrapToken: true });
  });
  after(async () => {
    await api?.close();
    await cluster?.destroy();
  });

  test('answers a statement PostgreSQL refuses (42P01) with 500 internal, not 503', () => assertBug(api, '/v1/test/bad-statement'));

  test('answers a stopped PostgreSQL with 503 store.unavailable, on reads and writes, and a bug still with 500', async () => {
    assert.equal((await api.call('POST', '/v1/consumers', { body: { name: 'before' } })).status, 201);
    await cluster.stop('immediate');
    await problem(await api.call('GET', '/v1/consumers'), 503, 'store.unavailable');
    const write = await problem(await api.call('POST', '/v1/consumers', { body: { name: 'during' } }), 503, 'store.unavailable');
    await api.logs.waitFor((r) => r.event === 'admin.store_failed' && r.requestId === write.instance);
    await problem(await api.call('GET', '/v1/test/bad-statement'), 503, 'store.unavailable');
    await assertBug(api, '/v1/test/bug');
  });
});
