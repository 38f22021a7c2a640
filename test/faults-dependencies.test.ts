/**
 * Fault injection, the data plane's other dependencies (issue 13): Redis stopped, restarted and
 * frozen; a token issuer down or hung; an upstream down, resetting or trickling. Under a steady
 * load from the test, each asserts that the gateway serves what does not need the failed part,
 * what clients got, that the failure was logged and counted, and how long recovery took.
 * PostgreSQL is in faults-postgres.test.ts, the process itself in faults-process.test.ts.
 */
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:net';
import type { AddressInfo } from 'node:net';
import { describe, test } from 'node:test';
import type { LookupFunction } from 'node:net';
import { ManualClock } from '../src/core/clock.js';
import { validateConfig } from '../src/config/loader.js';
import { Gateway } from '../src/server/gateway.js';
import { baseConfig, httpRequest, LogCapture, startGateway, startUpstream } from './helpers/index.js';
import { startIdp } from './helpers/jwks.js';
import { metricValue, msUntil, SteadyLoad } from './helpers/load.js';
import { PrivateRedis, redisTestPrefix, skipWithoutRedisServer } from './helpers/services.js';

async function metrics(adminUrl: string): Promise<string> {
  return (await httpRequest(`${adminUrl}/metrics`)).text;
}

async function degraded(adminUrl: string): Promise<string[]> {
  const ready = await httpRequest(`${adminUrl}/readyz`);
  assert.equal(ready.status, 200, '/readyz stays 200 while the data plane serves');
  return ready.json<{ degraded: Array<{ dependency: string }> }>().degraded.map((d) => d.dependency);
}

describe('Redis faults', { skip: skipWithoutRedisServer, timeout: 300_000 }, () => {
  test('Redis stopped, restarted and frozen under load: limits fall back to local ones, the outage is logged once, counted, listed by /readyz, and shared limits resume by themselves', async (t) => {
    const redis = await PrivateRedis.start();
    const upstream = await startUpstream();
    const gw = await startGateway(
      baseConfig([upstream.url], {
        redis: { url: redis.url, keyPrefix: redisTestPrefix(), connectTimeoutMs: 300, commandTimeoutMs: 300 },
        routes: [{ name: 'limited', methods: ['GET'], path: '/*', upstream: 'backend', policies: { ratelimit: { store: 'redis', limits: [{ name: 'per-route', limit: 100000, windowSeconds: 60, by: ['route'] }] } } }],
      }),
    );
    try {
      await msUntil(async () => metricValue(await metrics(gw.gateway.adminUrl), 'portcullis_ratelimit_store_up') === 1, 'Redis is up');
      const load = new SteadyLoad(async () => (await httpRequest(`${gw.url}/x`)).status);
      await msUntil(() => load.total('before') >= 10, 'load before');
      const timings: string[] = [];
      for (const fault of ['stopped', 'frozen'] as const) {
        load.phase(fault);
        if (fault === 'stopped') await redis.stop();
        else redis.pause();
        await msUntil(async () => (await degraded(gw.gateway.adminUrl)).includes('redis'), `/readyz lists redis while it is ${fault}`);
        await msUntil(() => load.total(fault) >= 20, `load while Redis is ${fault}`);
        const text = await metrics(gw.gateway.adminUrl);
        assert.equal(metricValue(text, 'portcullis_ratelimit_store_up'), 0);
        assert.ok(metricValue(text, 'portcullis_ratelimit_fallback_total', { route: 'limited', mode: 'local' }) > 0, 'the local fallback answered');
        load.phase(`${fault}-recovery`);
        const back = Date.now();
        if (fault === 'stopped') await redis.resume();
        else redis.unpause();
        const recoveredMs = await msUntil(async () => !(await degraded(gw.gateway.adminUrl)).includes('redis'), 'Redis is back', 15_000);
        timings.push(`${fault}: recovered ${recoveredMs} ms after it returned (${Date.now() - back} ms)`);
        assert.deepEqual(Object.keys(load.counts(fault)), ['200'], `clients while Redis was ${fault} got ${JSON.stringify(load.counts(fault))}`);
      }
      await load.stop();
      assert.ok(gw.logs.records.some((r) => r.event === 'dependency.unavailable' && r.dependency === 'redis'));
      assert.ok(gw.logs.records.some((r) => r.event === 'dependency.available_again' && r.dependency === 'redis'));
      assert.ok(gw.logs.records.some((r) => r.event === 'ratelimit.store_unavailable'));
      t.diagnostic(`redis: ${timings.join('; ')}`);
    } finally {
      redis.unpause();
      await gw.close();
      await upstream.close();
      await redis.stop();
    }
  });
});

describe('token issuer faults', { timeout: 60_000 }, () => {
  test('an identity provider down, then hung, under load: the last good keys keep serving, the failures are logged and counted and /readyz lists the issuer, and fetching resumes when it returns', async (t) => {
    const idp = await startIdp();
    const upstream = await startUpstream();
    const clock = new ManualClock(Date.UTC(2026, 10, 22, 12));
    const issuer = { issuer: idp.issuer, discoveryUrl: idp.discoveryUrl, refreshSeconds: 60, minRefetchSeconds: 1, maxStaleSeconds: 3600, timeoutMs: 300 };
    const gw = await startGateway(baseConfig([upstream.url], { routes: [{ name: 'accounts', methods: ['GET'], path: '/accounts', upstream: 'backend', policies: { 'auth-jwt': { issuers: [issuer], audiences: ['https://api.example'] } } }] }), { clock });
    // A hung provider: accepts connections, never answers.
    const hungSockets = new Set<import('node:net').Socket>();
    const hung: Server = createServer((socket) => {
      hungSockets.add(socket);
      socket.on('error', () => {});
    });
    await new Promise<void>((resolve) => hung.listen(0, '127.0.0.1', resolve));
    try {
      const now = Math.floor(clock.now() / 1000);
      const token = await idp.sign({ iss: idp.issuer, aud: 'https://api.example', sub: 'p1', iat: now, exp: now + 86400 });
      const auth = { headers: { authorization: `Bearer ${token}` } };
      await msUntil(async () => (await httpRequest(`${gw.url}/accounts`, auth)).status === 200, 'the token is accepted');
      const load = new SteadyLoad(async () => (await httpRequest(`${gw.url}/accounts`, auth)).status);
      const issuerDependency = `issuer:${idp.issuer}`;

      load.phase('down');
      idp.down = true;
      clock.advance(61_000);
      await msUntil(async () => (await degraded(gw.gateway.adminUrl)).includes(issuerDependency), '/readyz lists the issuer');
      await gw.logs.waitFor((r) => r.event === 'jwks.serving_stale');
      await msUntil(() => load.total('down') >= 20, 'load while the provider is down');

      load.phase('hung');
      // The discovery document now names a JWKS URL that never answers.
      idp.down = false;
      idp.rawDiscovery = JSON.stringify({ issuer: idp.issuer, jwks_uri: `http://127.0.0.1:${(hung.address() as AddressInfo).port}/jwks.json` });
      clock.advance(2_000);
      const slowest = { ms: 0 };
      await msUntil(async () => {
        const started = Date.now();
        await httpRequest(`${gw.url}/accounts`, auth);
        slowest.ms = Math.max(slowest.ms, Date.now() - started);
        return load.total('hung') >= 20;
      }, 'load while the provider hangs');
      await msUntil(async () => metricValue(await metrics(gw.gateway.adminUrl), 'portcullis_jwks_fetches_total', { outcome: 'error' }) >= 2, 'the hung fetch timed out and was counted');

      load.phase('recovery');
      idp.rawDiscovery = undefined;
      clock.advance(2_000);
      const recoveredMs = await msUntil(async () => {
        await httpRequest(`${gw.url}/accounts`, auth);
        return !(await degraded(gw.gateway.adminUrl)).includes(issuerDependency);
      }, 'the issuer answers again');
      await load.stop();
      for (const phase of ['down', 'hung']) assert.deepEqual(Object.keys(load.counts(phase)), ['200'], `clients while the provider was ${phase} got ${JSON.stringify(load.counts(phase))}`);
      assert.ok(gw.logs.records.some((r) => r.event === 'jwks.recovered'));
      assert.equal(gw.logs.records.filter((r) => r.event === 'dependency.unavailable' && r.dependency === issuerDependency).length, 1, 'logged once');
      t.diagnostic(`issuer: recovered ${recoveredMs} ms after it returned; slowest request while it hung ${slowest.ms} ms (fetch timeout 300 ms, never in the request path)`);
    } finally {
      await gw.close();
      await upstream.close();
      await idp.close();
      for (const socket of hungSockets) socket.destroy();
      await new Promise<void>((resolve) => hung.close(() => resolve()));
    }
  });
});

describe('upstream faults', { timeout: 60_000 }, () => {
  test('an upstream down, resetting connections, or trickling its answer: clients get 502/504 problems quickly, other routes keep serving, the process stays up and target cool-downs are counted', async (t) => {
    const healthy = await startUpstream();
    // Resets every connection as soon as it is accepted.
    const resetting: Server = createServer((socket) => socket.resetAndDestroy());
    // Trickles its answer: the status line, then one byte of a header every 100 ms, never done.
    const trickling: Server = createServer((socket) => {
      socket.once('data', () => {
        socket.write('HTTP/1.1 200 OK\r\nx-slow: ');
        const timer = setInterval(() => (socket.destroyed ? clearInterval(timer) : socket.write('x')), 100);
        socket.on('close', () => clearInterval(timer));
      });
      socket.on('error', () => {});
    });
    for (const server of [resetting, trickling]) await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const port = (server: Server) => (server.address() as AddressInfo).port;
    const down = await startUpstream();
    const downUrl = down.url;
    await down.close();
    const gw = await startGateway({
      ...baseConfig([healthy.url]),
      upstreams: {
        backend: { targets: [healthy.url] },
        down: { targets: [downUrl], connectTimeoutMs: 500 },
        resetting: { targets: [`http://127.0.0.1:${port(resetting)}`] },
        trickling: { targets: [`http://127.0.0.1:${port(trickling)}`], headersTimeoutMs: 1000 },
      },
      routes: [
        { name: 'healthy', methods: ['GET'], path: '/healthy', upstream: 'backend' },
        { name: 'down', methods: ['GET'], path: '/down', upstream: 'down' },
        { name: 'resetting', methods: ['GET'], path: '/resetting', upstream: 'resetting' },
        { name: 'trickling', methods: ['GET'], path: '/trickling', upstream: 'trickling' },
      ],
    });
    try {
      const loads = ['healthy', 'down', 'resetting', 'trickling'].map((name) => [name, new SteadyLoad(async () => (await httpRequest(`${gw.url}/${name}`)).status, { concurrency: 1 })] as const);
      await msUntil(() => loads.every(([, load]) => load.total('before') >= 4), 'some requests on every route', 20_000);
      await Promise.all(loads.map(([, load]) => load.stop()));
      const counts = Object.fromEntries(loads.map(([name, load]) => [name, load.counts('before')]));
      assert.deepEqual(Object.keys(counts.healthy!), ['200'], JSON.stringify(counts));
      assert.deepEqual(Object.keys(counts.down!), ['502'], JSON.stringify(counts));
      assert.deepEqual(Object.keys(counts.resetting!), ['502'], JSON.stringify(counts));
      assert.deepEqual(Object.keys(counts.trickling!), ['504'], JSON.stringify(counts));
      const text = await metrics(gw.gateway.adminUrl);
      assert.ok(metricValue(text, 'portcullis_upstream_target_cooldowns_total', { upstream: 'down' }) > 0);
      assert.ok(metricValue(text, 'portcullis_upstream_target_cooldowns_total', { upstream: 'resetting' }) > 0);
      assert.equal((await httpRequest(`${gw.gateway.adminUrl}/healthz`)).status, 200);
      t.diagnostic(`upstreams: ${JSON.stringify(counts)}`);
    } finally {
      await gw.close();
      await healthy.close();
      for (const server of [resetting, trickling]) {
        server.close();
        // Sockets still open to the trickling server end with the test.
        server.unref();
      }
    }
  });
});

describe('DNS faults', { timeout: 60_000 }, () => {
  test('DNS failing for an upstream host (an injected resolver, not the machine\'s): its route answers 502 upstream.unavailable, other routes serve, and the upstream is reached again once names resolve', async (t) => {
    // Closes every connection, so each request needs a new one, and a name lookup.
    const upstream = await startUpstream((_req, res) => {
      res.writeHead(200, { connection: 'close', 'content-type': 'text/plain' });
      res.end('ok');
    });
    let failing = false;
    let lookups = 0;
    // Resolves the upstream's made-up name to loopback, or fails the way a resolver does.
    const lookup = ((hostname: string, options: unknown, callback: (error: NodeJS.ErrnoException | null, address?: string | Array<{ address: string; family: number }>, family?: number) => void) => {
      lookups++;
      const all = typeof options === 'object' && options !== null && (options as { all?: boolean }).all;
      if (failing || hostname !== 'api.partner.test') {
        const error: NodeJS.ErrnoException = Object.assign(new Error(`getaddrinfo ENOTFOUND ${hostname}`), { code: 'ENOTFOUND', syscall: 'getaddrinfo', hostname });
        process.nextTick(() => callback(error));
        return;
      }
      process.nextTick(() => (all ? callback(null, [{ address: '127.0.0.1', family: 4 }]) : callback(null, '127.0.0.1', 4)));
    }) as unknown as LookupFunction;
    const loaded = validateConfig(
      {
        ...baseConfig([upstream.url]),
        upstreams: {
          backend: { targets: [upstream.url] },
          partner: { targets: [`http://api.partner.test:${upstream.port}`], keepAliveTimeoutMs: 1, health: { failuresBeforeCooldown: 3, cooldownMs: 200 }, egress: { allowHttp: true, allowAddresses: ['127.0.0.1/32'] } },
        },
        routes: [
          { name: 'healthy', methods: ['GET'], path: '/healthy', upstream: 'backend' },
          { name: 'partner', methods: ['GET'], path: '/partner', upstream: 'partner' },
        ],
      },
      {},
    );
    assert.ok(loaded.ok);
    const logs = new LogCapture();
    const gateway = await Gateway.start({ config: loaded.config, logDestination: logs, lookup });
    const url = gateway.url();
    try {
      await msUntil(async () => (await httpRequest(`${url}/partner`)).status === 200, 'the partner is reached through the injected resolver');
      const loads = ['healthy', 'partner'].map((name) => [name, new SteadyLoad(async () => (await httpRequest(`${url}/${name}`)).status, { concurrency: 1 })] as const);
      loads.forEach(([, load]) => load.phase('failing'));
      failing = true;
      await msUntil(() => loads.every(([, load]) => load.total('failing') >= 20), 'load while DNS fails');
      // Every request counted as "failing" must be done before names resolve again: one request
      // of the next phase done per worker (concurrency 1) means that.
      loads.forEach(([, load]) => load.phase('switching'));
      await msUntil(() => loads.every(([, load]) => load.total('switching') >= 1), 'the failing phase is over');
      failing = false;
      const back = Date.now();
      await msUntil(async () => (await httpRequest(`${url}/partner`)).status === 200, 'the partner is reached again', 5000);
      const recoveredMs = Date.now() - back;
      await Promise.all(loads.map(([, load]) => load.stop()));
      const [healthy, partner] = loads.map(([, load]) => load.counts('failing'));
      assert.deepEqual(Object.keys(healthy!), ['200'], JSON.stringify(healthy));
      assert.deepEqual(Object.keys(partner!), ['502'], JSON.stringify(partner));
      const problem = await (async () => {
        failing = true;
        const reply = await httpRequest(`${url}/partner`);
        failing = false;
        return reply;
      })();
      assert.equal(problem.status, 502);
      assert.equal(problem.json().code, 'upstream.unavailable');
      assert.ok(logs.records.some((r) => r.event === 'upstream.target_cooldown' && String(r.code ?? '').length > 0));
      assert.ok(lookups > 0);
      t.diagnostic(`dns: while failing ${JSON.stringify(partner)} on the partner route, ${JSON.stringify(healthy)} elsewhere; reached again ${recoveredMs} ms after names resolved`);
    } finally {
      await gateway.close(1000);
      await upstream.close();
    }
  });
});
