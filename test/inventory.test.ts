/**
 * `portcullis inventory` (issue 24 §1): the examples' inventory through the real CLI against golden
 * files (stable output: PORTCULLIS_UPDATE_GOLDEN=1 rewrites them), the gateway's OpenAPI 3.1
 * document checked by an OpenAPI validator, and the running gateway's inventory through the admin
 * API with traffic figures per route and consumer.
 */
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { test } from 'node:test';
import { Validator } from '@seriousme/openapi-schema-validator';
import { ManualClock } from '../src/core/clock.js';
import { httpRequest, startUpstream } from './helpers/index.js';
import { ADMIN_TOKEN, startKeyGateway } from './helpers/keys.js';
import { runCliAsync } from './helpers/cli.js';
import { writeContract } from './helpers/contracts.js';
import { inventoryProbeRoutes } from '../src/commands/selftest/inventory-routes.js';

const EXAMPLES = fileURLToPath(new URL('../../examples/', import.meta.url));
const GOLDEN = fileURLToPath(new URL('../../test/fixtures/inventory/', import.meta.url));
const UPDATE = process.env.PORTCULLIS_UPDATE_GOLDEN === '1';
const EXAMPLE_CONFIGS = ['demo', 'banking-to-processor', 'payroll-outbound'];

function golden(name: string, actual: string): void {
  const file = join(GOLDEN, name);
  if (UPDATE || !existsSync(file)) {
    mkdirSync(GOLDEN, { recursive: true });
    writeFileSync(file, actual);
    if (!UPDATE) assert.fail(`${name} did not exist: written; check it and commit it`);
  }
  assert.equal(actual, readFileSync(file, 'utf8'), `${name} changed: run with PORTCULLIS_UPDATE_GOLDEN=1 if the change is meant`);
}

for (const example of EXAMPLE_CONFIGS) {
  test(`examples/${example}.yaml: the inventory (JSON, table, CSV) and the gateway's OpenAPI document are as in the golden files`, async () => {
    const config = join(EXAMPLES, `${example}.yaml`);
    for (const [format, extension] of [['json', 'json'], ['table', 'txt'], ['csv', 'csv'], ['openapi', 'openapi.json']] as const) {
      const run = await runCliAsync(['inventory', '--config', config, '--format', format]);
      assert.equal(run.status, 0, run.stderr);
      golden(`${example}.${extension}`, run.stdout);
    }
    const openapi = JSON.parse((await runCliAsync(['inventory', '--config', config, '--format', 'openapi', '--server-url', 'https://api.example.com'])).stdout) as Record<string, unknown>;
    const result = await new Validator().validate(openapi);
    assert.deepEqual(result.errors ?? [], [], `the gateway's document is not valid OpenAPI 3.1`);
    assert.equal(result.valid, true);
    assert.deepEqual(openapi.servers, [{ url: 'https://api.example.com' }]);
  });
}

test("the demo's gateway document has only routed operations, at gateway paths, with the API key schemes and the route's scopes", async () => {
  const run = await runCliAsync(['inventory', '--config', join(EXAMPLES, 'demo.yaml'), '--format', 'openapi']);
  const document = JSON.parse(run.stdout) as { paths: Record<string, Record<string, { security: unknown; 'x-portcullis-route': string }>>; components: { securitySchemes: Record<string, unknown> } };
  // The contract's /accounts is /v1/accounts through the gateway (validate.pathPrefix /v1).
  assert.deepEqual(Object.keys(document.paths), ['/v1/accounts', '/v1/accounts/{accountId}', '/v1/payments', '/v1/payments/{paymentId}']);
  assert.equal(document.paths['/v1/payments']!.post!['x-portcullis-route'], 'create-payment');
  assert.deepEqual(document.paths['/v1/payments']!.post!.security, [{ apiKeyBearer: ['payments:write'] }, { 'apiKey-x-api-key': ['payments:write'] }]);
  assert.deepEqual(document.components.securitySchemes['apiKey-x-api-key'], { type: 'apiKey', in: 'header', name: 'x-api-key', description: 'An API key issued by the gateway (`portcullis keys create`).' });
});

test('a contract operation no route serves is not in the gateway document; a deprecated route is deprecated there, a sunset one is gone', async () => {
  const contract = writeContract();
  const dir = mkdtempSync(join(tmpdir(), 'portcullis-inventory-'));
  const file = join(dir, 'portcullis.yaml');
  writeFileSync(
    file,
    [
      'listeners: [{ name: public, host: 127.0.0.1, port: 0 }]',
      'upstreams: { payments: { targets: ["https://payments.internal:8443/api"] } }',
      'routes:',
      `  - { name: old, methods: [GET], path: /v0/accounts/:id/payments, upstream: payments, deprecated: "2020-01-01", sunset: "2020-06-01", policies: { validate: { contract: ${JSON.stringify(contract)}, operationId: listPayments } } }`,
      `  - { name: get, methods: [GET], path: /v1/accounts/:acct/payments, upstream: payments, owner: team-pay, deprecated: "2021-01-01", policies: { auth-mtls: {}, validate: { contract: ${JSON.stringify(contract)}, operationId: listPayments } } }`,
    ].join('\n'),
  );
  const run = await runCliAsync(['inventory', '--config', file, '--format', 'openapi']);
  assert.equal(run.status, 0, run.stderr);
  const document = JSON.parse(run.stdout) as { paths: Record<string, Record<string, Record<string, unknown>>> };
  assert.deepEqual(Object.keys(document.paths), ['/v1/accounts/{accountId}/payments']);
  assert.equal(document.paths['/v1/accounts/{accountId}/payments']!.get!.deprecated, true);
  assert.deepEqual(document.paths['/v1/accounts/{accountId}/payments']!.get!.security, [{ mutualTLS: [] }]);
  assert.equal((await new Validator().validate(document)).valid, true);
  const json = JSON.parse((await runCliAsync(['inventory', '--config', file, '--format', 'json'])).stdout) as { routes: Array<Record<string, unknown>> };
  assert.deepEqual(json.routes.map((route) => [route.name, (route.lifecycle as { state: string }).state, route.egress, route.traffic]), [
    ['old', 'sunset', ['https://payments.internal:8443'], null],
    ['get', 'deprecated', ['https://payments.internal:8443'], null],
  ]);
});

test('the running gateway: GET /v1/inventory and `portcullis inventory` show every route with its traffic per route and consumer', async () => {
  const clock = new ManualClock(Date.UTC(2026, 5, 1, 12));
  const upstream = await startUpstream();
  const path = join(mkdtempSync(join(tmpdir(), 'portcullis-inventory-')), 'store.db');
  const extra = {
    routes: [
      { name: 'accounts', methods: ['GET'], path: '/v1/accounts', upstream: 'backend', owner: 'team-accounts', tags: ['pii'], version: 'v1', policies: { 'auth-apikey': {}, authorize: { scopes: ['accounts:read'] }, ratelimit: { limits: [{ name: 'per-consumer', limit: 100, windowSeconds: 60 }] } } },
      { name: 'status', methods: ['GET'], path: '/status', upstream: 'backend', public: true, publicReason: 'a status page' },
    ],
  };
  const first = await startKeyGateway(upstream.url, extra, { clock, store: { path, pollIntervalMs: 100 } });
  let acme = '';
  try {
    acme = await first.admin.consumer('acme');
    const { key } = await first.admin.key(acme, ['accounts:read']);
    for (let i = 0; i < 3; i++) assert.equal((await httpRequest(`${first.url}/v1/accounts`, { headers: { 'x-api-key': key } })).status, 200);
    assert.equal((await httpRequest(`${first.url}/status`)).status, 200);
  } finally {
    await first.close();
  }
  const again = await startKeyGateway(upstream.url, extra, { clock, store: { path, pollIntervalMs: 100 } });
  try {
    const reply = await again.admin.call('GET', '/v1/inventory');
    assert.equal(reply.status, 200, reply.text);
    const routes = reply.json<{ routes: Array<Record<string, unknown>> }>().routes;
    assert.deepEqual(routes[0], {
      name: 'accounts',
      methods: ['GET'],
      host: null,
      path: '/v1/accounts',
      upstream: 'backend',
      egress: [new URL(upstream.url).origin],
      contract: null,
      operations: [],
      wholeContract: false,
      version: 'v1',
      owner: 'team-accounts',
      tags: ['pii'],
      authentication: ['apiKey'],
      authenticationRequirement: 'required',
      public: false,
      scopes: ['accounts:read'],
      methodScopes: {},
      contractSecurity: null,
      rateLimits: [{ name: 'per-consumer', limit: 100, windowSeconds: 60 }],
      validation: { enabled: false },
      fieldMinimisation: { response: 'off', request: 'off' },
      lifecycle: { state: 'active', deprecated: null, sunset: null, successor: null },
      traffic: { last24h: { requests: 3, errors: 0, consumers: 1 }, last30d: { requests: 3, errors: 0, consumers: 1 } },
    });
    assert.deepEqual(routes[1]!.traffic, { last24h: { requests: 1, errors: 0, consumers: 0 }, last30d: { requests: 1, errors: 0, consumers: 0 } });
    const byConsumer = await again.admin.call('GET', `/v1/consumers/${acme}/traffic`);
    assert.equal(byConsumer.status, 200, byConsumer.text);
    assert.deepEqual(byConsumer.json(), { routes: [{ route: 'accounts', last24h: { requests: 3, errors: 0 }, last30d: { requests: 3, errors: 0 }, lastSeen: new Date(clock.now()).toISOString() }] });
    const unknown = await again.admin.call('GET', '/v1/consumers/con_unknown/traffic');
    assert.deepEqual([unknown.status, unknown.json<{ code: string }>().code], [404, 'admin.not_found']);
    const env = { PORTCULLIS_ADMIN_URL: again.gateway.adminUrl, PORTCULLIS_ADMIN_TOKEN: ADMIN_TOKEN };
    const table = await runCliAsync(['inventory'], env);
    assert.equal(table.status, 0, table.stderr);
    assert.match(table.stdout, /^accounts\s+GET\s+\/v1\/accounts\s+backend\s+-\s+v1\s+team-accounts\s+apiKey\s+accounts:read\s+active\s+3\s+1$/m);
    assert.match(table.stdout, /^status\s+GET\s+\/status\s+backend\s+-\s+-\s+-\s+public\s+-\s+active\s+1\s+0$/m);
    const csv = await runCliAsync(['inventory', '--format', 'csv'], env);
    assert.equal(csv.stdout.split('\r\n')[1], 'accounts,GET,,/v1/accounts,backend,' + new URL(upstream.url).origin + ',,,false,v1,team-accounts,pii,apiKey,required,false,accounts:read,,per-consumer=100/60s,off,off,off,active,,,,3,0,1,3,0,1');
    const openapi = await runCliAsync(['inventory', '--format', 'openapi'], env);
    assert.equal(openapi.status, 0, openapi.stderr);
    assert.deepEqual(JSON.parse(openapi.stdout).paths, {}, 'no route has a contract: nothing to describe');
  } finally {
    await again.close();
    await upstream.close();
  }
});

test('a route whose every credential is optional says so everywhere: anonymous requests pass, and the inventory, its table and the gateway document do not call it protected', async () => {
  const upstream = await startUpstream();
  const contract = writeContract();
  const validate = { contract, operationId: 'listPayments' };
  const extra = {
    routes: [
      { name: 'optional', methods: ['GET'], path: '/v1/accounts/:acct/payments', upstream: 'backend', policies: { 'auth-apikey': { required: false }, validate } },
      { name: 'guarded', methods: ['GET'], path: '/v2/accounts/:acct/payments', upstream: 'backend', policies: { 'auth-apikey': { required: false }, authorize: { scopes: [] }, validate } },
    ],
  };
  const gw = await startKeyGateway(upstream.url, extra);
  try {
    assert.equal((await httpRequest(`${gw.url}/v1/accounts/7/payments`)).status, 200, 'no credential, and the upstream answers');
    assert.equal((await httpRequest(`${gw.url}/v2/accounts/7/payments`)).status, 401, 'authorize refuses a request without a principal');
    const routes = (await gw.admin.call('GET', '/v1/inventory')).json<{ routes: Array<{ name: string; authentication: string[]; authenticationRequirement: string }> }>().routes;
    assert.deepEqual(routes.map((route) => [route.name, route.authentication, route.authenticationRequirement]), [
      ['optional', ['apiKey'], 'optional'],
      ['guarded', ['apiKey'], 'required'],
    ]);
    // selftest without --config reads the same list, and so knows which route answers anonymous callers.
    const probed = await inventoryProbeRoutes({ url: new URL(gw.gateway.adminUrl), token: ADMIN_TOKEN, timeoutMs: 10_000 });
    assert.deepEqual(probed.map((route) => [route.name, route.authentication]), [['optional', 'optional'], ['guarded', 'required']]);
    const env = { PORTCULLIS_ADMIN_URL: gw.gateway.adminUrl, PORTCULLIS_ADMIN_TOKEN: ADMIN_TOKEN };
    const table = (await runCliAsync(['inventory'], env)).stdout;
    assert.match(table, /^optional\s+GET\s+\S+\s+backend\s+\S+ listPayments\s+-\s+-\s+apiKey \(optional\)\s/m);
    assert.match(table, /^guarded\s+GET\s+\S+\s+backend\s+\S+ listPayments\s+-\s+-\s+apiKey\s+-\s/m);
    const document = JSON.parse((await runCliAsync(['inventory', '--format', 'openapi'], env)).stdout) as { paths: Record<string, { get: { security: unknown[] } }> };
    assert.deepEqual(document.paths['/v1/accounts/{accountId}/payments']!.get.security, [{ apiKeyBearer: [] }, { 'apiKey-x-api-key': [] }, {}], 'optional: {} last');
    assert.deepEqual(document.paths['/v2/accounts/{accountId}/payments']!.get.security, [{ apiKeyBearer: [] }, { 'apiKey-x-api-key': [] }]);
    assert.equal((await new Validator().validate(document)).valid, true);
  } finally {
    await gw.close();
    await upstream.close();
  }
});

test('shadow and zombie APIs: a catch-all route with a contract counts requests no operation matched by template (never the raw path); --deprecated --by-consumer names who still calls', async () => {
  const clock = new ManualClock(Date.UTC(2026, 5, 1, 12));
  const upstream = await startUpstream();
  const contract = writeContract();
  const path = join(mkdtempSync(join(tmpdir(), 'portcullis-shadow-')), 'store.db');
  const extra = {
    routes: [
      { name: 'payments-v1', methods: ['GET', 'POST'], path: '/v1/*', upstream: 'backend', deprecated: '2026-05-01', policies: { 'auth-apikey': {}, validate: { contract, pathPrefix: '/v1' } } },
      { name: 'legacy', methods: ['GET'], path: '/legacy/*', upstream: 'backend', policies: { 'auth-apikey': {} } },
    ],
  };
  const first = await startKeyGateway(upstream.url, extra, { clock, store: { path, pollIntervalMs: 100 } });
  let acme = '';
  try {
    acme = await first.admin.consumer('acme');
    const { key } = await first.admin.key(acme, []);
    const call = (target: string) => httpRequest(`${first.url}${target}`, { headers: { 'x-api-key': key } });
    assert.equal((await call('/v1/accounts/7/payments')).status, 200);
    for (let i = 0; i < 2; i++) assert.equal((await call('/v1/accounts/7/transfers/jane.doe@example.com')).status, 404);
    assert.equal((await call('/v1/hidden-admin')).status, 404);
  } finally {
    await first.close();
  }
  const again = await startKeyGateway(upstream.url, extra, { clock, store: { path, pollIntervalMs: 100 } });
  try {
    const reply = await again.admin.call('GET', '/v1/inventory/shadow');
    assert.equal(reply.status, 200, reply.text);
    const shadow = reply.json<{ uncontracted: unknown[]; unrouted: Array<Record<string, unknown>>; unmatched: Array<Record<string, unknown>> }>();
    assert.deepEqual(shadow.uncontracted, [{ route: 'legacy', methods: ['GET'], path: '/legacy/*' }]);
    assert.deepEqual(shadow.unrouted.map((row) => row.operation), ['uploadStatement'], 'the PUT operation: the route serves GET and POST only');
    assert.deepEqual(shadow.unmatched.map(({ route, method, template, count }) => ({ route, method, template, count })), [
      { route: 'payments-v1', method: 'GET', template: '/v1/accounts/{param}/{param}/{param}', count: 2 },
      { route: 'payments-v1', method: 'GET', template: '/v1/{param}', count: 1 },
    ]);
    assert.ok(!reply.text.includes('jane') && !reply.text.includes('hidden'), 'what the client wrote in the path is never stored');
    const env = { PORTCULLIS_ADMIN_URL: again.gateway.adminUrl, PORTCULLIS_ADMIN_TOKEN: ADMIN_TOKEN };
    const consumers = await runCliAsync(['inventory', '--deprecated', '--by-consumer'], env);
    assert.equal(consumers.status, 0, consumers.stderr);
    const acmeId = (await again.admin.call('GET', '/v1/consumers')).json<{ items: Array<{ id: string; name: string }> }>().items.find((c) => c.name === 'acme')!.id;
    assert.match(consumers.stdout, new RegExp(`^payments-v1\\s+deprecated\\s+-\\s+${acmeId}\\s+4\\s+2026-06-01T12:00:00.000Z$`, 'm'));
    const text = await runCliAsync(['inventory', '--shadow'], env);
    assert.match(text.stdout, /Routes without a contract:\nROUTE\s+METHODS\s+PATH\nlegacy\s+GET\s+\/legacy\/\*/);
  } finally {
    await again.close();
    await upstream.close();
  }
});
