/**
 * Two gateway nodes on one PostgreSQL schema (issue 21 §4): every node evaluates its own rules and
 * queues into the shared store, and only the node holding the delivery lease sends. One alert
 * condition is delivered exactly once; when the leasing node stops, the other takes the lease and
 * delivers the next notification. Real processes (`portcullis start`), a real receiver that checks
 * the Standard Webhooks signature; every wait is on a condition with a deadline.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import pg from 'pg';
import { startSampleUpstream } from '../src/demo/sample-upstream.js';
import { ALERT_SECRET, startAlertReceiver } from './helpers/alert-receiver.js';
import { startGatewayNodes, type GatewayNodes } from './helpers/cli.js';
import { httpRequest } from './helpers/index.js';
import { KEY_ENV } from './helpers/keys.js';
import { msUntil } from './helpers/multinode.js';
import { createPostgresSchema, POSTGRES_URL, skipWithoutPostgres } from './helpers/services.js';

const DEADLINE_MS = 30_000;
const UPSTREAM_TOKEN = 'two-nodes-upstream-token';

test('two nodes on PostgreSQL: one alert condition is delivered once, by the lease holder; when it stops the other takes over and delivers the next', { skip: skipWithoutPostgres }, async (t) => {
  const { schema, drop } = await createPostgresSchema();
  const upstream = await startSampleUpstream({ token: UPSTREAM_TOKEN });
  const receiver = await startAlertReceiver();
  const db = new pg.Client({ connectionString: POSTGRES_URL });
  await db.connect();
  let gateways: GatewayNodes | undefined;
  t.after(async () => {
    gateways?.stop();
    await db.end();
    await receiver.close();
    await upstream.close();
    await drop();
  });
  const url = new URL(POSTGRES_URL);
  url.searchParams.set('options', `-c search_path=${schema}`);
  gateways = await startGatewayNodes(
    2,
    ({ port, adminPort }) => ({
      listeners: [{ name: 'public', host: '127.0.0.1', port }],
      admin: { host: '127.0.0.1', port: adminPort, token: '${env:PORTCULLIS_ADMIN_TOKEN}' },
      store: { driver: 'postgres', url: '${env:PORTCULLIS_DATABASE_URL}', pollIntervalMs: 250 },
      apiKeys: { pepper: '${env:PORTCULLIS_KEY_PEPPER}' },
      upstreams: { core: { targets: [upstream.url], auth: { type: 'bearer', token: '${env:UPSTREAM_TOKEN}' } } },
      routes: [{ name: 'accounts', methods: ['GET'], path: '/accounts', upstream: 'core', public: true, publicReason: 'test of alert delivery' }],
      alerts: {
        evaluationIntervalSeconds: 1,
        groupWaitSeconds: 0,
        groupIntervalSeconds: 1,
        rules: { upstream_down: { forSeconds: 0 } },
        sinks: { ops: { type: 'webhook', url: receiver.url, secret: '${env:ALERT_SECRET}' } },
      },
    }),
    { ...KEY_ENV, PORTCULLIS_DATABASE_URL: url.toString(), ALERT_SECRET, UPSTREAM_TOKEN },
  );
  const { nodes, ports } = gateways;

  // The lease's owner is `<node>:<pid>:<random>` (the node `<host>:<admin port>`): the node whose process holds it.
  const leaseOwner = async () => (await db.query<{ owner: string | null; lease_until: string | null }>(`select owner, lease_until from ${schema}.alert_delivery_lease where name = 'delivery'`)).rows[0]?.owner ?? null;
  const holder = async () => {
    const owner = await leaseOwner();
    return nodes.findIndex((node) => owner?.split(':').at(-2) === String(node.child.pid));
  };
  assert.ok((await msUntil(async () => (await holder()) >= 0, DEADLINE_MS)) >= 0, `a node takes the delivery lease (owner ${await leaseOwner()})`);
  const leader = await holder();
  const other = 1 - leader;
  const delivered = async (node: number) => {
    const metrics = (await httpRequest(`http://127.0.0.1:${ports[node]!.adminPort}/metrics`)).text;
    return Number(/^portcullis_alert_notifications_total\{sink="ops",outcome="delivered"\} (\d+)$/m.exec(metrics)?.[1] ?? 0);
  };
  const queued = async () => Number((await db.query<{ n: string }>(`select count(*) as n from ${schema}.alert_notifications`)).rows[0]!.n);

  // The condition on the node that does not hold the lease: its upstream fails there.
  assert.equal((await httpRequest(`http://127.0.0.1:${ports[other]!.port}/accounts`)).status, 200);
  await upstream.stop();
  for (let i = 0; i < 3; i++) assert.equal((await httpRequest(`http://127.0.0.1:${ports[other]!.port}/accounts`)).status, 502);
  assert.ok((await msUntil(async () => receiver.about('upstream_down').length > 0, DEADLINE_MS)) >= 0, 'upstream_down is delivered');
  // Delivered by the lease holder, and by it only: the queue is empty, the holder counted one
  // delivery and the other node none, after the other node ran further rounds.
  assert.ok((await msUntil(async () => (await queued()) === 0 && (await delivered(leader)) === 1, DEADLINE_MS)) >= 0);
  const evaluations = async (node: number) => Number(/^portcullis_alert_evaluations_total\{outcome="ok"\} (\d+)$/m.exec((await httpRequest(`http://127.0.0.1:${ports[node]!.adminPort}/metrics`)).text)?.[1] ?? 0);
  const seen = await evaluations(other);
  assert.ok((await msUntil(async () => (await evaluations(other)) >= seen + 2, DEADLINE_MS)) >= 0);
  assert.equal(await delivered(other), 0, 'the node without the lease sends nothing');
  const firing = receiver.about('upstream_down');
  assert.equal(firing.length, 1, 'exactly one notification');
  assert.equal(firing[0]!.data.status, 'firing');
  assert.equal(firing[0]!.data.alerts[0]!.labels.upstream, 'core');

  // The leasing node stops (SIGTERM: it releases the lease); the other takes it and delivers the resolve.
  nodes[leader]!.child.kill('SIGTERM');
  assert.equal(await nodes[leader]!.exited, 0);
  await upstream.start();
  assert.equal((await httpRequest(`http://127.0.0.1:${ports[other]!.port}/accounts`)).status, 200);
  assert.ok((await msUntil(async () => receiver.about('upstream_down').length === 2, DEADLINE_MS)) >= 0, 'the resolve is delivered');
  assert.equal(receiver.about('upstream_down')[1]!.data.status, 'resolved');
  assert.equal(await holder(), other, 'the surviving node holds the lease');
  assert.equal(await delivered(other), 1);
  assert.equal(receiver.about('upstream_down').length, 2);
});
