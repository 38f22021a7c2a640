/**
 * Two gateway nodes on one host and one PostgreSQL schema (issue 21): each node alerts under its
 * own identity, `<host>:<admin port>`, not the host name they share, so the notifications of a
 * condition both see name two nodes; and the store-wide key_age findings (API keys past the age
 * policy, the same on every node) are reported by the node that delivers only: one notification,
 * not one per node. Real processes (`portcullis start`), a real signed-webhook receiver; the keys
 * are aged in the store before the nodes start (they load them at start); every wait polls.
 */
import assert from 'node:assert/strict';
import { hostname } from 'node:os';
import { test } from 'node:test';
import pg from 'pg';
import { ALERT_SECRET, startAlertReceiver } from './helpers/alert-receiver.js';
import { startGatewayNodes, type GatewayNodes } from './helpers/cli.js';
import { freePort, httpRequest } from './helpers/index.js';
import { AdminClient, KEY_ENV } from './helpers/keys.js';
import { msUntil } from './helpers/multinode.js';
import { createPostgresSchema, POSTGRES_URL, skipWithoutPostgres } from './helpers/services.js';

const DEADLINE_MS = 30_000;
const DAY = 86_400_000;

test('two nodes on one host alert as two nodes (<host>:<admin port>), and aged API keys are reported once, by the node that delivers', { skip: skipWithoutPostgres }, async (t) => {
  const { schema, drop } = await createPostgresSchema();
  const receiver = await startAlertReceiver();
  const db = new pg.Client({ connectionString: POSTGRES_URL });
  await db.connect();
  const running: GatewayNodes[] = [];
  t.after(async () => {
    for (const gateways of running) gateways.stop();
    await db.end();
    await receiver.close();
    await drop();
  });
  const url = new URL(POSTGRES_URL);
  url.searchParams.set('options', `-c search_path=${schema}`);
  // Nothing listens there: every request fails, and upstream_down fires on each node that sees it.
  const deadUpstream = `http://127.0.0.1:${await freePort()}`;
  const config = ({ port, adminPort }: { port: number; adminPort: number }) => ({
    listeners: [{ name: 'public', host: '127.0.0.1', port }],
    admin: { host: '127.0.0.1', port: adminPort, token: '${env:PORTCULLIS_ADMIN_TOKEN}' },
    store: { driver: 'postgres', url: '${env:PORTCULLIS_DATABASE_URL}', pollIntervalMs: 250 },
    apiKeys: { pepper: '${env:PORTCULLIS_KEY_PEPPER}', maxAgeDays: 30, warnAgeDays: 20 },
    upstreams: { core: { targets: [deadUpstream] } },
    routes: [{ name: 'accounts', methods: ['GET'], path: '/accounts', upstream: 'core', public: true, publicReason: 'test of alert node identity' }],
    alerts: {
      evaluationIntervalSeconds: 1,
      groupWaitSeconds: 0,
      groupIntervalSeconds: 1,
      rules: { upstream_down: { forSeconds: 0 }, key_age: { forSeconds: 0 } },
      sinks: { ops: { type: 'webhook', url: receiver.url, secret: '${env:ALERT_SECRET}' } },
    },
  });
  const env = { ...KEY_ENV, PORTCULLIS_DATABASE_URL: url.toString(), ALERT_SECRET };

  // A key issued 40 days ago (its creation moved back in the store) under today's 30-day policy.
  const issuing = await startGatewayNodes(1, config, env);
  running.push(issuing);
  const admin = new AdminClient(`http://127.0.0.1:${issuing.ports[0]!.adminPort}`);
  const consumer = await admin.consumer('partner');
  const { id } = await admin.key(consumer, []);
  issuing.nodes[0]!.child.kill('SIGTERM');
  assert.equal(await issuing.nodes[0]!.exited, 0);
  await db.query(`update ${schema}.api_keys set created_at = $1, expires_at = null where id = $2`, [Date.now() - 40 * DAY, id]);

  const gateways = await startGatewayNodes(2, config, env);
  running.push(gateways);
  const { ports } = gateways;
  const identities = ports.map(({ adminPort }) => `${hostname()}:${adminPort}`);
  for (const { port } of ports) for (let i = 0; i < 3; i++) assert.ok((await httpRequest(`http://127.0.0.1:${port}/accounts`)).status >= 500);

  const nodesOf = (rule: string) => new Set(receiver.about(rule).map((notification) => notification.data.alerts.find((alert) => alert.labels.alertname === rule)!.labels.node));
  assert.ok((await msUntil(async () => nodesOf('upstream_down').size === 2, DEADLINE_MS)) >= 0, `upstream_down from both nodes (from ${[...nodesOf('upstream_down')].join(', ')})`);
  assert.deepEqual([...nodesOf('upstream_down')].sort(), [...identities].sort(), 'each node under its own identity');
  assert.deepEqual(new Set(receiver.about('upstream_down').map((notification) => notification.data.node)), new Set(identities), 'each notification names the node it comes from');

  assert.ok((await msUntil(async () => receiver.about('key_age').length > 0, DEADLINE_MS)) >= 0, 'key_age is delivered');
  // Several more rounds on both nodes, then still one key_age notification.
  const evaluations = async (adminPort: number) => Number(/^portcullis_alert_evaluations_total\{outcome="ok"\} (\d+)$/m.exec((await httpRequest(`http://127.0.0.1:${adminPort}/metrics`)).text)?.[1] ?? 0);
  const seen = await Promise.all(ports.map(({ adminPort }) => evaluations(adminPort)));
  assert.ok((await msUntil(async () => (await Promise.all(ports.map(({ adminPort }) => evaluations(adminPort)))).every((count, i) => count >= seen[i]! + 3), DEADLINE_MS)) >= 0);
  const queued = async () => Number((await db.query<{ n: string }>(`select count(*) as n from ${schema}.alert_notifications`)).rows[0]!.n);
  assert.ok((await msUntil(async () => (await queued()) === 0, DEADLINE_MS)) >= 0, 'nothing left to deliver');
  const keyAge = receiver.about('key_age');
  assert.equal(keyAge.length, 1, `one key_age notification (from ${[...nodesOf('key_age')].join(', ')})`);
  assert.equal(keyAge[0]!.data.alerts[0]!.labels.consumer, consumer);
  assert.ok(identities.includes(keyAge[0]!.data.node));
  for (const node of gateways.nodes) node.child.kill('SIGTERM');
  assert.deepEqual(await Promise.all(gateways.nodes.map((node) => node.exited)), [0, 0]);
});
