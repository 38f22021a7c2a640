/**
 * Issue 24 §5 on a real gateway with an injected clock: the `API-Key-Expires` response header for
 * a key in its warn window (exact IMF-fixdate; absent before it), and key-age enforcement
 * (`apiKeys.enforcement.mode: expire`): a key inside the grace still works; after it, 401
 * auth.key_expired, the store's expiry brought forward by the lead node's sweep, and exactly one
 * audit record (api_key.expire_by_policy, actor system), on SQLite and on PostgreSQL.
 */
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { ManualClock } from '../src/core/clock.js';
import { assertProblem, httpRequest, startUpstream, type TestUpstream } from './helpers/index.js';
import { startKeyGateway } from './helpers/keys.js';
import { postgresGatewayStore, skipWithoutPostgres } from './helpers/services.js';

const DAY = 86_400_000;
const START = Date.UTC(2026, 2, 1, 9, 30);
const ROUTES = { routes: [{ name: 'api', methods: ['GET'], path: '/*', upstream: 'backend', policies: { 'auth-apikey': {} } }] };
const apiKeys = (extra: Record<string, unknown> = {}) => ({ apiKeys: { pepper: '${env:PORTCULLIS_KEY_PEPPER}', lastUsedFlushMs: 200, maxAgeDays: 90, warnAgeDays: 75, ...extra } });

/** Polls `read` until `done` holds, for at most 20 s of wall time (the sweep and the change feed run on timers). */
async function until<T>(read: () => Promise<T>, done: (value: T) => boolean, what: string): Promise<T> {
  const deadline = Date.now() + 20_000;
  for (;;) {
    const value = await read();
    if (done(value)) return value;
    if (Date.now() > deadline) assert.fail(`${what}: last ${JSON.stringify(value)}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

describe('API-Key-Expires: the key, not the API, is about to end', () => {
  let upstream: TestUpstream;
  let gw: Awaited<ReturnType<typeof startKeyGateway>>;
  const clock = new ManualClock(START);
  let plainKey: string;
  let shortKey: string;
  let tenDayKey: string;

  before(async () => {
    upstream = await startUpstream();
    gw = await startKeyGateway(upstream.url, { ...ROUTES, ...apiKeys() }, { clock });
    const plain = await gw.admin.consumer('plain-co');
    const shortReply = await gw.admin.call('POST', '/v1/consumers', { name: 'short-co', metadata: { apiKeys: { maxAgeDays: 30 } } });
    plainKey = (await gw.admin.key(plain, [])).key;
    shortKey = (await gw.admin.key(shortReply.json<{ id: string }>().id, [])).key;
    tenDayKey = (await gw.admin.key(plain, [], { expiresInDays: 10 })).key;
  });
  after(async () => {
    await gw.close();
    await upstream.close();
  });

  const call = (key: string) => httpRequest(`${gw.url}/data`, { headers: { 'x-api-key': key } });

  test('is absent before the warn window, and names the exact end (RFC 9110 IMF-fixdate) inside it, by expiry or policy, whichever is sooner', async () => {
    // Day 0: the 10-day key ends within the 15-day window already; the others do not.
    const fresh = await call(plainKey);
    assert.equal(fresh.status, 200);
    assert.equal(fresh.headers['api-key-expires'], undefined);
    assert.equal((await call(shortKey)).headers['api-key-expires'], undefined);
    assert.equal((await call(tenDayKey)).headers['api-key-expires'], 'Wed, 11 Mar 2026 09:30:00 GMT');

    // Day 15: the 30-day consumer's key enters its window (30 - 15), exactly then and not a millisecond before.
    clock.advance(15 * DAY - 1);
    assert.equal((await call(shortKey)).headers['api-key-expires'], undefined);
    clock.advance(1);
    const short = await call(shortKey);
    assert.equal(short.status, 200);
    assert.equal(short.headers['api-key-expires'], 'Tue, 31 Mar 2026 09:30:00 GMT');
    assert.equal((await call(plainKey)).headers['api-key-expires'], undefined, 'the 90-day key is 60 days from its end');

    // Day 75: the organisation's key is in its window; a refused key gets no header.
    clock.advance(60 * DAY);
    assert.equal((await call(plainKey)).headers['api-key-expires'], 'Sat, 30 May 2026 09:30:00 GMT');
    const ended = await call(tenDayKey);
    assertProblem(ended, 401, 'auth.key_expired');
    assert.equal(ended.headers['api-key-expires'], undefined);
    assertProblem(await call(shortKey), 401, 'auth.key_expired');
  });
});

for (const backend of ['SQLite', 'PostgreSQL'] as const) {
  describe(`key-age enforcement (apiKeys.enforcement.mode: expire) on ${backend}`, { skip: backend === 'PostgreSQL' ? skipWithoutPostgres : false }, () => {
    let upstream: TestUpstream;
    let gw: Awaited<ReturnType<typeof startKeyGateway>>;
    let drop = async () => {};
    const clock = new ManualClock(START);

    before(async () => {
      upstream = await startUpstream();
      let store: Record<string, unknown> = { path: join(mkdtempSync(join(tmpdir(), 'portcullis-enforce-')), 'store.db'), pollIntervalMs: 100 };
      let env: NodeJS.ProcessEnv = {};
      if (backend === 'PostgreSQL') {
        const pg = await postgresGatewayStore('DATABASE_URL', 250);
        ({ store, drop } = pg);
        env = { DATABASE_URL: pg.url };
      }
      gw = await startKeyGateway(upstream.url, { ...ROUTES, ...apiKeys({ enforcement: { mode: 'expire', graceDays: 7, sweepIntervalSeconds: 1 } }) }, { clock, store, env });
    });
    after(async () => {
      await gw?.close();
      await upstream?.close();
      await drop();
    });

    test('a key inside the grace still works; past it, 401 auth.key_expired and one audit record by system', async () => {
      const consumer = (await gw.admin.call('POST', '/v1/consumers', { name: 'partner', metadata: { apiKeys: { maxAgeDays: 30 } } })).json<{ id: string }>().id;
      const created = await gw.admin.call('POST', '/v1/keys', { consumerId: consumer, name: 'k', scopes: [] });
      const { secret, apiKey } = created.json<{ secret: string; apiKey: { id: string } }>();
      // Issued before the consumer's policy was lowered: its own expiry (30 days) is longer than the policy's 10.
      const lowered = await gw.admin.call('PATCH', `/v1/consumers/${consumer}`, { metadata: { apiKeys: { maxAgeDays: 10 } } });
      assert.equal(lowered.status, 200, lowered.text);
      const call = () => httpRequest(`${gw.url}/data`, { headers: { authorization: `Bearer ${secret}` } });
      const expiries = async () => (await gw.admin.call('GET', `/v1/audit?action=api_key.expire_by_policy&target=${apiKey.id}`)).json<{ items: Array<{ actor: { type: string }; changes: { before: { expiresAt: unknown }; after: { expiresAt: unknown } } }> }>().items;

      // Day 16: past the 10-day policy, inside the 7-day grace: still works (and is told its end).
      clock.advance(16 * DAY);
      // The key already carries a header from its 30-day expiry: wait for the one of the lowered policy (on PostgreSQL the
      // consumer directory follows the change feed, so the PATCH reaches it a poll later).
      const inGrace = await until(call, (reply) => reply.headers['api-key-expires'] === 'Wed, 11 Mar 2026 09:30:00 GMT', 'the lowered policy reaches the key index');
      assert.equal(inGrace.status, 200);
      assert.equal(inGrace.headers['api-key-expires'], 'Wed, 11 Mar 2026 09:30:00 GMT');
      assert.deepEqual(await expiries(), []);

      // Day 17: the grace is over (10 + 7 days): refused at once, and the sweep records it once.
      clock.advance(DAY);
      assertProblem(await call(), 401, 'auth.key_expired');
      const records = await until(expiries, (items) => items.length > 0, 'the sweep expires the key');
      await gw.gateway.services.keyAgeEnforcement!.sweep();
      const all = await expiries();
      assert.equal(all.length, 1, 'one audit record, however many sweeps');
      assert.equal(records[0]!.actor.type, 'system');
      const view = (await gw.admin.call('GET', `/v1/keys/${apiKey.id}`)).json<{ status: string; expiresAt: string }>();
      assert.deepEqual([view.status, view.expiresAt], ['expired', new Date(START + 17 * DAY).toISOString()]);
      assert.ok(gw.logs.records.some((line) => line.event === 'keys.expired_by_policy' && line.keyId === apiKey.id && line.graceDays === 7));
      assert.ok(!gw.logs.text().includes(secret), 'the key is in no log line');
      assertProblem(await call(), 401, 'auth.key_expired');
    });
  });
}
