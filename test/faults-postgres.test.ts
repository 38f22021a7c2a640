/**
 * Fault injection, PostgreSQL (issue 13): a private cluster (test/helpers/private-postgres.ts),
 * shared by the tests of this file, is crashed, restarted, frozen and made to refuse connections
 * under a steady load. Each test asserts that the gateway survives, what clients got during the
 * outage, that the outage was logged and counted, and how long recovery took (reported).
 *
 * Timeouts are short here (connect 500 ms, query 1000 ms, change feed every 100 ms) so the file
 * runs in seconds; the defaults are 5 s and 10 s.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import pg from 'pg';
import { assertProblem, httpRequest, startUpstream, type TestUpstream } from './helpers/index.js';
import { startGatewayNodes, type GatewayNodes } from './helpers/cli.js';
import { AdminClient, ADMIN_TOKEN, KEY_ENV, startKeyGateway } from './helpers/keys.js';
import { REDIS_URL, redisTestPrefix, skipWithoutRedis } from './helpers/services.js';
import { metricValue, msUntil, SteadyLoad } from './helpers/load.js';
import { PrivatePostgres, skipWithoutInitdb } from './helpers/private-postgres.js';

const ROUTES = {
  routes: [{ name: 'accounts', methods: ['GET'], path: '/accounts', upstream: 'backend', policies: { 'auth-apikey': {} } }],
  bruteForce: { maxFailures: 100000 },
};

/** Far above the configured timeouts, far below a hang (the OS gives up on a dead peer after minutes). */
const HANG_BOUND_MS = 10_000;

describe('PostgreSQL faults', { skip: skipWithoutInitdb, timeout: 300_000 }, () => {
  let cluster: PrivatePostgres;
  let upstream: TestUpstream;
  let databases = 0;

  before(async () => {
    cluster = await PrivatePostgres.create({ maxConnections: 40 });
    await superuser(`create role gw login`);
    upstream = await startUpstream();
  });

  after(async () => {
    await upstream?.close();
    await cluster?.destroy();
  });

  async function superuser(sql: string): Promise<pg.QueryResult> {
    const client = new pg.Client({ connectionString: cluster.url(), connectionTimeoutMillis: 3000 });
    client.on('error', () => {});
    await client.connect();
    try {
      return await client.query(sql);
    } finally {
      await client.end().catch(() => {});
    }
  }

  /** A fresh database owned by the gateway's (non-superuser) role; its URL. */
  async function freshDatabase(): Promise<string> {
    const name = `faults_${++databases}`;
    await superuser(`create database ${name} owner gw`);
    return `postgres://gw@127.0.0.1:${cluster.port}/${name}`;
  }

  async function startNode(databaseUrl: string) {
    return startKeyGateway(upstream.url, ROUTES, {
      store: { driver: 'postgres', url: '${env:FAULT_DATABASE_URL}', pollIntervalMs: 100, connectTimeoutMs: 500, queryTimeoutMs: 1000 },
      env: { FAULT_DATABASE_URL: databaseUrl },
    });
  }

  async function metrics(adminUrl: string): Promise<string> {
    return (await httpRequest(`${adminUrl}/metrics`)).text;
  }

  test('survives a PostgreSQL crash and restart under load: keys keep working, the admin API answers 503 store.unavailable, recovery is logged, counted and timed', async (t) => {
    const gw = await startNode(await freshDatabase());
    try {
      const consumer = await gw.admin.consumer('partner');
      const { key, id } = await gw.admin.key(consumer, []);
      const auth = { headers: { authorization: `Bearer ${key}` } };
      await msUntil(async () => (await httpRequest(`${gw.url}/accounts`, auth)).status === 200, 'the new key works');
      const load = new SteadyLoad(async () => (await httpRequest(`${gw.url}/accounts`, auth)).status);
      await msUntil(() => load.total('before') >= 10, 'load before the outage');

      load.phase('outage');
      await cluster.stop('immediate');
      const started = Date.now();
      const refused = await gw.admin.call('POST', '/v1/consumers', { name: 'during-outage' });
      const adminMs = Date.now() - started;
      assertProblem(refused, 503, 'store.unavailable');
      // Connect timeout 500 ms; without it the call waits for the OS (minutes). The bound tells the two
      // apart on a loaded machine without failing a good run.
      assert.ok(adminMs < HANG_BOUND_MS, `the admin API answered in ${adminMs} ms (connect timeout 500 ms)`);
      await msUntil(async () => {
        const ready = await httpRequest(`${gw.gateway.adminUrl}/readyz`);
        return ready.status === 200 && ready.json<{ degraded: Array<{ dependency: string }> }>().degraded.some((d) => d.dependency === 'store');
      }, '/readyz stays 200 and lists the store as degraded');
      assert.equal((await httpRequest(`${gw.gateway.adminUrl}/healthz`)).status, 200);
      const during = await metrics(gw.gateway.adminUrl);
      assert.equal(metricValue(during, 'portcullis_dependency_up', { dependency: 'store' }), 0);
      assert.ok(metricValue(during, 'portcullis_dependency_failures_total', { dependency: 'store' }) > 0);
      await msUntil(() => load.total('outage') >= 20, 'load during the outage');

      load.phase('recovery');
      await cluster.start();
      const restartedAt = Date.now();
      const recoveredMs = await msUntil(async () => (await gw.admin.call('POST', '/v1/consumers', { name: `after-${Date.now()}` })).status === 201, 'the admin API works again');
      await gw.logs.waitFor((r) => r.event === 'dependency.available_again' && r.dependency === 'store');
      const ready = (await httpRequest(`${gw.gateway.adminUrl}/readyz`)).json<{ status: string; degraded: unknown[] }>();
      assert.equal(ready.status, 'ready');
      assert.deepEqual(ready.degraded, []);

      // A revocation made after the database returns reaches the data plane within a second.
      assert.equal((await gw.admin.call('POST', `/v1/keys/${id}/revoke`)).status, 200);
      const revokedMs = await msUntil(async () => (await httpRequest(`${gw.url}/accounts`, auth)).status === 401, 'the revoked key is refused', 3000);
      assert.ok(revokedMs < 1000, `revocation took ${revokedMs} ms`);
      await load.stop();

      assert.deepEqual(Object.keys(load.counts('outage')), ['200'], `clients during the outage got ${JSON.stringify(load.counts('outage'))}`);
      const outages = gw.logs.records.filter((r) => r.event === 'dependency.unavailable' && r.dependency === 'store');
      assert.equal(outages.length, 1, 'the outage was logged once (repeats come every 30 s)');
      assert.equal(JSON.stringify(outages).includes('gw@'), false, 'no connection string in the log');
      assert.ok(gw.logs.records.some((r) => r.event === 'store.unreachable'), 'the key index said it serves the last loaded keys');
      t.diagnostic(`crash: admin 503 in ${adminMs} ms; recovered ${recoveredMs} ms after restart (${Date.now() - restartedAt} ms incl. checks); revocation after return ${revokedMs} ms; outage load ${JSON.stringify(load.counts('outage'))}`);
    } finally {
      await gw.close();
    }
  });

  test('a frozen PostgreSQL (kill -STOP) costs the admin API its configured timeouts, not a hang; the data plane keeps serving', async (t) => {
    const gw = await startNode(await freshDatabase());
    try {
      const consumer = await gw.admin.consumer('partner');
      const { key } = await gw.admin.key(consumer, []);
      const auth = { headers: { authorization: `Bearer ${key}` } };
      await msUntil(async () => (await httpRequest(`${gw.url}/accounts`, auth)).status === 200, 'the new key works');
      const load = new SteadyLoad(async () => (await httpRequest(`${gw.url}/accounts`, auth)).status);
      load.phase('hung');
      cluster.pause();
      let slowest = 0;
      try {
        for (let i = 0; i < 3; i++) {
          const started = Date.now();
          assertProblem(await gw.admin.call('GET', '/v1/consumers'), 503, 'store.unavailable');
          slowest = Math.max(slowest, Date.now() - started);
        }
        // Connect 500 ms or query 1000 ms, whichever applies; a paused server without them hangs the
        // call for good, which this bound tells apart from a loaded machine's scheduling.
        assert.ok(slowest < HANG_BOUND_MS, `the slowest admin answer took ${slowest} ms`);
        const ready = await httpRequest(`${gw.gateway.adminUrl}/readyz`);
        assert.equal(ready.status, 200);
        assert.ok(ready.json<{ degraded: Array<{ dependency: string }> }>().degraded.some((d) => d.dependency === 'store'));
      } finally {
        cluster.resume();
      }
      load.phase('thawed');
      const recoveredMs = await msUntil(async () => (await gw.admin.call('GET', '/v1/consumers')).status === 200, 'the admin API works again');
      await load.stop();
      assert.deepEqual(Object.keys(load.counts('hung')), ['200'], `clients while it was frozen got ${JSON.stringify(load.counts('hung'))}`);
      assert.ok(gw.logs.records.some((r) => r.event === 'dependency.unavailable' && r.dependency === 'store'));
      t.diagnostic(`frozen: slowest admin 503 ${slowest} ms; recovered ${recoveredMs} ms after thaw`);
    } finally {
      await gw.close();
    }
  });

  test('a PostgreSQL refusing connections (too many connections, 53300) is an outage like any other, and the gateway reconnects when it accepts again', async (t) => {
    const url = await freshDatabase();
    const gw = await startNode(url);
    try {
      const consumer = await gw.admin.consumer('partner');
      const { key } = await gw.admin.key(consumer, []);
      const auth = { headers: { authorization: `Bearer ${key}` } };
      await msUntil(async () => (await httpRequest(`${gw.url}/accounts`, auth)).status === 200, 'the new key works');
      const load = new SteadyLoad(async () => (await httpRequest(`${gw.url}/accounts`, auth)).status);
      load.phase('refusing');
      // The role may open no connection, and the ones it has are cut: exactly what a full
      // max_connections answers (SQLSTATE 53300), without starving the test's own connections.
      await superuser(`alter role gw connection limit 0`);
      await superuser(`select pg_terminate_backend(pid) from pg_stat_activity where usename = 'gw'`);
      const refused = await gw.admin.call('POST', '/v1/consumers', { name: 'refused' });
      assertProblem(refused, 503, 'store.unavailable');
      const outage = await gw.logs.waitFor((r) => r.event === 'dependency.unavailable' && r.dependency === 'store');
      assert.match(String(outage.reason), /53300|57P01|terminat/);
      await superuser(`alter role gw connection limit -1`);
      load.phase('accepting');
      const recoveredMs = await msUntil(async () => (await gw.admin.call('POST', '/v1/consumers', { name: `back-${Date.now()}` })).status === 201, 'the admin API works again');
      await load.stop();
      assert.deepEqual(Object.keys(load.counts('refusing')), ['200'], `clients while PostgreSQL refused got ${JSON.stringify(load.counts('refusing'))}`);
      t.diagnostic(`refusing: recovered ${recoveredMs} ms after connections were allowed again`);
    } finally {
      await superuser(`alter role gw connection limit -1`).catch(() => {});
      await gw.close();
    }
  });

  test('a PostgreSQL restart during a burst of admin writes loses no write acknowledged to its caller', async (t) => {
    const url = await freshDatabase();
    const gw = await startNode(url);
    try {
      const acknowledged: string[] = [];
      const statuses = new Map<number, number>();
      let n = 0;
      let running = true;
      const writer = async () => {
        while (running) {
          const reply = await gw.admin.call('POST', '/v1/consumers', { name: `burst-${++n}` }).catch(() => undefined);
          const status = reply?.status ?? 0;
          statuses.set(status, (statuses.get(status) ?? 0) + 1);
          if (status === 201) acknowledged.push(reply!.json<{ id: string }>().id);
          else if (status !== 0) assertProblem(reply!, 503, 'store.unavailable');
        }
      };
      const writers = Array.from({ length: 4 }, writer);
      await msUntil(() => acknowledged.length >= 20, 'writes before the restart');
      await cluster.restart('immediate');
      const before = acknowledged.length;
      await msUntil(() => acknowledged.length >= before + 20, 'writes after the restart');
      running = false;
      await Promise.all(writers);
      assert.equal(statuses.get(0) ?? 0, 0, 'every admin request was answered');
      const client = new pg.Client({ connectionString: url });
      await client.connect();
      const { rows } = await client.query<{ id: string }>('select id from consumers where id = any($1)', [acknowledged]);
      await client.end();
      const stored = new Set(rows.map((row) => row.id));
      assert.deepEqual(acknowledged.filter((id) => !stored.has(id)), [], 'acknowledged writes missing from the database');
      t.diagnostic(`burst: ${acknowledged.length} writes acknowledged and all stored; statuses ${JSON.stringify(Object.fromEntries(statuses))}`);
    } finally {
      await gw.close();
    }
  });

  test('two nodes (PostgreSQL + Redis) stay up through a PostgreSQL restart under load, and revocations made after it returns reach both within a second', { skip: skipWithoutRedis }, async (t) => {
    const url = await freshDatabase();
    let nodes: GatewayNodes | undefined;
    try {
      const prefix = redisTestPrefix();
      nodes = await startGatewayNodes(
        2,
        ({ port, adminPort }) => ({
          listeners: [{ name: 'public', host: '127.0.0.1', port }],
          admin: { host: '127.0.0.1', port: adminPort, token: '${env:PORTCULLIS_ADMIN_TOKEN}' },
          // Child processes start while other tests load the machine: a roomier connect timeout.
          store: { driver: 'postgres', url: '${env:PORTCULLIS_DATABASE_URL}', pollIntervalMs: 100, connectTimeoutMs: 2000, queryTimeoutMs: 2000 },
          apiKeys: { pepper: '${env:PORTCULLIS_KEY_PEPPER}' },
          redis: { url: REDIS_URL, keyPrefix: prefix, commandTimeoutMs: 1000 },
          bruteForce: { maxFailures: 100000 },
          upstreams: { backend: { targets: [upstream.url] } },
          routes: [{ name: 'accounts', methods: ['GET'], path: '/accounts', upstream: 'backend', policies: { 'auth-apikey': {}, ratelimit: { store: 'redis', limits: [{ name: 'per-key', limit: 100000, windowSeconds: 60, by: ['api_key'] }] } } }],
        }),
        { ...KEY_ENV, PORTCULLIS_DATABASE_URL: url },
      );
      const [a, b] = nodes.ports.map(({ port, adminPort }) => ({ url: `http://127.0.0.1:${port}/accounts`, admin: new AdminClient(`http://127.0.0.1:${adminPort}`, ADMIN_TOKEN) }));
      const consumer = await a!.admin.consumer('partner');
      const keys = [await a!.admin.key(consumer, []), await a!.admin.key(consumer, [])];
      const auth = (key: string) => ({ headers: { authorization: `Bearer ${key}` } });
      for (const node of [a!, b!]) await msUntil(async () => (await httpRequest(node.url, auth(keys[0]!.key))).status === 200, 'both nodes know the key');
      const loads = [a!, b!].map((node) => new SteadyLoad(async () => (await httpRequest(node.url, auth(keys[0]!.key))).status));
      loads.forEach((load) => load.phase('restart'));
      await cluster.restart('immediate');
      // The followers reconnect by themselves: a write on A shows up on B.
      const recoveredMs = await msUntil(async () => (await a!.admin.call('POST', '/v1/consumers', { name: `after-${Date.now()}` })).status === 201, 'node A writes again');
      loads.forEach((load) => load.phase('after'));
      assert.equal((await a!.admin.call('POST', `/v1/keys/${keys[0]!.id}/revoke`)).status, 200);
      const revokedMs = await Promise.all([a!, b!].map((node) => msUntil(async () => (await httpRequest(node.url, auth(keys[0]!.key))).status === 401, 'the revoked key is refused', 3000)));
      assert.ok(Math.max(...revokedMs) < 1000, `revocation reached the nodes after ${revokedMs.join(' and ')} ms`);
      await Promise.all(loads.map((load) => load.stop()));
      for (const node of nodes.nodes) assert.equal(node.child.exitCode, null, `a node exited:\n${node.output().slice(-2000)}`);
      for (const load of loads) assert.deepEqual(Object.keys(load.counts('restart')), ['200'], `clients during the restart got ${JSON.stringify(load.counts('restart'))}`);
      // The other key, never revoked, still works on both.
      for (const node of [a!, b!]) assert.equal((await httpRequest(node.url, auth(keys[1]!.key))).status, 200);
      t.diagnostic(`two nodes: admin writes again ${recoveredMs} ms after the restart; revocation reached A in ${revokedMs[0]} ms and B in ${revokedMs[1]} ms; restart load ${loads.map((load) => JSON.stringify(load.counts('restart'))).join(' / ')}`);
    } finally {
      nodes?.stop();
    }
  });
});
