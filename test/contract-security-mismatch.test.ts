/**
 * `config validate` names a route whose authentication does not meet the contract's security
 * (issue 24 §4): per operation, the alternatives of `security` are OR and the schemes within one
 * requirement AND; oauth2 scopes must be required by authorize or auth-jwt on the method;
 * `security: []` and an optional `{}` need nothing.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { exportJWK, generateKeyPair } from 'jose';
import { validateConfig } from '../src/config/loader.js';
import { writeContract } from './helpers/contracts.js';
import { KEY_ENV, keysConfig } from './helpers/keys.js';

const CONTRACT = `
openapi: 3.1.0
info: { title: payments, version: '1' }
security:
  - oauth: [payments:read]
paths:
  /payments:
    get:
      operationId: listPayments
      responses: { '200': { description: the document's security } }
    post:
      operationId: createPayment
      security:
        - oauth: [payments:write]
      responses: { '201': { description: created } }
  /payments/{id}/refund:
    post:
      operationId: refundPayment
      security:
        - key: []
          partnerCert: []
        - oauth: [payments:refund]
      parameters: [{ name: id, in: path, required: true, schema: { type: string } }]
      responses: { '202': { description: accepted } }
  /status:
    get:
      operationId: status
      security: []
      responses: { '204': { description: public } }
components:
  securitySchemes:
    oauth:
      type: oauth2
      flows: { clientCredentials: { tokenUrl: 'https://idp.example/token', scopes: { 'payments:read': read, 'payments:write': write, 'payments:refund': refund } } }
    key: { type: apiKey, in: header, name: X-Api-Key }
    partnerCert: { type: mutualTLS }
`;

const contract = writeContract(CONTRACT);
const upstream = 'http://127.0.0.1:9';

async function jwtPolicy(scopes: string[] = []) {
  const { publicKey } = await generateKeyPair('ES256');
  return { issuers: [{ issuer: 'https://idp.example', keys: [{ ...(await exportJWK(publicKey)), kid: 'k1', alg: 'ES256' }] }], audiences: ['payments'], scopes };
}

const route = (name: string, path: string, methods: string[], operationId: string, policies: Record<string, unknown>) => ({ name, methods, path, upstream: 'backend', policies: { validate: { contract, operationId }, ...policies } });

function warnings(config: Record<string, unknown>): Array<[string, string]> {
  const loaded = validateConfig(config, KEY_ENV);
  assert.ok(loaded.ok, loaded.ok ? '' : JSON.stringify(loaded.issues));
  return loaded.warnings.map((w) => [w.path, w.message]);
}

test('a write operation requiring an oauth2 scope, served with a JWT but without that scope, is named with its route path', async () => {
  const found = warnings(keysConfig(upstream, {
    routes: [
      route('create', '/payments', ['POST'], 'createPayment', { 'auth-jwt': await jwtPolicy() }),
      route('create-scoped', '/payments2', ['POST'], 'createPayment', { 'auth-jwt': await jwtPolicy(), authorize: { methods: { POST: ['payments:write'] } } }),
      route('list', '/payments', ['GET'], 'listPayments', { 'auth-jwt': await jwtPolicy(['payments:read']) }),
      route('create-key', '/payments3', ['POST'], 'createPayment', { 'auth-apikey': {}, authorize: { scopes: ['payments:write'] } }),
      route('status', '/status', ['GET'], 'status', { 'auth-apikey': {} }),
    ],
  }));
  assert.deepEqual(found, [
    ['routes[0]', "operation createPayment: the configured authentication meets none of the contract's security requirements (oauth needs scope payments:write, which neither authorize nor auth-jwt requires on POST)"],
    ['routes[3]', "operation createPayment: the configured authentication meets none of the contract's security requirements (oauth (oauth2) needs auth-jwt)"],
  ]);
});

test('security alternatives are OR, schemes within one requirement AND', async () => {
  const found = warnings(keysConfig(upstream, {
    routes: [
      // key AND partnerCert: an API key alone is half of the first alternative; no JWT for the second.
      route('refund-key', '/refund/:id', ['POST'], 'refundPayment', { 'auth-apikey': {} }),
      // The second alternative: a JWT with payments:refund.
      route('refund-jwt', '/refund2/:id', ['POST'], 'refundPayment', { 'auth-jwt': await jwtPolicy(['payments:refund']) }),
    ],
  }));
  assert.deepEqual(found, [
    ['routes[0]', "operation refundPayment: the configured authentication meets none of the contract's security requirements (partnerCert (mutualTLS) needs auth-mtls | or | oauth (oauth2) needs auth-jwt; oauth needs scope payments:refund, which neither authorize nor auth-jwt requires on POST)"],
  ]);
});

test('a contractRoutes entry is checked per generated operation, at the entry path', () => {
  const config = keysConfig(upstream, { contractRoutes: [{ contract, upstream: 'backend', policies: { 'auth-apikey': {}, authorize: { methods: { GET: ['payments:read'] } } } }] });
  delete config.routes;
  assert.deepEqual(warnings(config).map(([path, message]) => [path, message.split(':')[0]]), [
    ['contractRoutes[0]', 'operation listPayments'],
    ['contractRoutes[0]', 'operation createPayment'],
    ['contractRoutes[0]', 'operation refundPayment'],
  ]);
});
