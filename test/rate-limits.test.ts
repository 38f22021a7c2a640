import assert from 'node:assert/strict';
import { createServer, request as rawHttpRequest } from 'node:http';
import type { AddressInfo } from 'node:net';
import { exportJWK, generateKeyPair, SignJWT } from 'jose';
import { after, before, describe, test } from 'node:test';
import { ManualClock } from '../src/core/clock.js';
import { validateConfig } from '../src/config/loader.js';
import { assertProblem, baseConfig, eventually, httpRequest, sleep, startGateway, startUpstream, type TestGateway, type TestUpstream } from './helpers/index.js';
import { startKeyGateway } from './helpers/keys.js';

const T0 = Date.UTC(2026, 10, 22, 12);

describe('rate limits in memory', () => {
  let upstream: TestUpstream;
  let gw: TestGateway;
  const clock = new ManualClock(T0);
  const call = (path: string, headers: Record<string, string> = {}, method = 'GET') => httpRequest(`${gw.url}${path}`, { method, headers });

  before(async () => {
    upstream = await startUpstream();
    gw = await startGateway(
      baseConfig([upstream.url], {
        routes: [
          { name: 'small', methods: ['GET'], path: '/small', upstream: 'backend', policies: { ratelimit: { limits: [{ name: 'per-minute', limit: 3, windowSeconds: 60, by: ['ip'] }], legacyHeaders: true } } },
          {
            name: 'combined',
            methods: ['GET', 'POST'],
            path: '/combined',
            upstream: 'backend',
            policies: { ratelimit: { limits: [{ name: 'per-second', limit: 2, windowSeconds: 1, by: ['ip'] }, { name: 'per-hour', limit: 5, windowSeconds: 3600, by: ['ip'] }], methodCosts: { POST: 2 } } },
          },
          { name: 'tenant', methods: ['GET'], path: '/tenant', upstream: 'backend', policies: { ratelimit: { limits: [{ name: 'per-tenant', limit: 1, windowSeconds: 60, by: ['header'], header: 'X-Tenant' }] } } },
          { name: 'shared-a', methods: ['GET'], path: '/shared-a', upstream: 'backend', policies: { ratelimit: { limits: [{ name: 'shared-daily', limit: 2, windowSeconds: 86400, by: ['ip'] }] } } },
          { name: 'shared-b', methods: ['GET'], path: '/shared-b', upstream: 'backend', policies: { ratelimit: { limits: [{ name: 'shared-daily', limit: 2, windowSeconds: 86400, by: ['ip'] }] } } },
          { name: 'open', methods: ['GET'], path: '/open', upstream: 'backend' },
        ],
      }),
      { clock },
    );
  });
  after(async () => {
    await gw.close();
    await upstream.close();
  });

  test('tells the exact remaining budget in RateLimit headers, then refuses with 429 ratelimit.exceeded and Retry-After', async () => {
    const seen: string[] = [];
    for (let i = 0; i < 3; i++) {
      const reply = await call('/small');
      assert.equal(reply.status, 200);
      assert.equal(reply.headers['ratelimit-policy'], '"per-minute";q=3;w=60');
      seen.push(String(reply.headers['ratelimit']));
      assert.equal(reply.headers['x-ratelimit-remaining'], String(2 - i));
      assert.equal(reply.headers['x-ratelimit-limit'], '3');
    }
    assert.deepEqual(seen, ['"per-minute";r=2;t=20', '"per-minute";r=1;t=40', '"per-minute";r=0;t=60']);
    const before = upstream.requests.length;
    const refused = await call('/small');
    const problem = assertProblem(refused, 429, 'ratelimit.exceeded');
    assert.equal(problem.limit, 'per-minute');
    assert.equal(refused.headers['retry-after'], '20');
    assert.equal(refused.headers['ratelimit'], '"per-minute";r=0;t=60');
    assert.equal(upstream.requests.length, before, 'a refused request never reaches the upstream');
    const line = await gw.logs.waitFor((record) => record.type === 'access' && record.code === 'ratelimit.exceeded');
    assert.equal(line.rateLimit, 'per-minute');
  });

  test('gives back exactly one request per interval and no boundary burst (injected clock)', async () => {
    clock.advance(19_999);
    assertProblem(await call('/small'), 429, 'ratelimit.exceeded');
    clock.advance(1);
    assert.equal((await call('/small')).status, 200);
    assertProblem(await call('/small'), 429, 'ratelimit.exceeded');
    // A whole window later the budget is whole: three, not six.
    clock.advance(60_000);
    const statuses = [];
    for (let i = 0; i < 4; i++) statuses.push((await call('/small')).status);
    assert.deepEqual(statuses, [200, 200, 200, 429]);
  });

  test('combines limits, weighs requests by cost, and spends nothing when one limit refuses', async () => {
    const first = await call('/combined', {}, 'POST');
    assert.equal(first.status, 200);
    assert.equal(first.headers['ratelimit'], '"per-second";r=0;t=1, "per-hour";r=3;t=1440');
    assert.equal(first.headers['ratelimit-policy'], '"per-second";q=2;w=1, "per-hour";q=5;w=3600');
    const refused = await call('/combined');
    assert.equal(assertProblem(refused, 429, 'ratelimit.exceeded').limit, 'per-second');
    // The refusal spent nothing from per-hour: still 3 left.
    assert.equal(refused.headers['ratelimit'], '"per-second";r=0;t=1, "per-hour";r=3;t=1440');
    clock.advance(1000);
    assert.equal((await call('/combined', {}, 'POST')).status, 200);
    clock.advance(1000);
    const last = await call('/combined');
    assert.equal(last.status, 200);
    clock.advance(1000);
    assert.equal(assertProblem(await call('/combined'), 429, 'ratelimit.exceeded').limit, 'per-hour');
  });

  test('keeps budgets per header value, and counts requests without the header by client IP', async () => {
    assert.equal((await call('/tenant', { 'x-tenant': 'alpha' })).status, 200);
    assertProblem(await call('/tenant', { 'x-tenant': 'alpha' }), 429, 'ratelimit.exceeded');
    assert.equal((await call('/tenant', { 'x-tenant': 'beta' })).status, 200);
    assert.equal((await call('/tenant')).status, 200);
    assertProblem(await call('/tenant'), 429, 'ratelimit.exceeded');
    // A huge header value is hashed, and still limited.
    const huge = 'h'.repeat(5000);
    assert.equal((await call('/tenant', { 'x-tenant': huge })).status, 200);
    assertProblem(await call('/tenant', { 'x-tenant': huge }), 429, 'ratelimit.exceeded');
  });

  test('shares one budget between routes whose limits have the same name', async () => {
    assert.equal((await call('/shared-a')).status, 200);
    assert.equal((await call('/shared-b')).status, 200);
    assertProblem(await call('/shared-a'), 429, 'ratelimit.exceeded');
    assertProblem(await call('/shared-b'), 429, 'ratelimit.exceeded');
  });

  test('sends no RateLimit headers on routes without limits', async () => {
    const reply = await call('/open');
    assert.equal(reply.headers['ratelimit'], undefined);
    assert.equal(reply.headers['ratelimit-policy'], undefined);
  });

  test('counts refusals in a metric', async () => {
    const metrics = await httpRequest(`${gw.gateway.adminUrl}/metrics`);
    assert.match(metrics.text, /portcullis_ratelimit_refused_total\{route="small",limit="per-minute"\} [1-9]/);
  });
});

describe('rate limits per consumer, with overrides', () => {
  let upstream: TestUpstream;
  let gw: Awaited<ReturnType<typeof startKeyGateway>>;
  const clock = new ManualClock(T0);
  let alpha: { key: string; id: string };
  let beta: { key: string; id: string };
  let alphaId: string;

  before(async () => {
    upstream = await startUpstream();
    gw = await startKeyGateway(upstream.url, {
      policies: { 'auth-apikey': {}, ratelimit: { limits: [{ name: 'per-day', limit: 2, windowSeconds: 86400 }], methodCosts: { POST: 2 } } },
    }, { clock });
    alphaId = await gw.admin.consumer('alpha');
    alpha = await gw.admin.key(alphaId, []);
    beta = await gw.admin.key(await gw.admin.consumer('beta'), []);
    await eventually(() => gw.gateway.services.keyIndex!.size >= 2, 'keys reach the index');
  });
  after(async () => {
    await gw.close();
    await upstream.close();
  });

  const call = (key: string) => httpRequest(`${gw.url}/x`, { headers: { authorization: `Bearer ${key}` } });

  test('keeps a separate budget per consumer', async () => {
    assert.equal((await call(alpha.key)).status, 200);
    assert.equal((await call(alpha.key)).status, 200);
    assertProblem(await call(alpha.key), 429, 'ratelimit.exceeded');
    assert.equal((await call(beta.key)).status, 200);
  });

  test('applies an override set through the admin API without a restart, and drops it when deleted', async () => {
    const set = await gw.admin.call('POST', '/v1/rate-limit-overrides', { subjectType: 'consumer', subjectId: alphaId, limitName: 'per-day', limit: 5 });
    assert.equal(set.status, 200, set.text);
    const override = set.json<{ id: string; limit: number }>();
    assert.equal(override.limit, 5);
    // Used 2 of the new 5: the stored state is a time, so the override applies to it at once.
    await eventually(async () => (await call(alpha.key)).status === 200, 'the override reaches the limiter');
    const reply = await call(alpha.key);
    assert.equal(reply.status, 200);
    assert.equal(reply.headers['ratelimit-policy'], '"per-day";q=5;w=86400');
    assert.equal(reply.headers['ratelimit'], '"per-day";r=1;t=69120');
    const listed = await gw.admin.call('GET', `/v1/rate-limit-overrides?subjectType=consumer&subjectId=${alphaId}`);
    assert.equal(listed.json<{ items: unknown[] }>().items.length, 1);
    assert.equal((await gw.admin.call('DELETE', `/v1/rate-limit-overrides/${override.id}`)).status, 200);
    // The override's own limit refuses alpha too once spent: wait for the base policy (q=2) to be back.
    await eventually(async () => {
      const after = await call(alpha.key);
      return after.status === 429 && after.headers['ratelimit-policy'] === '"per-day";q=2;w=86400';
    }, 'the deletion reaches the limiter', 3000);
  });

  test('refuses an override for a consumer or key that does not exist, a limit the config does not have, or a bad body', async () => {
    assert.equal((await gw.admin.call('POST', '/v1/rate-limit-overrides', { subjectType: 'consumer', subjectId: 'con_nope', limitName: 'per-day', limit: 5 })).status, 404);
    const unknown = await gw.admin.call('POST', '/v1/rate-limit-overrides', { subjectType: 'consumer', subjectId: alphaId, limitName: 'per-dya', limit: 5 });
    assert.equal(unknown.status, 400);
    assert.match(unknown.text, /known: per-day/);
    assert.equal((await gw.admin.call('POST', '/v1/rate-limit-overrides', { subjectType: 'api_key', subjectId: beta.id, limitName: 'Per Day', limit: 0 })).status, 400);
  });

  test('says plainly, without a useless Retry-After, when an override leaves a request no way to fit', async () => {
    const gammaId = await gw.admin.consumer('gamma');
    const gamma = await gw.admin.key(gammaId, []);
    assert.equal((await gw.admin.call('POST', '/v1/rate-limit-overrides', { subjectType: 'consumer', subjectId: gammaId, limitName: 'per-day', limit: 1 })).status, 200);
    // Wait for this refusal, not any 429: before the override arrives, the base limit (2 a day, a POST
    // costs 2) refuses gamma's second POST too, with a Retry-After.
    const cannotFit = /costs 2 units; the \\"per-day\\" limit allows at most 1 at once/;
    await eventually(async () => cannotFit.test((await httpRequest(`${gw.url}/x`, { method: 'POST', headers: { authorization: `Bearer ${gamma.key}` } })).text), 'the override applies');
    const refused = await httpRequest(`${gw.url}/x`, { method: 'POST', headers: { authorization: `Bearer ${gamma.key}` } });
    assertProblem(refused, 429, 'ratelimit.exceeded');
    assert.equal(refused.headers['retry-after'], undefined);
    assert.match(refused.text, cannotFit);
  });

  test("a key's own override wins over its consumer's", async () => {
    const own = await gw.admin.call('POST', '/v1/rate-limit-overrides', { subjectType: 'api_key', subjectId: beta.id, limitName: 'per-day', limit: 1000, windowSeconds: 86400, burst: 1000 });
    assert.equal(own.status, 200, own.text);
    await eventually(async () => (await call(beta.key)).status === 200 && (await call(beta.key)).status === 200, 'the key override applies');
  });
});

describe('concurrency limits and load shedding', () => {
  let upstream: TestUpstream;
  let gw: TestGateway;
  const waiting: Array<() => void> = [];
  const release = () => waiting.splice(0).forEach((resolve) => resolve());

  before(async () => {
    upstream = await startUpstream(async (_req, res) => {
      await new Promise<void>((resolve) => waiting.push(resolve));
      res.writeHead(200).end('slow');
    });
    gw = await startGateway(
      baseConfig([upstream.url], {
        overload: { maxInFlight: 3 },
        routes: [
          { name: 'slow', methods: ['GET'], path: '/slow', upstream: 'backend', policies: { ratelimit: { concurrency: { maxInFlight: 1, by: ['header'], header: 'x-tenant' } } } },
          { name: 'free', methods: ['GET'], path: '/free', upstream: 'backend' },
        ],
      }),
    );
  });
  after(async () => {
    release();
    await gw.close();
    await upstream.close();
  });

  test('refuses a request past the in-flight maximum with 429 ratelimit.concurrency_exceeded, and frees the slot when the first ends', async () => {
    const first = httpRequest(`${gw.url}/slow`, { headers: { 'x-tenant': 'a' } });
    await eventually(() => upstream.requests.length === 1, 'the first request is in flight');
    const second = await httpRequest(`${gw.url}/slow`, { headers: { 'x-tenant': 'a' } });
    assert.equal(assertProblem(second, 429, 'ratelimit.concurrency_exceeded').limit, 'concurrency');
    release();
    assert.equal((await first).status, 200);
    const third = httpRequest(`${gw.url}/slow`, { headers: { 'x-tenant': 'a' } });
    await eventually(() => upstream.requests.length === 2, 'the slot was given back');
    release();
    assert.equal((await third).status, 200);
  });

  test('sheds requests past overload.maxInFlight with 503 overloaded, counted and logged, and recovers', async () => {
    const held = ['a', 'b', 'c'].map((tenant) => httpRequest(`${gw.url}/slow`, { headers: { 'x-tenant': tenant } }));
    await eventually(() => gw.gateway.inflight === 3, 'three requests in flight');
    const shed = await httpRequest(`${gw.url}/free`);
    assertProblem(shed, 503, 'overloaded');
    assert.equal(shed.headers['retry-after'], '1');
    await gw.logs.waitFor((record) => record.event === 'gateway.overloaded');
    const metrics = await httpRequest(`${gw.gateway.adminUrl}/metrics`);
    assert.match(metrics.text, /portcullis_overload_shed_total [1-9]/);
    release();
    for (const reply of await Promise.all(held)) assert.equal(reply.status, 200);
    await eventually(() => gw.gateway.inflight === 0, 'all done');
    const after = httpRequest(`${gw.url}/free`);
    await eventually(() => upstream.requests.length >= 6, 'the next request is admitted');
    release();
    assert.equal((await after).status, 200);
  });
});

test('sheds before anything else answers, the HTTPS redirect included', async () => {
  const waiting: Array<() => void> = [];
  const upstream = await startUpstream(async (_req, res) => {
    await new Promise<void>((resolve) => waiting.push(resolve));
    res.writeHead(200).end('slow');
  });
  const gw = await startGateway(
    baseConfig([upstream.url], {
      overload: { maxInFlight: 1 },
      listeners: [
        { name: 'public', host: '127.0.0.1', port: 0 },
        { name: 'web', host: '127.0.0.1', port: 0, plainHttp: 'redirect', httpsPort: 8443 },
      ],
    }),
  );
  try {
    assert.equal((await httpRequest(`${gw.gateway.url('web')}/x`)).status, 308);
    const held = httpRequest(`${gw.url}/slow`);
    await eventually(() => gw.gateway.inflight === 1, 'one request in flight');
    assertProblem(await httpRequest(`${gw.gateway.url('web')}/x`), 503, 'overloaded');
    waiting.splice(0).forEach((resolve) => resolve());
    assert.equal((await held).status, 200);
  } finally {
    waiting.splice(0).forEach((resolve) => resolve());
    await gw.close();
    await upstream.close();
  }
});

describe('rate-limit config checks', () => {
  const check = (raw: Record<string, unknown>) => {
    const result = validateConfig(raw, {});
    return result.ok ? [] : result.issues.map((issue) => `${issue.path}: ${issue.message}`);
  };
  const route = (ratelimit: Record<string, unknown>) => baseConfig(['http://127.0.0.1:1'], { routes: [{ name: 'r', methods: ['GET'], path: '/', upstream: 'backend', policies: { ratelimit } }] });

  test('refuses store: redis without a redis section, duplicate names, a header limit without its header, and a cost no burst can hold', () => {
    const issues = check(route({ store: 'redis', limits: [{ name: 'a', limit: 2, windowSeconds: 1 }, { name: 'a', limit: 1, windowSeconds: 1, by: ['header'] }], cost: 3 }));
    assert.ok(issues.some((i) => i.startsWith('routes[0].policies.ratelimit.store: redis needs the redis section')), issues.join('\n'));
    assert.ok(issues.some((i) => i.includes('limits[1].name') && i.includes('used twice')), issues.join('\n'));
    assert.ok(issues.some((i) => i.includes('limits[1].header')), issues.join('\n'));
    assert.ok(issues.some((i) => i.includes('no request could ever pass')), issues.join('\n'));
  });

  test('refuses a Redis URL with credentials in it (the password goes by reference)', () => {
    const issues = check({ ...route({ limits: [{ name: 'a', limit: 1, windowSeconds: 1 }] }), redis: { url: 'redis://user:hunter2@127.0.0.1:6379' } });
    assert.ok(issues.some((i) => i.startsWith('redis.url')), issues.join('\n'));
    assert.ok(!issues.join('\n').includes('hunter2'), 'the password is not echoed');
  });
});

type KeyPair = Awaited<ReturnType<typeof generateKeyPair>>;

describe('concurrency slots when a client leaves early', () => {
  let gw: TestGateway;
  let upstream: TestUpstream;
  // The identity provider answers JWKS requests at once, or holds them while `held` is set, so the
  // test can keep a request waiting in authentication for exactly as long as it needs.
  let held: Array<() => void> | undefined;
  let jwksRequests = 0;
  let jwksAnswered = 0;
  const idp = createServer((_req, res) => {
    jwksRequests++;
    const answer = () => res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ keys: published }), () => jwksAnswered++);
    if (held) held.push(answer);
    else answer();
  });
  const published: object[] = [];
  let first: KeyPair;
  let second: KeyPair;
  const token = (key: KeyPair['privateKey'], kid: string) => new SignJWT({ sub: 'partner-1' }).setProtectedHeader({ alg: 'ES256', kid }).setIssuer('https://idp.test').setAudience('api').setExpirationTime('5m').sign(key);

  before(async () => {
    first = await generateKeyPair('ES256');
    second = await generateKeyPair('ES256');
    published.push({ ...(await exportJWK(first.publicKey)), kid: 'k1', alg: 'ES256', use: 'sig' });
    await new Promise<void>((resolve) => idp.listen(0, '127.0.0.1', resolve));
    upstream = await startUpstream();
    gw = await startGateway(
      baseConfig([upstream.url], {
        routes: [
          {
            name: 'r',
            methods: ['GET'],
            path: '/r',
            upstream: 'backend',
            policies: {
              'auth-jwt': { issuers: [{ issuer: 'https://idp.test', jwksUrl: `http://127.0.0.1:${(idp.address() as AddressInfo).port}/jwks.json`, minRefetchSeconds: 1 }], audiences: ['api'] },
              ratelimit: { concurrency: { maxInFlight: 1, by: ['consumer'] } },
            },
          },
        ],
      }),
    );
  });
  after(async () => {
    held?.splice(0).forEach((answer) => answer());
    await gw.close();
    await upstream.close();
    idp.closeAllConnections();
    idp.close();
  });

  test('gives the slot back when the client disconnects while authentication still waits, and forwards nothing for it', async () => {
    assert.equal((await httpRequest(`${gw.url}/r`, { headers: { authorization: `Bearer ${await token(first.privateKey, 'k1')}` } })).status, 200);
    assert.equal(jwksRequests, 1);
    // A new key id makes the gateway fetch the JWKS again; the provider holds that answer.
    published.push({ ...(await exportJWK(second.publicKey)), kid: 'k2', alg: 'ES256', use: 'sig' });
    held = [];
    await sleep(1100); // at least minRefetchSeconds: a slower machine only waits longer
    const leaving = rawHttpRequest(`${gw.url}/r`, { headers: { authorization: `Bearer ${await token(second.privateKey, 'k2')}`, 'x-probe': 'abandoned' }, agent: false });
    leaving.on('error', () => {});
    leaving.end();
    // The scenario, established rather than hoped for: the request waits in authentication (its
    // key fetch reached the provider) when its client goes, and the gateway has seen it go.
    await eventually(() => jwksRequests === 2, 'the abandoned request is waiting for the key fetch');
    assert.equal(gw.gateway.inflight, 1);
    leaving.destroy();
    await eventually(() => gw.gateway.inflight === 0, 'the gateway saw the client leave');
    const answers = held.splice(0);
    held = undefined;
    answers.forEach((answer) => answer());
    await eventually(() => jwksAnswered === 2, 'the key fetch was answered');
    // Authentication now completes for the abandoned request. A slot it kept would lock the
    // consumer out for good; one still in use for a moment only delays the next request.
    let next = { status: 0, text: '' };
    await eventually(async () => {
      next = await httpRequest(`${gw.url}/r`, { headers: { authorization: `Bearer ${await token(second.privateKey, 'k2')}` } });
      return next.status !== 429;
    }, 'the concurrency slot is given back');
    assert.equal(next.status, 200, `the consumer is not locked out: ${next.text}`);
    assert.equal(upstream.requests.length, 2);
    assert.ok(!upstream.requests.some((request) => request.headers['x-probe'] === 'abandoned'), 'the abandoned request was not forwarded');
  });
});

describe('client IPs for limits come only through trusted proxies', () => {
  let upstream: TestUpstream;
  const start = (trustedProxies: string[]) =>
    startGateway(
      baseConfig([upstream.url], {
        trustedProxies,
        routes: [{ name: 'r', methods: ['GET'], path: '/r', upstream: 'backend', policies: { ratelimit: { limits: [{ name: 'per-minute', limit: 1, windowSeconds: 60, by: ['consumer'] }] } } }],
      }),
    );
  before(async () => {
    upstream = await startUpstream();
  });
  after(() => upstream.close());

  test('an untrusted peer cannot get a fresh budget by sending X-Forwarded-For (anonymous requests count per IP)', async () => {
    const gw = await start([]);
    try {
      assert.equal((await httpRequest(`${gw.url}/r`, { headers: { 'x-forwarded-for': '198.51.100.1' } })).status, 200);
      assertProblem(await httpRequest(`${gw.url}/r`, { headers: { 'x-forwarded-for': '198.51.100.2' } }), 429, 'ratelimit.exceeded');
    } finally {
      await gw.close();
    }
  });

  test("a trusted proxy's X-Forwarded-For gives each client its own budget", async () => {
    const gw = await start(['127.0.0.1']);
    try {
      assert.equal((await httpRequest(`${gw.url}/r`, { headers: { 'x-forwarded-for': '198.51.100.1' } })).status, 200);
      assert.equal((await httpRequest(`${gw.url}/r`, { headers: { 'x-forwarded-for': '198.51.100.2' } })).status, 200);
      assertProblem(await httpRequest(`${gw.url}/r`, { headers: { 'x-forwarded-for': '198.51.100.2' } }), 429, 'ratelimit.exceeded');
    } finally {
      await gw.close();
    }
  });
});
