/**
 * The contract's security requirements are not silently ignored (issue #12 §3): a route that
 * validates against an operation requiring security, without an authentication policy, gets a
 * warning from `config validate`, from `start`, and in the loader's result.
 */
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { test } from 'node:test';
import { validateConfig } from '../src/config/loader.js';
import { runCli, spawnCli } from './helpers/cli.js';
import { writeContract } from './helpers/contracts.js';
import { baseConfig } from './helpers/index.js';
import { KEY_ENV, keysConfig } from './helpers/keys.js';

const CONTRACT = `
openapi: 3.0.3
info: { title: secured, version: '1' }
security:
  - bearer: []
paths:
  /payments:
    post:
      operationId: createPayment
      responses: { '201': { description: created } }
    get:
      operationId: listPayments
      security:
        - {}
        - bearer: []
      responses: { '200': { description: optional credential } }
  /health:
    get:
      operationId: health
      security: []
      responses: { '204': { description: public } }
  /keys:
    get:
      operationId: listKeys
      security:
        - apiKey: []
          bearer: []
      responses: { '200': { description: both } }
components:
  securitySchemes:
    bearer: { type: http, scheme: bearer }
    apiKey: { type: apiKey, in: header, name: X-Api-Key }
`;

const contract = writeContract(CONTRACT);
const route = (name: string, path: string, methods: string[], validate: Record<string, unknown>, policies: Record<string, unknown> = {}) => ({ name, methods, path, upstream: 'backend', policies: { validate: { contract, ...validate }, ...policies } });

function warnings(config: Record<string, unknown>, env: NodeJS.ProcessEnv = {}): Array<[string, string]> {
  const loaded = validateConfig(config, env);
  assert.ok(loaded.ok, loaded.ok ? '' : JSON.stringify(loaded.issues));
  return loaded.warnings.map((w) => [w.path, w.message]);
}

test('warns when a route validates an operation that requires security and no authentication policy runs', () => {
  const found = warnings(baseConfig(['http://127.0.0.1:9'], {
    routes: [
      route('create', '/payments', ['POST'], { operationId: 'createPayment' }),
      route('list', '/list', ['GET'], { operationId: 'listPayments' }),
      route('health', '/health', ['GET'], { operation: 'GET /health' }),
      route('keys', '/keys', ['GET'], { operationId: 'listKeys' }),
      route('whole', '/*', ['GET', 'POST'], {}),
    ],
  }));
  assert.deepEqual(found.map(([path]) => path), ['routes[0]', 'routes[3]', 'routes[4]']);
  assert.match(found[0]![1], /operation createPayment requires security \(bearer\), but no authentication policy \(auth-apikey, auth-jwt, auth-mtls\) runs here/);
  assert.match(found[1]![1], /operation listKeys requires security \(apiKey, bearer\)/);
  // The whole document bound to a route: every secured operation it serves, once.
  assert.match(found[2]![1], /2 operations \(createPayment, listKeys\) require security/);
});

test('no warning where an authentication policy runs, on the route or globally, or where validation is off', () => {
  const upstream = 'http://127.0.0.1:9';
  assert.deepEqual(warnings(keysConfig(upstream, { routes: [route('create', '/payments', ['POST'], { operationId: 'createPayment' }, { 'auth-apikey': {} })] }), KEY_ENV), []);
  assert.deepEqual(warnings(keysConfig(upstream, { policies: { 'auth-apikey': {} }, routes: [route('create', '/payments', ['POST'], { operationId: 'createPayment' })] }), KEY_ENV), []);
  assert.deepEqual(warnings(baseConfig([upstream], { routes: [route('create', '/payments', ['POST'], { operationId: 'createPayment', enabled: false })] })), []);
  // A route that turns a global authentication policy off is warned about again.
  assert.deepEqual(warnings(keysConfig(upstream, { policies: { 'auth-apikey': {} }, routes: [route('create', '/payments', ['POST'], { operationId: 'createPayment' }, { 'auth-apikey': { enabled: false } })] }), KEY_ENV).map(([path]) => path), ['routes[0]']);
});

test('routes generated from a contract are warned about once, at their contractRoutes entry', () => {
  const config = baseConfig(['http://127.0.0.1:9'], { contractRoutes: [{ contract, upstream: 'backend', namePrefix: 'pay-' }] });
  delete config.routes;
  const found = warnings(config);
  assert.deepEqual(found.map(([path]) => path), ['contractRoutes[0]']);
  assert.match(found[0]![1], /2 operations \(createPayment, listKeys\) require security/);
});

test('config validate prints the warning and still says valid (exit 0); --json lists it', () => {
  const file = join(dirname(contract), 'portcullis.json');
  writeFileSync(file, JSON.stringify(baseConfig(['http://127.0.0.1:9'], { routes: [route('create', '/payments', ['POST'], { operationId: 'createPayment' })] })));
  const plain = runCli(['config', 'validate', file]);
  assert.equal(plain.status, 0, plain.stderr);
  assert.match(plain.stderr, /^warning: routes\[0\]: the contract says operation createPayment requires security \(bearer\)/m);
  assert.match(plain.stdout, /is valid: 1 routes, 1 upstreams \(1 warning\)/);
  const json = runCli(['config', 'validate', '--json', file]);
  assert.equal(json.status, 0);
  assert.deepEqual((JSON.parse(json.stdout) as { warnings: Array<{ path: string }> }).warnings.map((w) => w.path), ['routes[0]']);
});

test('start prints the warning and starts', async () => {
  const file = join(dirname(contract), 'start.json');
  writeFileSync(file, JSON.stringify(baseConfig(['http://127.0.0.1:9'], { routes: [route('create', '/payments', ['POST'], { operationId: 'createPayment' })] })));
  const cli = spawnCli(['start', '--config', file]);
  try {
    assert.match(await cli.waitForLine(/warning/), /^portcullis: warning: routes\[0\]: the contract says operation createPayment requires security/);
    await cli.waitForLine(/gateway\.started|listening/);
  } finally {
    cli.child.kill('SIGTERM');
    await cli.exited;
  }
});
