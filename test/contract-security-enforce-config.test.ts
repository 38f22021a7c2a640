/**
 * `config validate` with `validate.security: enforce` (issue 24 §4): a scheme the route cannot
 * check is an error naming the route, the operation and the scheme (http basic, an apiKey in a
 * cookie or in a header auth-apikey does not read, oauth2 without auth-jwt, mutualTLS without
 * auth-mtls); every authentication policy must run with required: false; contractRoutes errors are
 * reported at the entry; the mismatch warnings are not given where the contract is enforced.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { exportJWK, generateKeyPair } from 'jose';
import { validateConfig } from '../src/config/loader.js';
import { writeContract } from './helpers/contracts.js';
import { KEY_ENV, keysConfig } from './helpers/keys.js';

const CONTRACT = `
openapi: 3.1.0
info: { title: mixed, version: '1' }
security:
  - oauth: [things:read]
paths:
  /things:
    get:
      operationId: listThings
      responses: { '200': { description: ok } }
  /basic:
    get:
      operationId: basicThing
      security:
        - basic: []
        - key: []
      responses: { '200': { description: ok } }
  /cookie:
    get:
      operationId: cookieThing
      security: [{ cookieKey: [] }]
      responses: { '200': { description: ok } }
  /query:
    get:
      operationId: queryThing
      security: [{ queryKey: [] }]
      responses: { '200': { description: ok } }
  /cert:
    get:
      operationId: certThing
      security: [{ cert: [] }]
      responses: { '200': { description: ok } }
  /nobody:
    get:
      operationId: undefinedScheme
      security: [{ ghost: [] }]
      responses: { '200': { description: ok } }
components:
  securitySchemes:
    oauth:
      type: oauth2
      flows: { clientCredentials: { tokenUrl: 'https://idp.example/token', scopes: { 'things:read': read } } }
    basic: { type: http, scheme: basic }
    key: { type: apiKey, in: header, name: X-Api-Key }
    cookieKey: { type: apiKey, in: cookie, name: session }
    queryKey: { type: apiKey, in: query, name: api_key }
    cert: { type: mutualTLS }
`;

const contract = writeContract(CONTRACT);

async function jwt(required = false) {
  const { publicKey } = await generateKeyPair('ES256');
  return { required, issuers: [{ issuer: 'https://idp.example', keys: [{ ...(await exportJWK(publicKey)), kid: 'k1', alg: 'ES256' }] }], audiences: ['things'] };
}

function issues(config: Record<string, unknown>): string[] {
  const loaded = validateConfig(config, KEY_ENV);
  return loaded.ok ? [] : loaded.issues.map((issue) => `${issue.path}: ${issue.message}`);
}

const route = (operationId: string, policies: Record<string, unknown>, name = operationId.toLowerCase()) => ({ name, methods: ['GET'], path: `/${name}`, upstream: 'backend', policies: { validate: { contract, operationId, security: 'enforce' }, ...policies } });

test('names the route, operation and scheme of every scheme the route cannot check', async () => {
  const found = issues(keysConfig('http://127.0.0.1:9', {
    routes: [
      route('listThings', { 'auth-apikey': { required: false } }),
      route('basicThing', { 'auth-apikey': { required: false, sources: [{ header: 'authorization', scheme: 'Bearer' }] } }),
      route('cookieThing', { 'auth-apikey': { required: false } }),
      route('queryThing', { 'auth-apikey': { required: false } }),
      route('certThing', { 'auth-jwt': await jwt() }),
      route('undefinedScheme', { 'auth-jwt': await jwt() }),
    ],
  }));
  assert.deepEqual(found, [
    'routes[0].policies.validate.security: route listthings: operation listThings requires scheme oauth (oauth2) needs the auth-jwt policy on this route (its issuers stand for the scheme\'s)',
    'routes[1].policies.validate.security: route basicthing: operation basicThing requires scheme basic (http basic) is a scheme the gateway cannot check: remove it from the operation\'s security, or do not enforce the contract\'s security here',
    'routes[1].policies.validate.security: route basicthing: operation basicThing requires scheme key (apiKey in header X-Api-Key) needs auth-apikey to read header X-Api-Key (sources: [{ header: X-Api-Key }])',
    'routes[2].policies.validate.security: route cookiething: operation cookieThing requires scheme cookieKey (apiKey in cookie session) cannot be checked: the gateway does not read API keys from cookies',
    'routes[3].policies.validate.security: route querything: operation queryThing requires scheme queryKey (apiKey in query api_key) needs auth-apikey queryParam: api_key',
    'routes[4].policies.validate.security: route certthing: operation certThing requires scheme cert (mutualTLS) needs the auth-mtls policy on this route',
    'routes[5].policies.validate.security: route undefinedscheme: operation undefinedScheme requires scheme ghost is not defined in components.securitySchemes',
  ]);
});

test('accepts each scheme where the route checks it where the contract says', async () => {
  const found = issues(keysConfig('http://127.0.0.1:9', {
    routes: [
      route('listThings', { 'auth-jwt': await jwt() }),
      route('queryThing', { 'auth-apikey': { required: false, queryParam: 'api_key' } }),
      route('certThing', { 'auth-mtls': { required: false, consumers: [{ consumerId: 'acme', subject: 'CN=acme' }] } }),
    ],
  }));
  assert.deepEqual(found, []);
});

test('refuses an authentication policy that is required: the contract decides which operations need it', async () => {
  const found = issues(keysConfig('http://127.0.0.1:9', { policies: { 'auth-apikey': {} }, routes: [route('listThings', { 'auth-jwt': await jwt(true) })] }));
  assert.deepEqual(found, [
    'routes[0].policies.validate.security: auth-apikey must say required: false here (with security: enforce the contract decides which operations need a credential)',
    'routes[0].policies.validate.security: auth-jwt must say required: false here (with security: enforce the contract decides which operations need a credential)',
  ]);
});

test('reports a contractRoutes entry once per operation, at the entry, and gives no mismatch warning where security is enforced', async () => {
  const entry = { contract, upstream: 'backend', policies: { validate: { security: 'enforce' }, 'auth-jwt': await jwt(), 'auth-apikey': { required: false, queryParam: 'api_key', sources: [{ header: 'X-Api-Key' }] } } };
  const found = issues(keysConfig('http://127.0.0.1:9', { routes: [], contractRoutes: [entry] }));
  assert.deepEqual(found, [
    'contractRoutes[0].policies.validate.security: route basicthing: operation basicThing requires scheme basic (http basic) is a scheme the gateway cannot check: remove it from the operation\'s security, or do not enforce the contract\'s security here',
    'contractRoutes[0].policies.validate.security: route cookiething: operation cookieThing requires scheme cookieKey (apiKey in cookie session) cannot be checked: the gateway does not read API keys from cookies',
    'contractRoutes[0].policies.validate.security: route certthing: operation certThing requires scheme cert (mutualTLS) needs the auth-mtls policy on this route',
    'contractRoutes[0].policies.validate.security: route undefinedscheme: operation undefinedScheme requires scheme ghost is not defined in components.securitySchemes',
  ]);
  const fine = validateConfig(keysConfig('http://127.0.0.1:9', { routes: [route('listThings', { 'auth-jwt': await jwt() })] }), KEY_ENV);
  assert.ok(fine.ok, fine.ok ? '' : JSON.stringify(fine.issues));
  // Without enforce, the same route gets the mismatch warning (the scope is required by nobody).
  assert.deepEqual(fine.warnings, []);
  const compared = validateConfig(keysConfig('http://127.0.0.1:9', { routes: [{ ...route('listThings', { 'auth-jwt': await jwt() }), policies: { validate: { contract, operationId: 'listThings' }, 'auth-jwt': await jwt() } }] }), KEY_ENV);
  assert.ok(compared.ok);
  assert.equal(compared.warnings.length, 1);
});

test('refuses scopes that are not RFC 6749 scope tokens (they are echoed in WWW-Authenticate)', async () => {
  const bad = writeContract(CONTRACT.replace('- oauth: [things:read]', '- oauth: [\'things "read"\']'));
  const found = issues(keysConfig('http://127.0.0.1:9', { routes: [{ name: 'r', methods: ['GET'], path: '/r', upstream: 'backend', policies: { validate: { contract: bad, operationId: 'listThings', security: 'enforce' }, 'auth-jwt': await jwt() } }] }));
  assert.deepEqual(found, ['routes[0].policies.validate.security: route r: operation listThings: scheme oauth lists "things \\"read\\"", not a scope (RFC 6749 §3.3 characters)']);
});

test('preflight counts a route that enforces its contract security as authenticated (PF-AUTH-002 is not raised), and the same route without enforce as optional', async () => {
  const { routeAuthentication } = await import('../src/config/inventory/route-authentication.js');
  const enforced = validateConfig(keysConfig('http://127.0.0.1:9', { routes: [route('listThings', { 'auth-jwt': await jwt() })] }), KEY_ENV);
  assert.ok(enforced.ok);
  assert.equal(routeAuthentication(enforced.config, enforced.config.routes[0]!), 'required');
  const compared = validateConfig(keysConfig('http://127.0.0.1:9', { routes: [{ ...route('listThings', {}), policies: { validate: { contract, operationId: 'listThings' }, 'auth-jwt': await jwt() } }] }), KEY_ENV);
  assert.ok(compared.ok);
  assert.equal(routeAuthentication(compared.config, compared.config.routes[0]!), 'optional');
});
