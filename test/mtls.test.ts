/**
 * Mutual TLS end to end: client certificates verified by the listener against its CA bundle and
 * CRLs, mapped to consumers by auth-mtls, the four problem codes, listener mode `required`,
 * revocation taking effect after a CRL refresh without restart (file and URL), stale CRL
 * behaviour, spoof-proof identity headers, and composition with API keys.
 */
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Agent } from 'node:https';
import { after, before, describe, test } from 'node:test';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { CONSUMER_URI_PREFIX } from '../src/auth/consumer-uri.js';
import { createCa, generateKeyPair, issueLeaf, privateKeyToPem, type Signer } from '../src/pki/issue.js';
import { assertProblem, baseConfig, startGateway, startUpstream, type TestGateway, type TestUpstream } from './helpers/index.js';
import { makeTestPki, type ClientFiles, type TestPki } from './helpers/certs.js';
import { startKeyGateway } from './helpers/keys.js';
import { httpsRequest, opensslHandshake, pem, run } from './helpers/tls.js';

let pki: TestPki;
let upstream: TestUpstream;

const PARTNER_CA = 'CN=Test Partner CA, O=Portcullis Tests';

function mtlsListener(clientCertificates: Record<string, unknown>) {
  return { name: 'public', host: '127.0.0.1', port: 0, tls: { certFile: pki.serverCert, keyFile: pki.serverKey, clientCertificates: { caFiles: [pki.caBundle], ...clientCertificates } } };
}

function call(gw: TestGateway, path: string, client?: ClientFiles, headers: Record<string, string> = {}) {
  return httpsRequest(`${gw.url}${path}`, { ca: pki.rootCa, cert: client?.certPem, key: client?.keyPem, headers });
}

before(async () => {
  pki = await makeTestPki();
  upstream = await startUpstream();
});
after(() => upstream.close());

describe('auth-mtls with config-mapped consumers', () => {
  let gw: TestGateway;
  let lateRevoked: ClientFiles;
  let unmapped: ClientFiles;

  before(async () => {
    lateRevoked = await pki.issueClient('late-revoked');
    unmapped = await pki.issueClient('nobody-knows-me');
    gw = await startGateway(
      baseConfig([upstream.url], {
        listeners: [mtlsListener({ mode: 'optional', crl: { files: [pki.crlFile], refreshSeconds: 1 } })],
        routes: [
          {
            name: 'partners',
            methods: ['GET', 'POST'],
            path: '/partners/*',
            upstream: 'backend',
            policies: {
              'auth-mtls': {
                consumers: [
                  { consumerId: 'acme', consumerName: 'Acme Payments', scopes: ['payments:write'], san: 'URI:spiffe://acme/payments' },
                  { consumerId: 'late', scopes: [], subject: 'CN=late-revoked,O=Partner' },
                  { consumerId: 'revoked-co', scopes: [], subject: 'CN=revoked-client, O=Partner' },
                  { consumerId: 'expired-co', scopes: [], subject: 'CN=expired-client, O=Partner' },
                  { consumerId: 'stranger-co', scopes: [], subject: 'CN=stranger, O=Partner' },
                ],
              },
            },
          },
          { name: 'open', methods: ['GET'], path: '/open/*', upstream: 'backend' },
        ],
      }),
    );
  });
  after(() => gw.close());

  test('accepts a verified, mapped certificate and sends the identity upstream', async () => {
    const reply = await call(gw, '/partners/pay', pki.client);
    assert.equal(reply.status, 200, reply.text);
    const seen = upstream.requests.at(-1)!.headers;
    assert.equal(seen['x-consumer-id'], 'acme');
    assert.equal(seen['x-consumer-name'], 'Acme%20Payments');
    assert.equal(seen['x-consumer-scopes'], 'payments:write');
    assert.equal(seen['x-auth-method'], 'client_certificate');
    assert.equal(seen['x-auth-subject'], encodeURIComponent('CN=acme-payments, O=Partner'));
    const fingerprint = (await pki.client.certificate.getThumbprint('SHA-256')) as ArrayBuffer;
    assert.equal(seen['x-client-cert-fingerprint'], Buffer.from(fingerprint).toString('hex'));
  });

  test('maps by fingerprint before subject or SAN', async () => {
    const fingerprint = Buffer.from((await unmapped.certificate.getThumbprint('SHA-256')) as ArrayBuffer).toString('hex').toUpperCase().match(/../g)!.join(':');
    const own = await startGateway(
      baseConfig([upstream.url], {
        listeners: [mtlsListener({ mode: 'optional' })],
        policies: { 'auth-mtls': { consumers: [{ consumerId: 'pinned', scopes: [], fingerprintSha256: fingerprint }] } },
      }),
    );
    try {
      assert.equal((await call(own, '/x', unmapped)).status, 200);
      assert.equal(upstream.requests.at(-1)!.headers['x-consumer-id'], 'pinned');
      assertProblem(await call(own, '/x', pki.client), 401, 'auth.client_cert_unknown');
    } finally {
      await own.close();
    }
  });

  test('refuses a request without a certificate with 401 auth.client_cert_required', async () => {
    assertProblem(await call(gw, '/partners/pay'), 401, 'auth.client_cert_required');
  });

  test('refuses a certificate from another CA with 401 auth.client_cert_invalid', async () => {
    assertProblem(await call(gw, '/partners/pay', pki.otherCa), 401, 'auth.client_cert_invalid');
  });

  test('refuses an expired certificate with 401 auth.client_cert_invalid', async () => {
    const problem = assertProblem(await call(gw, '/partners/pay', pki.expired), 401, 'auth.client_cert_invalid');
    assert.equal(problem.detail, 'The client certificate has expired.');
  });

  test('refuses a revoked certificate with 401 auth.client_cert_revoked', async () => {
    assertProblem(await call(gw, '/partners/pay', pki.revoked), 401, 'auth.client_cert_revoked');
  });

  test('refuses a valid certificate mapped to no consumer with 401 auth.client_cert_unknown', async () => {
    assertProblem(await call(gw, '/partners/pay', unmapped), 401, 'auth.client_cert_unknown');
  });

  test('routes without auth-mtls serve clients with or without a certificate (mode optional)', async () => {
    assert.equal((await call(gw, '/open/x')).status, 200);
    assert.equal((await call(gw, '/open/x', pki.otherCa)).status, 200);
  });

  test('strips client-sent identity and certificate headers on every route', async () => {
    await call(gw, '/open/spoof', undefined, { 'x-client-cert-fingerprint': 'ab'.repeat(32), 'x-consumer-id': 'acme', 'x-auth-method': 'client_certificate', 'x-auth-subject': 'CN=acme' });
    const seen = upstream.requests.at(-1)!.headers;
    for (const header of ['x-client-cert-fingerprint', 'x-consumer-id', 'x-auth-method', 'x-auth-subject']) assert.equal(seen[header], undefined, header);
    await call(gw, '/partners/spoof', pki.client, { 'x-client-cert-fingerprint': 'ab'.repeat(32) });
    assert.notEqual(upstream.requests.at(-1)!.headers['x-client-cert-fingerprint'], 'ab'.repeat(32));
  });

  test('curl and openssl s_client complete the mTLS handshake with the issued certificate', async () => {
    const curl = await run('curl', ['-sS', '--cacert', pki.rootCa, '--cert', pki.client.cert, '--key', pki.client.key, `${gw.url}/partners/curl`]);
    assert.equal(curl.code, 0, curl.stderr);
    assert.equal(JSON.parse(curl.stdout).headers['x-consumer-id'], 'acme');
    const refused = await run('curl', ['-sS', '--cacert', pki.rootCa, `${gw.url}/partners/curl`]);
    assert.equal(JSON.parse(refused.stdout).code, 'auth.client_cert_required');
    const handshake = await opensslHandshake(gw.port, ['-CAfile', pki.rootCa, '-cert', pki.client.cert, '-key', pki.client.key]);
    assert.equal(handshake.code, 0, handshake.output);
    assert.match(handshake.output, /Acceptable client certificate CA names[\s\S]*Test Partner CA/);
  });

  test('refuses a certificate revoked after start once the CRL file is refreshed, also on an open connection', async () => {
    const agent = new Agent({ keepAlive: true, maxSockets: 1, ca: pem(pki.rootCa), cert: lateRevoked.certPem, key: lateRevoked.keyPem });
    try {
      assert.equal((await httpsRequest(`${gw.url}/partners/a`, { agent })).status, 200);
      await pki.writeCrl([pki.revoked.certificate.serialNumber, lateRevoked.certificate.serialNumber]);
      let last = 0;
      const deadline = Date.now() + 5000;
      while (Date.now() < deadline) {
        const reply = await httpsRequest(`${gw.url}/partners/a`, { agent });
        last = reply.status;
        if (reply.status === 401) {
          assertProblem(reply, 401, 'auth.client_cert_revoked');
          break;
        }
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
      assert.equal(last, 401, 'the revoked certificate is refused without a restart');
      assertProblem(await call(gw, '/partners/a', lateRevoked), 401, 'auth.client_cert_revoked');
    } finally {
      agent.destroy();
    }
  });
});

describe('CRL from a URL, and when no current CRL is available', () => {
  let crlServer: Server;
  let crlBody = '';
  let crlStatus = 200;
  let crlUrl = '';

  before(async () => {
    crlServer = createServer((_req, res) => {
      res.writeHead(crlStatus, { 'content-type': 'application/pkix-crl' });
      res.end(crlBody);
    });
    await new Promise<void>((resolve) => crlServer.listen(0, '127.0.0.1', resolve));
    crlUrl = `http://127.0.0.1:${(crlServer.address() as AddressInfo).port}/ca.crl`;
  });
  after(() => new Promise<void>((resolve) => crlServer.close(() => resolve())));

  function urlGateway(whenUnavailable: string) {
    return startGateway(
      baseConfig([upstream.url], {
        listeners: [mtlsListener({ mode: 'required', crl: { urls: [crlUrl], refreshSeconds: 3600, whenUnavailable } })],
        policies: { 'auth-mtls': { consumers: [{ consumerId: 'acme', scopes: [], san: 'URI:spiffe://acme/payments' }] } },
      }),
    );
  }

  test('fetches the CRL over HTTP and applies a revocation at the next refresh', async () => {
    const spare = await pki.issueClient('acme-spare', { altNames: [{ type: 'url', value: 'spiffe://acme/payments' }] });
    crlBody = await pki.writeCrl([], { file: `${pki.dir}/url.crl.pem` });
    crlStatus = 200;
    const gw = await urlGateway('fail-closed');
    try {
      assert.equal((await call(gw, '/x', spare)).status, 200);
      crlBody = await pki.writeCrl([spare.certificate.serialNumber], { file: `${pki.dir}/url.crl.pem` });
      await gw.gateway.listenerTls('public')!.refreshRevocation();
      assertProblem(await call(gw, '/x', spare), 401, 'auth.client_cert_revoked');
      assert.equal((await call(gw, '/x', pki.client)).status, 200, 'other certificates still pass');
    } finally {
      await gw.close();
    }
  });

  test('fail-closed: an unreachable CRL at start refuses certificates with auth.client_cert_invalid, logged and counted', async () => {
    crlStatus = 503;
    const gw = await urlGateway('fail-closed');
    try {
      await gw.logs.waitFor((record) => record.event === 'crl.refresh_failed');
      const problem = assertProblem(await call(gw, '/x', pki.client), 401, 'auth.client_cert_invalid');
      assert.match(String(problem.detail), /revocation status/);
      await gw.logs.waitFor((record) => record.event === 'crl.status_unknown' && record.action === 'refused');
      const metrics = await (await fetch(`${gw.gateway.adminUrl}/metrics`)).text();
      assert.match(metrics, /portcullis_client_cert_revocation_unknown_total\{listener="public",action="refused"\} 1/);
      assert.match(metrics, /portcullis_crl_refresh_total\{listener="public",source="[^"]+",result="failed"\} 1/);
    } finally {
      await gw.close();
    }
  });

  test('fail-open: a CRL past its nextUpdate lets certificates through, logged and counted', async () => {
    crlStatus = 200;
    crlBody = await pki.writeCrl([], { file: `${pki.dir}/stale.crl.pem`, nextUpdate: new Date(Date.now() - 60000) });
    const gw = await urlGateway('fail-open');
    try {
      await gw.logs.waitFor((record) => record.event === 'crl.stale');
      assert.equal((await call(gw, '/x', pki.client)).status, 200);
      await gw.logs.waitFor((record) => record.event === 'crl.status_unknown' && record.action === 'allowed');
    } finally {
      await gw.close();
    }
  });

  test('refuses a CRL not signed by the listener CAs and keeps the previous one', async () => {
    crlStatus = 200;
    crlBody = await pki.writeCrl([pki.revoked.certificate.serialNumber], { file: `${pki.dir}/good.crl.pem` });
    const gw = await urlGateway('fail-closed');
    try {
      // A CRL claiming the partner CA's name but signed by another key.
      const { createCrl } = await import('../src/pki/issue.js');
      const forged = await createCrl({ issuer: { certificate: pki.intermediate.certificate, privateKey: pki.root.privateKey }, revoked: [], thisUpdate: new Date(), nextUpdate: new Date(Date.now() + 86400000), crlNumber: 1 });
      crlBody = forged.toString('pem');
      await gw.gateway.listenerTls('public')!.refreshRevocation();
      await gw.logs.waitFor((record) => record.event === 'crl.refresh_failed' && /signature/.test(String(record.reason)));
      assertProblem(await call(gw, '/x', pki.revoked), 401, 'auth.client_cert_revoked');
    } finally {
      await gw.close();
    }
  });
});

test('refuses a config whose subject rule or issuer is not a distinguished name', async () => {
  const { validateConfig } = await import('../src/config/loader.js');
  const result = validateConfig(
    baseConfig(['http://127.0.0.1:1'], { policies: { 'auth-mtls': { consumers: [{ consumerId: 'x', subject: 'O = Globex, CN = x' }, { consumerId: 'y', subject: 'CN=y', san: 'DNS:y' }], consumerUri: { issuers: ['no equals sign'] } } } }),
    {},
  );
  assert.equal(result.ok, false);
  const messages = result.ok ? [] : result.issues.map((issue) => `${issue.path}: ${issue.message}`);
  assert.ok(messages.some((m) => m.startsWith('policies.auth-mtls.consumers[0].subject: is not a distinguished name')), messages.join('\n'));
  assert.ok(messages.some((m) => m.startsWith('policies.auth-mtls.consumers[1]: needs exactly one of')), messages.join('\n'));
  assert.ok(messages.some((m) => m.startsWith('policies.auth-mtls.consumerUri.issuers[0]: is not a distinguished name')), messages.join('\n'));
  for (const consumerId of ['acme,globex', 'acme;x', 'a"b', 'a\\b', 'a b']) {
    const unsafe = validateConfig(baseConfig(['http://127.0.0.1:1'], { policies: { 'auth-mtls': { consumers: [{ consumerId, subject: 'CN=x' }] } } }), {});
    assert.equal(unsafe.ok, false, `consumer id ${consumerId}`);
  }
});

describe('listener mode required', () => {
  test('refuses requests without a valid certificate on every route, before routing', async () => {
    const gw = await startGateway(baseConfig([upstream.url], { listeners: [mtlsListener({ mode: 'required' })] }));
    try {
      assertProblem(await call(gw, '/anything'), 401, 'auth.client_cert_required');
      assertProblem(await call(gw, '/anything', pki.otherCa), 401, 'auth.client_cert_invalid');
      assert.equal((await call(gw, '/anything', pki.client)).status, 200);
    } finally {
      await gw.close();
    }
  });
});

describe('composition with API keys', () => {
  test('mTLS and API key both required; either accepted; different consumers conflict', async () => {
    const partnerCa = { issuers: [PARTNER_CA], scopes: ['payments:read', 'payments:write'] };
    const gw = await startKeyGateway(upstream.url, {
      listeners: [mtlsListener({ mode: 'optional' })],
      routes: [
        { name: 'both', methods: ['GET'], path: '/both/*', upstream: 'backend', policies: { 'auth-mtls': { consumerUri: partnerCa }, 'auth-apikey': {} } },
        {
          name: 'either',
          methods: ['GET'],
          path: '/either/*',
          upstream: 'backend',
          policies: { 'auth-mtls': { required: false, consumerUri: partnerCa }, 'auth-apikey': { required: false }, authorize: {} },
        },
      ],
    });
    try {
      const acme = await gw.admin.consumer('acme');
      const other = await gw.admin.consumer('other');
      const acmeKey = await gw.admin.key(acme, ['payments:read']);
      const otherKey = await gw.admin.key(other, ['payments:read']);
      const acmeCert = await pki.issueClient('acme', { altNames: [{ type: 'url', value: `${CONSUMER_URI_PREFIX}${acme}` }] });
      const bearer = (key: string) => ({ authorization: `Bearer ${key}` });
      await gw.gateway.services.followed!.follower.catchUp();

      // Both required.
      assertProblem(await call(gw, '/both/x', acmeCert), 401, 'auth.missing_credentials');
      assertProblem(await call(gw, '/both/x', undefined, bearer(acmeKey.key)), 401, 'auth.client_cert_required');
      const both = await call(gw, '/both/x', acmeCert, bearer(acmeKey.key));
      assert.equal(both.status, 200, both.text);
      const seen = upstream.requests.at(-1)!.headers;
      assert.equal(seen['x-consumer-id'], acme);
      assert.equal(seen['x-consumer-name'], 'acme');
      assert.equal(seen['x-auth-method'], 'client_certificate', 'the first authentication policy (auth-mtls, 280) keeps its principal');
      assert.equal(seen['x-consumer-scopes'], 'payments:read payments:write');
      assert.equal(seen.authorization, undefined, 'the key is not forwarded');
      assertProblem(await call(gw, '/both/x', acmeCert, bearer(otherKey.key)), 401, 'auth.credentials_conflict');

      // Either.
      assertProblem(await call(gw, '/either/x'), 401, 'auth.missing_credentials');
      assert.equal((await call(gw, '/either/x', acmeCert)).status, 200);
      assert.equal(upstream.requests.at(-1)!.headers['x-auth-method'], 'client_certificate');
      assert.equal((await call(gw, '/either/x', undefined, bearer(otherKey.key))).status, 200);
      assert.equal(upstream.requests.at(-1)!.headers['x-consumer-id'], other);
      assertProblem(await call(gw, '/either/x', pki.otherCa), 401, 'auth.client_cert_invalid');
      assertProblem(await call(gw, '/either/x', undefined, bearer('ptc_live_nope')), 401, 'auth.key_invalid');

      // A consumer URI from a CA not listed in consumerUri.issuers names nobody.
      const { createCa, generateKeyPair } = await import('../src/pki/issue.js');
      const keys = await generateKeyPair();
      const rogueCa = await createCa({ subject: 'CN=Rogue Intermediate', keys, notBefore: new Date(Date.now() - 1000), notAfter: new Date(Date.now() + 86400000), parent: pki.root });
      const rogue = await pki.issueClient('rogue', { issuer: { certificate: rogueCa, privateKey: keys.privateKey }, altNames: [{ type: 'url', value: `${CONSUMER_URI_PREFIX}${acme}` }] });
      const roguePem = `${rogue.certPem}\n${rogueCa.toString('pem')}\n`;
      assertProblem(await httpsRequest(`${gw.url}/either/x`, { ca: pki.rootCa, cert: roguePem, key: rogue.keyPem }), 401, 'auth.client_cert_unknown');
    } finally {
      await gw.close();
    }
  });
});

describe('trusting a CA by its certificate, not its name', () => {
  const DAY = 86_400_000;
  let pki: TestPki;
  let upstream: TestUpstream;
  let gw: TestGateway;
  let otherCa: Signer;

  const leaf = async (subject: string, issuer: Signer, altNames: Array<{ type: 'url'; value: string }> = []) => {
    const keys = await generateKeyPair();
    const certificate = await issueLeaf({ subject, publicKey: keys.publicKey, issuer, notBefore: new Date(Date.now() - DAY), notAfter: new Date(Date.now() + DAY), usage: 'client', altNames });
    return { certificate, key: await privateKeyToPem(keys.privateKey) };
  };
  const call = (cert: string, key: string) => httpsRequest(`${gw.url}/p`, { ca: pki.rootCa, cert, key });
  const bundle = () => join(pki.dir, 'two-cas.pem');

  before(async () => {
    pki = await makeTestPki();
    upstream = await startUpstream();
    // A second CA the listener trusts too: a partner that runs its own PKI.
    const keys = await generateKeyPair();
    otherCa = { certificate: await createCa({ subject: 'CN=Partner B Own CA', keys, notBefore: new Date(Date.now() - DAY), notAfter: new Date(Date.now() + 10 * DAY) }), privateKey: keys.privateKey };
    writeFileSync(bundle(), `${readFileSync(pki.caBundle, 'utf8')}\n${otherCa.certificate.toString('pem')}\n`);
    gw = await startGateway(
      baseConfig([upstream.url], {
        listeners: [{ name: 'public', host: '127.0.0.1', port: 0, tls: { certFile: pki.serverCert, keyFile: pki.serverKey, clientCertificates: { mode: 'optional', caFiles: [bundle()], crl: { files: [pki.crlFile], refreshSeconds: 60, whenUnavailable: 'fail-closed' } } } }],
        routes: [{ name: 'p', methods: ['GET'], path: '/p', upstream: 'backend', policies: { 'auth-mtls': { consumers: [{ consumerId: 'globex', scopes: [], subject: 'CN=globex-prod, O=Globex' }], consumerUri: { issuers: ['CN=Test Partner CA, O=Portcullis Tests'] } } } }],
      }),
    );
  });
  after(async () => {
    await gw.close();
    await upstream.close();
  });

  test("refuses a rogue intermediate that copies our CA's name to claim another consumer", async () => {
    const keys = await generateKeyPair();
    const rogue: Signer = { certificate: await createCa({ subject: 'CN=Test Partner CA, O=Portcullis Tests', keys, notBefore: new Date(Date.now() - DAY), notAfter: new Date(Date.now() + DAY), parent: otherCa }), privateKey: keys.privateKey };
    const forged = await leaf('CN=evil', rogue, [{ type: 'url', value: `${CONSUMER_URI_PREFIX}victim` }]);
    const reply = await call(`${forged.certificate.toString('pem')}\n${rogue.certificate.toString('pem')}`, forged.key);
    assert.notEqual(reply.status, 200);
    assert.notEqual(upstream.requests.at(-1)?.headers['x-consumer-id'], 'victim');
  });

  test('stops trusting a CA removed by a TLS reload on connections already open: 401 auth.client_cert_invalid', async () => {
    const partner = await leaf('CN=someone', pki.intermediate, [{ type: 'url', value: `${CONSUMER_URI_PREFIX}initech` }]);
    const chain = `${partner.certificate.toString('pem')}\n${pki.intermediate.certificate.toString('pem')}`;
    const agent = new Agent({ keepAlive: true, maxSockets: 1, ca: pem(pki.rootCa), cert: chain, key: partner.key });
    let connections = 0;
    const connect = agent.createConnection.bind(agent);
    agent.createConnection = ((...args: Parameters<typeof connect>) => {
      connections++;
      return connect(...args);
    }) as typeof agent.createConnection;
    const trusted = readFileSync(bundle(), 'utf8');
    try {
      const before = await httpsRequest(`${gw.url}/p`, { agent });
      assert.equal(before.status, 200, before.text);
      // Only partner B's CA is left: our root and intermediate are no longer trusted.
      writeFileSync(bundle(), `${otherCa.certificate.toString('pem')}\n`);
      assert.equal(await gw.gateway.reloadTls('public'), true);
      const after = await httpsRequest(`${gw.url}/p`, { agent });
      assertProblem(after, 401, 'auth.client_cert_invalid');
      assert.equal(connections, 1, 'the same connection, verified before the reload');
      assert.equal(after.json<{ detail: string }>().detail, 'The client certificate could not be verified against the trusted CAs.');
      assertProblem(await call(chain, partner.key), 401, 'auth.client_cert_invalid');
    } finally {
      agent.destroy();
      writeFileSync(bundle(), trusted);
      await gw.gateway.reloadTls('public');
    }
  });

  test("maps our CA's certificate by its consumer URI, even when its subject copies another consumer's rule", async () => {
    const issued = await leaf('CN=globex-prod, O=Globex', pki.intermediate, [{ type: 'url', value: `${CONSUMER_URI_PREFIX}initech` }]);
    const reply = await call(`${issued.certificate.toString('pem')}\n${pki.intermediate.certificate.toString('pem')}`, issued.key);
    assert.equal(reply.status, 200, reply.text);
    assert.equal(upstream.requests.at(-1)?.headers['x-consumer-id'], 'initech');
  });
});
