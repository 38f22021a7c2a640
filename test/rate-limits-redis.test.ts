/**
 * Rate limits shared through a real Redis: exactness across two gateway processes, the same exact
 * headers as in memory, and every fallback mode while a private Redis is killed and restarted.
 * Under CI=true these run (the helpers fail loudly when Redis or redis-server is missing).
 */
import assert from 'node:assert/strict';
import { Agent, request } from 'node:http';
import { after, before, describe, test } from 'node:test';
import { Redis } from 'ioredis';
import { ManualClock } from '../src/core/clock.js';
import { startGatewayNodes, type GatewayNodes } from './helpers/cli.js';
import { assertProblem, baseConfig, eventually, httpRequest, startGateway, startUpstream, type TestGateway, type TestUpstream } from './helpers/index.js';
import { PrivateRedis, REDIS_URL, redisTestPrefix, skipWithoutRedis, skipWithoutRedisServer } from './helpers/services.js';

const redisSection = (url: string) => ({ redis: { url, keyPrefix: redisTestPrefix(), commandTimeoutMs: 1000 } });

test('two gateway processes sharing Redis admit the limit exactly, under concurrent bursts', { skip: skipWithoutRedis }, async (t) => {
  const LIMIT = 300;
  const WINDOW_SECONDS = 3600;
  const upstream = await startUpstream();
  const agent = new Agent({ keepAlive: true, maxSockets: 64 });
  let gateways: GatewayNodes | undefined;
  try {
    // A generous command timeout: this test is about exactness, and a loaded machine (a second suite
    // in parallel) can delay a command past 1 s, which fails it closed with 503.
    const redis = { redis: { ...redisSection(REDIS_URL).redis, commandTimeoutMs: 10_000 } };
    gateways = await startGatewayNodes(2, ({ port, adminPort }) => ({
      listeners: [{ name: 'public', host: '127.0.0.1', port }],
      admin: { host: '127.0.0.1', port: adminPort },
      // Closed: a Redis hiccup must fail requests, never admit extra ones behind the test's back.
      ...redis,
      upstreams: { backend: { targets: [upstream.url] } },
      routes: [{ name: 'payments', methods: ['POST'], path: '/payments', upstream: 'backend', policies: { ratelimit: { store: 'redis', onStoreFailure: 'closed', limits: [{ name: 'per-hour', limit: LIMIT, windowSeconds: WINDOW_SECONDS, by: ['route'] }] } } }],
    }));
    const ports = gateways.ports.map((node) => node.port);
    const post = (port: number) =>
      new Promise<number>((resolve, reject) => {
        const req = request({ host: '127.0.0.1', port, path: '/payments', method: 'POST', agent }, (res) => {
          res.resume();
          res.on('end', () => resolve(res.statusCode!));
        });
        req.on('error', reject);
        req.end('{}');
      });
    const started = Date.now();
    const statuses: number[] = [];
    // Four bursts of 250 concurrent requests, split over both nodes: 1000 attempts for 300 units.
    for (let burst = 0; burst < 4; burst++) {
      statuses.push(...(await Promise.all(Array.from({ length: 250 }, (_, i) => post(ports[i % 2]!)))));
    }
    const elapsedSeconds = (Date.now() - started) / 1000;
    const admitted = statuses.filter((status) => status === 200).length;
    const refused = statuses.filter((status) => status === 429).length;
    assert.equal(admitted + refused, statuses.length, `only 200 and 429, got ${[...new Set(statuses)].join(', ')}`);
    // What GCRA allows: the burst, plus what drained back while the test ran.
    const allowed = LIMIT + Math.floor((elapsedSeconds * LIMIT) / WINDOW_SECONDS);
    // The stated tolerance: 1 % of the limit. The atomic script makes the real error zero.
    const tolerance = Math.ceil(LIMIT * 0.01);
    t.diagnostic(`admitted ${admitted} of ${statuses.length} in ${elapsedSeconds.toFixed(2)} s; allowed ${allowed} (+${tolerance})`);
    assert.ok(admitted <= allowed + tolerance, `admitted ${admitted}, allowed ${allowed} (+${tolerance})`);
    assert.ok(admitted >= LIMIT - tolerance, `admitted ${admitted}, at least ${LIMIT} expected`);
    assert.equal(upstream.requests.length, admitted, 'every admitted request reached the upstream, no refused one did');
  } finally {
    agent.destroy();
    gateways?.stop();
    await upstream.close();
  }
});

describe('Redis-backed limits with an injected clock', { skip: skipWithoutRedis }, () => {
  let upstream: TestUpstream;
  let gw: TestGateway;
  const clock = new ManualClock(Date.UTC(2026, 10, 22, 12));
  before(async () => {
    upstream = await startUpstream();
    gw = await startGateway(
      baseConfig([upstream.url], {
        ...redisSection(REDIS_URL),
        routes: [{ name: 'small', methods: ['GET'], path: '/small', upstream: 'backend', policies: { ratelimit: { store: 'redis', limits: [{ name: 'per-minute', limit: 3, windowSeconds: 60, by: ['ip'] }] } } }],
      }),
      { clock },
    );
  });
  after(async () => {
    await gw.close();
    await upstream.close();
  });

  test('reports the exact remaining budget and refuses at the limit, across a window with no boundary burst', async () => {
    const call = () => httpRequest(`${gw.url}/small`);
    const seen: string[] = [];
    for (let i = 0; i < 3; i++) seen.push(String((await call()).headers['ratelimit']));
    assert.deepEqual(seen, ['"per-minute";r=2;t=20', '"per-minute";r=1;t=40', '"per-minute";r=0;t=60']);
    const refused = await call();
    assertProblem(refused, 429, 'ratelimit.exceeded');
    assert.equal(refused.headers['retry-after'], '20');
    clock.advance(20_000);
    assert.equal((await call()).status, 200);
    assertProblem(await call(), 429, 'ratelimit.exceeded');
    clock.advance(60_000);
    const statuses = [];
    for (let i = 0; i < 4; i++) statuses.push((await call()).status);
    assert.deepEqual(statuses, [200, 200, 200, 429]);
  });
});

describe('when Redis stops mid-test and comes back', { skip: skipWithoutRedisServer }, () => {
  let redis: PrivateRedis;
  let upstream: TestUpstream;
  let gw: TestGateway;
  const limits = (mode: string) => ({ ratelimit: { store: 'redis', onStoreFailure: mode, limits: [{ name: `per-minute-${mode}`, limit: 2, windowSeconds: 60, by: ['route'] }] } });
  const call = (path: string) => httpRequest(`${gw.url}${path}`);
  const metrics = async () => (await httpRequest(`${gw.gateway.adminUrl}/metrics`)).text;

  before(async () => {
    redis = await PrivateRedis.start();
    upstream = await startUpstream();
    gw = await startGateway(
      baseConfig([upstream.url], {
        ...redisSection(redis.url),
        routes: ['local', 'open', 'closed'].map((mode) => ({ name: mode, methods: ['GET'], path: `/${mode}`, upstream: 'backend', policies: limits(mode) })),
      }),
    );
  });
  after(async () => {
    await gw.close();
    await upstream.close();
    await redis.stop();
  });

  test('shares limits while Redis answers', async () => {
    await eventually(async () => /portcullis_ratelimit_store_up 1/.test(await metrics()), 'the store gauge says up');
    assert.equal((await call('/closed')).status, 200);
    assert.equal((await call('/closed')).status, 200);
    assertProblem(await call('/closed'), 429, 'ratelimit.exceeded');
  });

  test('applies each configured fallback when Redis is killed, logged and counted, never silently', async () => {
    await redis.stop();
    await gw.logs.waitFor((record) => record.event === 'ratelimit.store_unavailable');
    // closed: 503, with Retry-After.
    const closed = await call('/closed');
    assertProblem(closed, 503, 'ratelimit.store_unavailable');
    assert.equal(closed.headers['retry-after'], '1');
    // local: this node's own limits, still enforced.
    const local = [await call('/local'), await call('/local'), await call('/local')];
    assert.deepEqual(local.map((reply) => reply.status), [200, 200, 429]);
    assert.equal(local[0]!.headers['ratelimit'], '"per-minute-local";r=1;t=30');
    // open: admitted past the limit, with no budget headers (there is no budget to tell).
    const open = [await call('/open'), await call('/open'), await call('/open')];
    assert.deepEqual(open.map((reply) => reply.status), [200, 200, 200]);
    assert.equal(open[2]!.headers['ratelimit'], undefined);
    const text = await metrics();
    assert.match(text, /portcullis_ratelimit_store_up 0/);
    assert.match(text, /portcullis_ratelimit_fallback_total\{route="local",mode="local"\} 3/);
    assert.match(text, /portcullis_ratelimit_fallback_total\{route="open",mode="open"\} 3/);
    assert.match(text, /portcullis_ratelimit_fallback_total\{route="closed",mode="closed"\} 1/);
    const line = await gw.logs.waitFor((record) => record.type === 'access' && record.route === 'open' && record.rateLimitFallback === 'open');
    assert.equal(line.status, 200);
  });

  test('resumes shared limits by itself when Redis is back', async () => {
    await redis.resume();
    await gw.logs.waitFor((record) => record.event === 'ratelimit.store_recovered');
    // The restarted Redis kept nothing (no persistence): a fresh shared budget of 2.
    assert.equal((await call('/closed')).status, 200);
    assert.equal((await call('/closed')).status, 200);
    assertProblem(await call('/closed'), 429, 'ratelimit.exceeded');
    assert.match(await metrics(), /portcullis_ratelimit_store_up 1/);
  });
});

describe('when Redis hangs', { skip: skipWithoutRedisServer }, () => {
  let redis: PrivateRedis;
  let upstream: TestUpstream;
  let gw: TestGateway;
  before(async () => {
    redis = await PrivateRedis.start();
    upstream = await startUpstream();
    gw = await startGateway(
      baseConfig([upstream.url], {
        redis: { url: redis.url, keyPrefix: redisTestPrefix(), commandTimeoutMs: 150 },
        routes: [{ name: 'local', methods: ['GET'], path: '/local', upstream: 'backend', policies: { ratelimit: { store: 'redis', limits: [{ name: 'per-minute', limit: 100, windowSeconds: 60, by: ['route'] }] } } }],
      }),
    );
  });
  after(async () => {
    await gw.close();
    await upstream.close();
    await redis.stop();
  });

  test('answers from the fallback instead of waiting on Redis for every request, logs the outage once, and recovers', async () => {
    await eventually(async () => (await httpRequest(`${gw.url}/local`)).headers['ratelimit'] === '"per-minute";r=99;t=1', 'Redis answers');
    const pauser = new Redis(redis.url);
    try {
      // Every command from every client waits 1.5 s: Redis is up but hung.
      await pauser.call('CLIENT', 'PAUSE', '1500', 'ALL');
      const statuses: number[] = [];
      for (let i = 0; i < 10; i++) statuses.push((await httpRequest(`${gw.url}/local`)).status);
      assert.deepEqual(new Set(statuses), new Set([200]));
      const fallbacks = /portcullis_ratelimit_fallback_total\{route="local",mode="local"\} (\d+)/.exec((await httpRequest(`${gw.gateway.adminUrl}/metrics`)).text);
      assert.equal(fallbacks?.[1], '10', 'every request was answered by the local fallback');
      // After the first timeout, Redis is left alone for a second: not one timeout per request.
      const timeouts = gw.logs.records.filter((record) => record.event === 'ratelimit.store_unavailable');
      assert.equal(timeouts.length, 1, 'the outage is logged once');
      await eventually(async () => {
        await httpRequest(`${gw.url}/local`);
        return gw.logs.records.some((record) => record.event === 'ratelimit.store_recovered');
      }, 'shared limits resume once Redis answers again', 6000);
    } finally {
      pauser.disconnect();
    }
  });
});
