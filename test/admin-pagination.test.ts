/**
 * Cursor pagination of admin API lists (issue 15 §5), on SQLite and on the real PostgreSQL, with
 * more rows than a page: `?limit=` (default 100, at most 1000) and an opaque `cursor`, answered as
 * `{ items, nextCursor }`; keyset order by id, nothing skipped or repeated; and the CLI follows the
 * pages, so `portcullis consumers list` still lists everything.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { newConsumerId } from '../src/store/ids.js';
import { OAuthClientRepository } from '../src/store/oauth-repositories.js';
import type { StoreLocation } from '../src/store/open-store.js';
import { runCliAsync } from './helpers/cli.js';
import { sqliteLocation, startAdminApi, type StandaloneAdminApi } from './helpers/admin-api.js';
import { ADMIN_TOKEN } from './helpers/keys.js';
import { createPostgresSchema, POSTGRES_URL, skipWithoutPostgres } from './helpers/services.js';
import { TEST_ACTOR } from './helpers/store.js';

/** More than ten default pages, and more than one page of the largest size. */
const CONSUMERS = 1005;

interface Backend {
  name: string;
  skip: false | string;
  open(): Promise<{ location: StoreLocation; cleanup(): Promise<void> }>;
}

const backends: Backend[] = [
  { name: 'SQLite', skip: false, open: async () => ({ location: sqliteLocation(), cleanup: async () => {} }) },
  {
    name: 'PostgreSQL',
    skip: skipWithoutPostgres,
    async open() {
      const { schema, drop } = await createPostgresSchema();
      return { location: { driver: 'postgres', url: POSTGRES_URL, schema }, cleanup: drop };
    },
  },
];

type Page = { items: Array<{ id: string }>; nextCursor: string | null };

for (const backend of backends) {
  describe(`admin API pagination: ${backend.name}`, { skip: backend.skip, timeout: 300_000 }, () => {
    let api: StandaloneAdminApi;
    let cleanup: () => Promise<void>;
    let consumerIds: string[];
    let owner: string;

    before(async () => {
      const opened = await backend.open();
      cleanup = opened.cleanup;
      api = await startAdminApi(opened.location);
      // One multi-row insert: the pages are what is tested, not a thousand admin calls.
      const now = Date.now();
      const rows = Array.from({ length: CONSUMERS }, (_, i) => ({ id: newConsumerId(), name: `consumer-${i}`, metadata: '{}', status: 'active' as const, created_at: now, updated_at: now }));
      await api.store.db.insertInto('consumers').values(rows).execute();
      consumerIds = rows.map((r) => r.id);
      owner = consumerIds[0]!;
      for (let i = 0; i < 5; i++) await api.keys.create(TEST_ACTOR, { consumerId: owner, name: `k${i}`, scopes: [] });
      await api.keys.create(TEST_ACTOR, { consumerId: consumerIds[1]!, name: 'other', scopes: [] });
    });
    after(async () => {
      await api?.close();
      await cleanup?.();
    });

    async function page(path: string): Promise<Page> {
      const reply = await api.call('GET', path);
      assert.equal(reply.status, 200, await reply.clone().text());
      return (await reply.json()) as Page;
    }

    async function walk(path: string, limit?: number): Promise<{ ids: string[]; sizes: number[] }> {
      const ids: string[] = [];
      const sizes: number[] = [];
      let cursor: string | null = null;
      do {
        const query = new URLSearchParams({ ...(limit === undefined ? {} : { limit: String(limit) }), ...(cursor === null ? {} : { cursor }) });
        const got = await page(`${path}${path.includes('?') ? '&' : '?'}${query}`);
        ids.push(...got.items.map((item) => item.id));
        sizes.push(got.items.length);
        cursor = got.nextCursor;
      } while (cursor !== null);
      return { ids, sizes };
    }

    test('pages through every consumer 100 at a time by default, in id order, none skipped or repeated', async () => {
      const { ids, sizes } = await walk('/v1/consumers');
      assert.deepEqual(sizes, [...Array(10).fill(100), 5]);
      assert.equal(new Set(ids).size, CONSUMERS);
      assert.deepEqual([...ids].sort(), [...consumerIds].sort());
      const ordered = await api.consumers.page({ limit: CONSUMERS });
      assert.deepEqual(ids, ordered.map((c) => c.id), 'the order is the store’s id order');
    });

    test('answers at most 1000 items a page, and says when there is no next page', async () => {
      const { sizes } = await walk('/v1/consumers', 1000);
      assert.deepEqual(sizes, [1000, 5]);
      const first = await page('/v1/consumers?limit=1000');
      const last = await page(`/v1/consumers?limit=1000&cursor=${first.nextCursor}`);
      assert.deepEqual([typeof first.nextCursor, last.nextCursor], ['string', null]);
    });

    test("pages a consumer's keys with its filter kept", async () => {
      const { ids, sizes } = await walk(`/v1/keys?consumerId=${owner}`, 2);
      assert.deepEqual(sizes, [2, 2, 1]);
      assert.equal(new Set(ids).size, 5);
      assert.equal((await walk('/v1/keys', 4)).ids.length, 6);
    });

    test('pages OAuth clients in the store by id', async () => {
      const clients = new OAuthClientRepository(api.store.db);
      for (const id of ['cli_c', 'cli_a', 'cli_b']) await api.store.write(TEST_ACTOR, 'oauth_client.create', (tx) => clients.insert(tx, { id, consumerId: owner, name: id, secretHash: null, jwks: null, scopes: [] }));
      const first = await clients.page({ consumerId: owner }, { limit: 2 });
      const rest = await clients.page({ consumerId: owner }, { after: first.at(-1)!.id, limit: 2 });
      assert.deepEqual([...first, ...rest].map((c) => c.id), ['cli_a', 'cli_b', 'cli_c']);
    });

    test('refuses a limit out of range, a cursor it did not make, and unknown parameters with 400', async () => {
      for (const query of ['limit=0', 'limit=1001', 'limit=ten', 'cursor=bm90LWEtY3Vyc29y', 'cursor=%2F%2F', 'consumer=x', 'limit=5&limit=6']) {
        const reply = await api.call('GET', `/v1/consumers?${query}`);
        assert.equal(reply.status, 400, query);
        assert.equal(((await reply.json()) as { code: string }).code, 'admin.invalid_request', query);
      }
    });

    test('the CLI follows the pages: consumers list shows every consumer', async () => {
      const listed = await runCliAsync(['consumers', 'list', '--json'], { PORTCULLIS_ADMIN_URL: api.url, PORTCULLIS_ADMIN_TOKEN: ADMIN_TOKEN });
      assert.equal(listed.status, 0, listed.stderr);
      const items = JSON.parse(listed.stdout) as Array<{ id: string }>;
      assert.equal(items.length, CONSUMERS);
      assert.equal(new Set(items.map((c) => c.id)).size, CONSUMERS);
    });
  });
}
