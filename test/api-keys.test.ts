import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { ManualClock } from '../src/core/clock.js';
import { assertProblem, eventually, httpRequest, startUpstream, type TestUpstream } from './helpers/index.js';
import { startKeyGateway } from './helpers/keys.js';
import { createPostgresSchema, POSTGRES_URL, skipWithoutPostgres } from './helpers/services.js';

/** The same suite on each store: SQLite by default, PostgreSQL for several nodes. */
const stores = [
  { name: 'SQLite', skip: false as const, open: async () => ({ store: undefined, env: {}, cleanup: async () => {} }) },
  {
    name: 'PostgreSQL',
    skip: skipWithoutPostgres,
    async open() {
      const { schema, drop } = await createPostgresSchema();
      const url = new URL(POSTGRES_URL);
      url.searchParams.set('options', `-c search_path=${schema}`);
      return { store: { driver: 'postgres', url: '${env:PORTCULLIS_TEST_DATABASE_URL}', pollIntervalMs: 100 }, env: { PORTCULLIS_TEST_DATABASE_URL: url.toString() }, cleanup: drop };
    },
  },
];

const DAY = 86400000;
const routes = {
  routes: [
    { name: 'accounts', methods: ['GET'], path: '/v1/accounts/*', upstream: 'backend', policies: { 'auth-apikey': {}, authorize: { scopes: ['accounts:read'] } } },
    { name: 'payments', methods: ['GET', 'POST'], path: '/v1/payments', upstream: 'backend', policies: { 'auth-apikey': {}, authorize: { methods: { POST: ['payments:write'] } } } },
    { name: 'query-key', methods: ['GET'], path: '/v1/legacy', upstream: 'backend', policies: { 'auth-apikey': { queryParam: 'api_key' } } },
    { name: 'public', methods: ['GET'], path: '/public', upstream: 'backend' },
  ],
  bruteForce: { maxFailures: 1000 },
};

for (const backend of stores) {
describe(`API keys end to end (${backend.name})`, { skip: backend.skip }, () => {
  let upstream: TestUpstream;
  let cleanup: () => Promise<void>;
  let gw: Awaited<ReturnType<typeof startKeyGateway>>;
  const clock = new ManualClock(Date.UTC(2026, 10, 22));
  const bodies: string[] = [];
  const call = async (path: string, headers: Record<string, string> = {}, method = 'GET') => {
    const reply = await httpRequest(`${gw.url}${path}`, { method, headers });
    bodies.push(reply.text);
    return reply;
  };
  let consumerId: string;
  let reader: { key: string; id: string };

  before(async () => {
    upstream = await startUpstream();
    const opened = await backend.open();
    cleanup = opened.cleanup;
    gw = await startKeyGateway(upstream.url, routes, { clock, store: opened.store, env: opened.env });
    consumerId = await gw.admin.consumer('acme-bank');
    reader = await gw.admin.key(consumerId, ['accounts:read']);
    await eventually(() => gw.gateway.services.keyIndex!.size >= 1, 'the new key reaches the index');
  });
  after(async () => {
    await gw.close();
    await upstream.close();
    await cleanup();
  });

  test('shows a new key exactly once, in the documented format', async () => {
    assert.match(reader.key, /^ptc_live_[0-9A-Za-z]{32}_[0-9A-Za-z]{6}$/);
    const shown = await gw.admin.call('GET', `/v1/keys/${reader.id}`);
    assert.equal(shown.status, 200);
    assert.doesNotMatch(shown.text, new RegExp(reader.key));
    assert.doesNotMatch(shown.text, /hash/);
    assert.equal(shown.json().consumerId, consumerId);
  });

  test('accepts the key as a bearer token or in X-API-Key, and sends identity, not the key, upstream', async () => {
    const placements: Array<Record<string, string>> = [{ authorization: `Bearer ${reader.key}` }, { 'x-api-key': reader.key }];
    for (const headers of placements) {
      const reply = await call('/v1/accounts/acc_1', headers);
      assert.equal(reply.status, 200, reply.text);
      const seen = upstream.requests.at(-1)!.headers;
      assert.equal(seen.authorization, undefined);
      assert.equal(seen['x-api-key'], undefined);
      assert.equal(seen['x-consumer-id'], consumerId);
      assert.equal(seen['x-consumer-name'], 'acme-bank');
      assert.equal(seen['x-consumer-scopes'], 'accounts:read');
      assert.equal(seen['x-auth-method'], 'api_key');
    }
  });

  test('answers a request without a key with 401 auth.missing_credentials and a challenge', async () => {
    const reply = await call('/v1/accounts/acc_1');
    assertProblem(reply, 401, 'auth.missing_credentials');
    assert.match(String(reply.headers['www-authenticate']), /^Bearer realm="portcullis"/);
  });

  test('refuses a mistyped key by its checksum, and an unknown one, both as auth.key_invalid', async () => {
    const mistyped = reader.key.slice(0, 20) + (reader.key[20] === 'a' ? 'b' : 'a') + reader.key.slice(21);
    for (const key of [mistyped, 'ptc_live_not-a-key', 'x']) {
      const reply = await call('/v1/accounts/acc_1', { authorization: `Bearer ${key}` });
      assertProblem(reply, 401, 'auth.key_invalid');
      assert.match(String(reply.headers['www-authenticate']), /error="invalid_token"/);
    }
    const line = await gw.logs.waitFor((r) => r.type === 'access' && r.authFailure === 'malformed');
    assert.equal(line.code, 'auth.key_invalid');
  });

  test('never forwards identity headers a client made up, on any route, in any spelling', async () => {
    const spoof = { 'x-auth-method': 'client_certificate', 'x-client-id': 'admin', 'x-auth-subject': 'root', 'x-consumer-id': 'con_admin', 'x-consumer-scopes': 'everything', 'x-consumer-name': 'root', x_consumer_id: 'con_admin', X_Consumer_Scopes: 'everything' };
    await call('/public', spoof);
    let seen = upstream.requests.at(-1)!.headers;
    for (const name of ['x-auth-method', 'x-client-id', 'x-auth-subject', 'x-consumer-id', 'x-consumer-scopes', 'x-consumer-name', 'x_consumer_id', 'x_consumer_scopes']) assert.equal(seen[name], undefined, name);
    await call('/v1/accounts/acc_1', { ...spoof, authorization: `Bearer ${reader.key}` });
    seen = upstream.requests.at(-1)!.headers;
    assert.equal(seen['x-consumer-id'], consumerId);
    assert.equal(seen['x-consumer-scopes'], 'accounts:read');
    assert.equal(seen['x-auth-method'], 'api_key');
    assert.equal(seen['x-client-id'], undefined);
    assert.equal(seen['x-auth-subject'], undefined);
  });

  test('refuses a principal without the required scope with 403 auth.insufficient_scope, per method', async () => {
    assert.equal((await call('/v1/payments', { authorization: `Bearer ${reader.key}` })).status, 200, 'GET needs no extra scope');
    const reply = await call('/v1/payments', { authorization: `Bearer ${reader.key}` }, 'POST');
    assertProblem(reply, 403, 'auth.insufficient_scope');
    assert.equal(reply.headers['www-authenticate'], 'Bearer error="insufficient_scope", scope="payments:write"');
    const writer = await gw.admin.key(consumerId, ['payments:write']);
    await eventually(() => gw.gateway.services.keyIndex!.verify(writer.key, clock.now()).ok, 'the writer key is indexed');
    assert.equal((await call('/v1/payments', { authorization: `Bearer ${writer.key}` }, 'POST')).status, 200);
  });

  test('reads the key from the query only where allowed, and removes it before forwarding', async () => {
    const reply = await call(`/v1/legacy?api_key=${reader.key}&page=2`);
    assert.equal(reply.status, 200);
    assert.equal(upstream.requests.at(-1)!.url, '/v1/legacy?page=2');
    assertProblem(await call(`/v1/accounts/acc_1?api_key=${reader.key}`), 401, 'auth.missing_credentials');
  });

  test('forwards none of the places a key may be in, even the ones not used', async () => {
    const reply = await call(`/v1/legacy?api_key=ptc_live_second-key&page=3`, { authorization: `Bearer ${reader.key}`, 'x-api-key': 'ptc_live_third-key' });
    assert.equal(reply.status, 200);
    const seen = upstream.requests.at(-1)!;
    assert.equal(seen.url, '/v1/legacy?page=3');
    assert.equal(seen.headers.authorization, undefined);
    assert.equal(seen.headers['x-api-key'], undefined);
  });

  test('stops a revoked key on the gateway within a second, without a restart', async () => {
    const doomed = await gw.admin.key(consumerId, ['accounts:read']);
    await eventually(() => gw.gateway.services.keyIndex!.verify(doomed.key, clock.now()).ok, 'indexed');
    assert.equal((await call('/v1/accounts/a', { authorization: `Bearer ${doomed.key}` })).status, 200);
    assert.equal((await gw.admin.call('POST', `/v1/keys/${doomed.id}/revoke`)).status, 200);
    const revokedAt = Date.now();
    await eventually(() => gw.gateway.services.keyIndex!.verify(doomed.key, clock.now()).ok === false, 'revocation applied', 1000);
    assert.ok(Date.now() - revokedAt < 1000);
    assertProblem(await call('/v1/accounts/a', { authorization: `Bearer ${doomed.key}` }), 401, 'auth.key_revoked');
  });

  test('stops every key of a disabled consumer at once', async () => {
    const other = await gw.admin.consumer('payroll-co');
    const key = await gw.admin.key(other, ['accounts:read']);
    await eventually(() => gw.gateway.services.keyIndex!.verify(key.key, clock.now()).ok, 'indexed');
    assert.equal((await gw.admin.call('POST', `/v1/consumers/${other}/disable`)).json().status, 'disabled');
    await eventually(() => !gw.gateway.services.keyIndex!.verify(key.key, clock.now()).ok, 'disable applied', 1000);
    assertProblem(await call('/v1/accounts/a', { authorization: `Bearer ${key.key}` }), 401, 'auth.consumer_disabled');
  });

  test('keeps a rotated key working until the grace deadline, and not a moment longer', async () => {
    const old = await gw.admin.key(consumerId, ['accounts:read']);
    const rotated = await gw.admin.call('POST', `/v1/keys/${old.id}/rotate`, { gracePeriodSeconds: 3600 });
    assert.equal(rotated.status, 201);
    const fresh = rotated.json<{ secret: string; apiKey: { id: string }; previous: { replacedBy: string } }>();
    assert.equal(fresh.previous.replacedBy, fresh.apiKey.id);
    await eventually(() => gw.gateway.services.keyIndex!.verify(fresh.secret, clock.now()).ok, 'indexed');
    const auth = (key: string) => ({ authorization: `Bearer ${key}` });
    clock.advance(3600 * 1000 - 1);
    assert.equal((await call('/v1/accounts/a', auth(old.key))).status, 200, 'within the grace period');
    clock.advance(1);
    assertProblem(await call('/v1/accounts/a', auth(old.key)), 401, 'auth.key_expired');
    assert.equal((await call('/v1/accounts/a', auth(fresh.secret))).status, 200);
  });

  test('expires keys at the maximum age and flags old keys in the list', async () => {
    const key = await gw.admin.key(consumerId, ['accounts:read']);
    await eventually(() => gw.gateway.services.keyIndex!.verify(key.key, clock.now()).ok, 'indexed');
    assertProblem(await gw.admin.call('POST', '/v1/keys', { consumerId, name: 'too long', expiresInDays: 91 }), 400, 'admin.invalid_request');
    clock.advance(76 * DAY);
    const listed = (await gw.admin.call('GET', `/v1/keys?consumerId=${consumerId}`)).json<{ items: Array<{ id: string; pastWarningAge: boolean }> }>().items;
    assert.equal(listed.find((k) => k.id === key.id)!.pastWarningAge, true);
    clock.advance(14 * DAY);
    assertProblem(await call('/v1/accounts/a', { authorization: `Bearer ${key.key}` }), 401, 'auth.key_expired');
  });

  test('records last-used times in batches', async () => {
    const key = await gw.admin.key(consumerId, ['accounts:read']);
    await eventually(() => gw.gateway.services.keyIndex!.verify(key.key, clock.now()).ok, 'indexed');
    await call('/v1/accounts/a', { authorization: `Bearer ${key.key}` });
    // apiKeys.lastUsedFlushMs is 200 here: the time is written with the next batch.
    let lastUsedAt: unknown = null;
    for (let i = 0; i < 30 && lastUsedAt === null; i++) {
      lastUsedAt = (await gw.admin.call('GET', `/v1/keys/${key.id}`)).json().lastUsedAt;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    assert.equal(lastUsedAt, new Date(clock.now()).toISOString());
  });

  test('never lets a key reach a log line or an error body', async () => {
    const everything = `${gw.logs.text()}\n${bodies.join('\n')}`;
    assert.doesNotMatch(everything, new RegExp(reader.key));
    assert.doesNotMatch(everything, /ptc_live_[0-9A-Za-z]{32}_/);
  });
});

}

describe('the admin API', () => {
  test('refuses a missing or wrong token with 401, and throttles guessing', async () => {
    const upstream = await startUpstream();
    const gw = await startKeyGateway(upstream.url, { bruteForce: { maxFailures: 3, windowSeconds: 60, blockSeconds: 60 } });
    try {
      assertProblem(await httpRequest(`${gw.gateway.adminUrl}/v1/consumers`), 401, 'admin.unauthorized');
      const wrong = { authorization: 'Bearer not-the-token' };
      assertProblem(await httpRequest(`${gw.gateway.adminUrl}/v1/consumers`, { headers: wrong }), 401, 'admin.unauthorized');
      assertProblem(await httpRequest(`${gw.gateway.adminUrl}/v1/consumers`, { headers: wrong }), 401, 'admin.unauthorized');
      const blocked = await gw.admin.call('GET', '/v1/consumers');
      assertProblem(blocked, 429, 'auth.too_many_failures');
      assert.ok(Number(blocked.headers['retry-after']) > 0);
      assert.doesNotMatch(gw.logs.text(), /not-the-token|admin-token-for-tests/);
    } finally {
      await gw.close();
      await upstream.close();
    }
  });

  test('validates bodies with pointers, and answers unknown ids with 404 and conflicts with 409', async () => {
    const upstream = await startUpstream();
    const gw = await startKeyGateway(upstream.url);
    try {
      const invalid = await gw.admin.call('POST', '/v1/keys', { name: 'x', scopes: 'all', colour: 'red' });
      const problem = assertProblem(invalid, 400, 'admin.invalid_request');
      const pointers = (problem.errors as Array<{ pointer: string }>).map((e) => e.pointer).sort();
      assert.deepEqual(pointers, ['/colour', '/consumerId', '/scopes']);
      assertProblem(await gw.admin.call('GET', '/v1/consumers/con_nobody'), 404, 'admin.not_found');
      assertProblem(await gw.admin.call('POST', '/v1/keys', { consumerId: 'con_nobody', name: 'x' }), 404, 'admin.not_found');
      await gw.admin.consumer('twice');
      assertProblem(await gw.admin.call('POST', '/v1/consumers', { name: 'twice' }), 409, 'admin.conflict');
      assertProblem(await gw.admin.call('POST', '/v1/consumers', '{not json'), 400, 'admin.invalid_request');
    } finally {
      await gw.close();
      await upstream.close();
    }
  });

  test('blocks a client IP after repeated key failures, even with a valid key afterwards', async () => {
    const upstream = await startUpstream();
    const gw = await startKeyGateway(upstream.url, { ...routes, bruteForce: { maxFailures: 3, windowSeconds: 60, blockSeconds: 30 } });
    try {
      const consumer = await gw.admin.consumer('victim');
      const good = await gw.admin.key(consumer, ['accounts:read']);
      await eventually(() => gw.gateway.services.keyIndex!.size > 0, 'indexed');
      for (let i = 0; i < 3; i++) assertProblem(await httpRequest(`${gw.url}/v1/accounts/a`, { headers: { 'x-api-key': `ptc_live_guess${i}` } }), 401, 'auth.key_invalid');
      const blocked = await httpRequest(`${gw.url}/v1/accounts/a`, { headers: { 'x-api-key': good.key } });
      assertProblem(blocked, 429, 'auth.too_many_failures');
      assert.equal(blocked.headers['retry-after'], '30');
      await gw.logs.waitFor((r) => r.event === 'auth.client_blocked');
    } finally {
      await gw.close();
      await upstream.close();
    }
  });
});

describe('credentials in custom places, and missing principals', () => {
  test('redacts keys from custom headers and query parameters in every log line', async () => {
    const upstream = await startUpstream();
    const gw = await startKeyGateway(upstream.url, {
      logging: { includeHeaders: true },
      bruteForce: { maxFailures: 2, windowSeconds: 60, blockSeconds: 60 },
      routes: [
        { name: 'partner', methods: ['GET'], path: '/partner', upstream: 'backend', policies: { 'auth-apikey': { sources: [{ header: 'X-Partner-Key' }], queryParam: 'pkey' } } },
        { name: 'scoped', methods: ['GET'], path: '/scoped', upstream: 'backend', policies: { authorize: { scopes: ['x'] } } },
      ],
    });
    try {
      const consumer = await gw.admin.consumer('custom');
      const { key } = await gw.admin.key(consumer, []);
      await eventually(() => gw.gateway.services.keyIndex!.verify(key, Date.now()).ok, 'indexed');
      assert.equal((await httpRequest(`${gw.url}/partner`, { headers: { 'x-partner-key': key } })).status, 200);
      for (let i = 0; i < 3; i++) await httpRequest(`${gw.url}/partner?pkey=${key}x${i}`);
      assert.equal((await httpRequest(`${gw.url}/partner?pkey=${key}`)).status, 429, 'blocked, and the key in the query is still not logged');
      await gw.logs.waitFor((r) => r.type === 'access' && r.status === 429);
      // Refused before the policy runs (no route): the configured parameter is redacted all the same.
      await httpRequest(`${gw.url}/nowhere?pkey=${key}`);
      await gw.logs.waitFor((r) => r.type === 'access' && r.status === 404);
      assert.doesNotMatch(gw.logs.text(), new RegExp(key.slice(9, 41)));
      assert.match(gw.logs.text(), /pkey=\[REDACTED\]/);

      assertProblem(await httpRequest(`${gw.url}/scoped`), 401, 'auth.missing_credentials');
    } finally {
      await gw.close();
      await upstream.close();
    }
  });

  test('answers 503 store.unavailable, never cached, when the store fails under the admin API', async () => {
    const upstream = await startUpstream();
    const gw = await startKeyGateway(upstream.url);
    try {
      const ok = await gw.admin.call('GET', '/v1/consumers');
      assert.equal(ok.headers['cache-control'], 'no-store');
      await gw.gateway.services.store!.close();
      const reply = await gw.admin.call('POST', '/v1/consumers', { name: 'after-the-fall' });
      assertProblem(reply, 503, 'store.unavailable');
      await gw.logs.waitFor((r) => r.event === 'admin.store_failed');
    } finally {
      await gw.close().catch(() => {});
      await upstream.close();
    }
  });
});
