/**
 * `validate.security: enforce` end to end (issue 24 §4): the contract's `security` decides, per
 * operation, which credentials a request needs, over real TLS with client certificates, real API
 * keys from the store, real tokens signed by a local identity provider served as a JWKS, and a
 * real upstream. Covers the top-level default, a per-operation override, AND within one
 * requirement, OR between requirements, `{}`, `security: []`, missing scopes (403), an invalid
 * credential where anonymous access is allowed, and an unmatched request. Then the same on a large
 * public contract (Figma's REST API, from npm) generated with contractRoutes.
 */
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { randomUUID } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import type { JWTPayload } from 'jose';
import { CONSUMER_URI_PREFIX } from '../src/auth/consumer-uri.js';
import { assertProblem, httpRequest, startUpstream, type TestUpstream } from './helpers/index.js';
import { makeTestPki, type ClientFiles, type TestPki } from './helpers/certs.js';
import { startIdp, type TestIdp } from './helpers/jwks.js';
import { startKeyGateway, type AdminClient } from './helpers/keys.js';
import { writeContract } from './helpers/contracts.js';
import { httpsRequest } from './helpers/tls.js';
import type { TestGateway } from './helpers/index.js';

const require = createRequire(import.meta.url);
const FIGMA = require.resolve('@figma/rest-api-spec/openapi/openapi.yaml');
const AUDIENCE = 'payments-api';
const PARTNER_CA = 'CN=Test Partner CA, O=Portcullis Tests';

const CONTRACT = `
openapi: 3.1.0
info: { title: payments, version: '1' }
security:
  - oauth: [payments:read]
paths:
  /payments:
    get:
      operationId: listPayments
      responses: { '200': { description: the document's security applies } }
    post:
      operationId: createPayment
      security:
        - oauth: [payments:write]
      responses: { '200': { description: overridden } }
  /payments/{id}/refund:
    post:
      operationId: refundPayment
      security:
        - key: []
          partnerCert: []
        - oauth: [payments:refund]
      parameters: [{ name: id, in: path, required: true, schema: { type: string } }]
      responses: { '200': { description: key and certificate, or a token } }
  /status:
    get:
      operationId: status
      security: []
      responses: { '200': { description: no authentication } }
  /catalogue:
    get:
      operationId: catalogue
      security:
        - {}
        - key: []
      responses: { '200': { description: anonymous allowed } }
components:
  securitySchemes:
    oauth:
      type: oauth2
      flows: { clientCredentials: { tokenUrl: 'https://idp.example/token', scopes: { 'payments:read': read, 'payments:write': write, 'payments:refund': refund } } }
    key: { type: apiKey, in: header, name: X-Api-Key }
    partnerCert: { type: mutualTLS }
`;

let pki: TestPki;
let upstream: TestUpstream;
let idp: TestIdp;

before(async () => {
  [pki, upstream, idp] = await Promise.all([makeTestPki(), startUpstream(), startIdp()]);
});
after(async () => {
  await upstream.close();
  await idp.close();
});

function token(scope: string, extra: JWTPayload = {}): Promise<string> {
  const now = Math.floor(Date.now() / 1000);
  return idp.sign({ iss: idp.issuer, aud: AUDIENCE, sub: 'partner-7', scope, jti: randomUUID(), iat: now, exp: now + 600, ...extra });
}

describe('a route that enforces its contract security', () => {
  let gw: TestGateway & { admin: AdminClient };
  let key: string;
  let cert: ClientFiles;

  const call = (method: string, path: string, options: { headers?: Record<string, string>; client?: ClientFiles } = {}) =>
    httpsRequest(`${gw.url}${path}`, { method, ca: pki.rootCa, cert: options.client?.certPem, key: options.client?.keyPem, headers: options.headers ?? {} });
  const reached = async (reply: { status: number; text: string }, path: string) => {
    assert.equal(reply.status, 200, reply.text);
    assert.equal(upstream.requests.at(-1)?.url, path);
  };

  before(async () => {
    gw = await startKeyGateway(upstream.url, {
      listeners: [{ name: 'public', host: '127.0.0.1', port: 0, tls: { certFile: pki.serverCert, keyFile: pki.serverKey, clientCertificates: { mode: 'optional', caFiles: [pki.caBundle] } } }],
      routes: [
        {
          name: 'payments',
          methods: ['GET', 'POST'],
          path: '/*',
          upstream: 'backend',
          policies: {
            validate: { contract: writeContract(CONTRACT), security: 'enforce' },
            'auth-jwt': { required: false, issuers: [{ issuer: idp.issuer, jwksUrl: idp.jwksUrl }], audiences: [AUDIENCE] },
            'auth-apikey': { required: false, sources: [{ header: 'X-Api-Key' }] },
            'auth-mtls': { required: false, consumerUri: { issuers: [PARTNER_CA] } },
          },
        },
      ],
    });
    const acme = await gw.admin.consumer('acme');
    key = (await gw.admin.key(acme, [])).key;
    cert = await pki.issueClient('acme', { altNames: [{ type: 'url', value: `${CONSUMER_URI_PREFIX}${acme}` }] });
  });
  after(() => gw.close());

  test("the document's top-level security applies to an operation without its own: 401 without a token, 403 without the scope", async () => {
    const refused = await call('GET', '/payments');
    assertProblem(refused, 401, 'auth.missing_credentials');
    assert.equal(refused.headers['www-authenticate'], 'Bearer');
    const short = await call('GET', '/payments', { headers: { authorization: `Bearer ${await token('payments:write')}` } });
    assertProblem(short, 403, 'auth.insufficient_scope');
    assert.equal(short.headers['www-authenticate'], 'Bearer error="insufficient_scope", scope="payments:read"');
    await reached(await call('GET', '/payments', { headers: { authorization: `Bearer ${await token('payments:read')}` } }), '/payments');
  });

  test("an operation's own security replaces the top-level one: payments:read is not enough to create", async () => {
    const short = await call('POST', '/payments', { headers: { authorization: `Bearer ${await token('payments:read')}` } });
    assertProblem(short, 403, 'auth.insufficient_scope');
    assert.equal(short.headers['www-authenticate'], 'Bearer error="insufficient_scope", scope="payments:write"');
    await reached(await call('POST', '/payments', { headers: { authorization: `Bearer ${await token('payments:write')}` } }), '/payments');
  });

  test('schemes within one requirement are all needed (AND): an API key alone or a certificate alone is refused', async () => {
    assertProblem(await call('POST', '/payments/p1/refund', { headers: { 'x-api-key': key } }), 401, 'auth.missing_credentials');
    assertProblem(await call('POST', '/payments/p1/refund', { client: cert }), 401, 'auth.missing_credentials');
    // The key and the certificate are checked (an invalid key is refused as such, whatever the contract).
    assertProblem(await call('POST', '/payments/p1/refund', { headers: { 'x-api-key': 'ptc_live_nope' }, client: cert }), 401, 'auth.key_invalid');
    await reached(await call('POST', '/payments/p1/refund', { headers: { 'x-api-key': key }, client: cert }), '/payments/p1/refund');
  });

  test('requirements are alternatives (OR): a token with payments:refund alone is enough, one without it is 403', async () => {
    await reached(await call('POST', '/payments/p2/refund', { headers: { authorization: `Bearer ${await token('payments:refund')}` } }), '/payments/p2/refund');
    const short = await call('POST', '/payments/p3/refund', { headers: { authorization: `Bearer ${await token('payments:read')}` } });
    assertProblem(short, 403, 'auth.insufficient_scope');
    assert.equal(short.headers['www-authenticate'], 'Bearer error="insufficient_scope", scope="payments:refund"');
  });

  test('security: [] needs no credential; {} makes one optional, but a present invalid one is still refused', async () => {
    await reached(await call('GET', '/status'), '/status');
    await reached(await call('GET', '/catalogue'), '/catalogue');
    await reached(await call('GET', '/catalogue', { headers: { 'x-api-key': key } }), '/catalogue');
    assertProblem(await call('GET', '/catalogue', { headers: { 'x-api-key': 'ptc_live_nope' } }), 401, 'auth.key_invalid');
  });

  test("the inventory and its OpenAPI export show each operation's credentials and scopes from the contract", async () => {
    const inventory = await gw.admin.call('GET', '/v1/inventory');
    assert.equal(inventory.status, 200, inventory.text);
    const route = inventory.json<{ routes: Array<{ name: string; contractSecurity: unknown }> }>().routes.find((entry) => entry.name === 'payments');
    const oauth = (scope: string) => ({ scheme: 'oauth', type: 'oauth2', scopes: [scope] });
    assert.deepEqual(route?.contractSecurity, [
      { operation: 'listPayments', anonymous: false, alternatives: [[oauth('payments:read')]] },
      { operation: 'createPayment', anonymous: false, alternatives: [[oauth('payments:write')]] },
      { operation: 'refundPayment', anonymous: false, alternatives: [[{ scheme: 'key', type: 'apiKey', scopes: [] }, { scheme: 'partnerCert', type: 'mutualTLS', scopes: [] }], [oauth('payments:refund')]] },
      { operation: 'status', anonymous: true, alternatives: [] },
      { operation: 'catalogue', anonymous: true, alternatives: [[{ scheme: 'key', type: 'apiKey', scopes: [] }]] },
    ]);
    const exported = await gw.admin.call('GET', '/v1/inventory/openapi');
    assert.equal(exported.status, 200, exported.text);
    type Operation = { security: unknown };
    const document = exported.json<{ paths: Record<string, Record<string, Operation>>; components: { securitySchemes: Record<string, { type: string }> } }>();
    assert.deepEqual(document.paths['/payments']?.get?.security, [{ oauth: ['payments:read'] }]);
    assert.deepEqual(document.paths['/payments']?.post?.security, [{ oauth: ['payments:write'] }]);
    assert.deepEqual(document.paths['/payments/{id}/refund']?.post?.security, [{ key: [], partnerCert: [] }, { oauth: ['payments:refund'] }]);
    assert.deepEqual(document.paths['/status']?.get?.security, []);
    assert.deepEqual(document.paths['/catalogue']?.get?.security, [{ key: [] }, {}]);
    assert.deepEqual(Object.entries(document.components.securitySchemes).map(([name, scheme]) => [name, scheme.type]).sort(), [['key', 'apiKey'], ['oauth', 'oauth2'], ['partnerCert', 'mutualTLS']]);
  });

  test('a request that matches no operation is refused as without security: 404 and 405', async () => {
    assertProblem(await call('GET', '/nowhere'), 404, 'route.not_found');
    assertProblem(await call('POST', '/status'), 405, 'route.method_not_allowed');
  });
});

describe('a large public contract (Figma REST API, OpenAPI 3.1) with contractRoutes', () => {
  let gw: TestGateway & { admin: AdminClient };
  let key: string;

  before(async () => {
    gw = await startKeyGateway(upstream.url, {
      routes: [],
      contractRoutes: [
        {
          contract: FIGMA,
          upstream: 'backend',
          policies: {
            validate: { security: 'enforce' },
            'auth-apikey': { required: false, sources: [{ header: 'X-Figma-Token' }] },
            'auth-jwt': { required: false, issuers: [{ issuer: idp.issuer, jwksUrl: idp.jwksUrl }], audiences: [AUDIENCE] },
          },
        },
      ],
    });
    const figmaUser = await gw.admin.consumer('figma-user');
    key = (await gw.admin.key(figmaUser, [])).key;
  });
  after(() => gw.close());

  test('getFile needs a token in X-Figma-Token or an OAuth2 token with file_content:read and files:read', async () => {
    assertProblem(await httpRequest(`${gw.url}/v1/files/abc123`), 401, 'auth.missing_credentials');
    const short = await httpRequest(`${gw.url}/v1/files/abc123`, { headers: { authorization: `Bearer ${await token('file_content:read')}` } });
    assertProblem(short, 403, 'auth.insufficient_scope');
    assert.equal(short.headers['www-authenticate'], 'Bearer error="insufficient_scope", scope="file_content:read files:read"');
    const viaKey = await httpRequest(`${gw.url}/v1/files/abc123`, { headers: { 'x-figma-token': key } });
    assert.equal(viaKey.status, 200, viaKey.text);
    const viaToken = await httpRequest(`${gw.url}/v1/files/abc123`, { headers: { authorization: `Bearer ${await token('file_content:read files:read')}` } });
    assert.equal(viaToken.status, 200, viaToken.text);
    assert.equal(upstream.requests.at(-1)?.url, '/v1/files/abc123');
  });
});
