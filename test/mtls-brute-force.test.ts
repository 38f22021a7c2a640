/**
 * Brute-force protection covers client certificates (issue 14 §8): refused certificates
 * (untrusted, expired, revoked, mapped to no consumer) count towards bruteForce.maxFailures, for
 * auth-mtls routes and for listeners in mode `required`; a blocked client gets 429 whatever it
 * presents, until blockSeconds pass on the injected clock. Missing certificates and a revocation
 * status unknown because our CRL source is down do not count (docs/tls.md says why).
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { ManualClock } from '../src/core/clock.js';
import { assertProblem, baseConfig, startGateway, startUpstream, type TestGateway, type TestUpstream } from './helpers/index.js';
import { makeTestPki, type ClientFiles, type TestPki } from './helpers/certs.js';
import { httpsRequest } from './helpers/tls.js';

let pki: TestPki;
let upstream: TestUpstream;
const BRUTE_FORCE = { maxFailures: 5, windowSeconds: 60, blockSeconds: 300 };

before(async () => {
  pki = await makeTestPki();
  upstream = await startUpstream();
});
after(() => upstream.close());

function call(gw: TestGateway, client?: ClientFiles) {
  return httpsRequest(`${gw.url}/partners/x`, { ca: pki.rootCa, cert: client?.certPem, key: client?.keyPem });
}

function config(mode: 'optional' | 'required', crl: Record<string, unknown> = { files: [pki.crlFile] }) {
  return baseConfig([upstream.url], {
    bruteForce: BRUTE_FORCE,
    listeners: [{ name: 'public', host: '127.0.0.1', port: 0, tls: { certFile: pki.serverCert, keyFile: pki.serverKey, clientCertificates: { mode, caFiles: [pki.caBundle], crl: { ...crl, refreshSeconds: 60 } } } }],
    routes: [
      {
        name: 'partners',
        methods: ['GET'],
        path: '/partners/*',
        upstream: 'backend',
        policies: { 'auth-mtls': { consumers: [{ consumerId: 'acme', scopes: [], san: 'URI:spiffe://acme/payments' }] } },
      },
    ],
  });
}

describe('client certificates and brute-force protection', () => {
  test('auth-mtls: five refused certificates (untrusted, expired, revoked, unmapped) block the client with 429, even with a good certificate, until blockSeconds pass', async () => {
    const clock = new ManualClock(Date.now());
    const gw = await startGateway(config('optional'), { clock });
    try {
      const unmapped = await pki.issueClient('nobody-knows-me');
      const refused: Array<[ClientFiles, string]> = [
        [pki.otherCa, 'auth.client_cert_invalid'],
        [pki.expired, 'auth.client_cert_invalid'],
        [pki.revoked, 'auth.client_cert_revoked'],
        [unmapped, 'auth.client_cert_unknown'],
        [pki.otherCa, 'auth.client_cert_invalid'],
      ];
      for (const [client, code] of refused) assertProblem(await call(gw, client), 401, code);
      const blocked = await call(gw, pki.client);
      assertProblem(blocked, 429, 'auth.too_many_failures');
      assert.equal(blocked.headers['retry-after'], '300');
      await gw.logs.waitFor((record) => record.event === 'auth.client_blocked');
      clock.advance(300_000);
      assert.equal((await call(gw, pki.client)).status, 200, 'the block ends after blockSeconds');
    } finally {
      await gw.close();
    }
  });

  test('listener mode required: refused certificates count the same way', async () => {
    const clock = new ManualClock(Date.now());
    const gw = await startGateway(config('required'), { clock });
    try {
      for (let i = 0; i < BRUTE_FORCE.maxFailures; i++) assertProblem(await call(gw, pki.otherCa), 401, 'auth.client_cert_invalid');
      assertProblem(await call(gw, pki.client), 429, 'auth.too_many_failures');
      assertProblem(await call(gw), 429, 'auth.too_many_failures');
    } finally {
      await gw.close();
    }
  });

  test('a missing certificate is not counted (nothing was tried): 401 auth.client_cert_required every time', async () => {
    for (const mode of ['optional', 'required'] as const) {
      const gw = await startGateway(config(mode));
      try {
        for (let i = 0; i < BRUTE_FORCE.maxFailures * 3; i++) assertProblem(await call(gw), 401, 'auth.client_cert_required');
        assert.equal((await call(gw, pki.client)).status, 200, `${mode}: the client is not blocked`);
      } finally {
        await gw.close();
      }
    }
  });

  test('a revocation status unknown because our CRL source is down is not counted (not the client’s doing)', async () => {
    const gw = await startGateway(config('optional', { urls: ['http://127.0.0.1:1/unreachable.crl'], whenUnavailable: 'fail-closed' }));
    try {
      for (let i = 0; i < BRUTE_FORCE.maxFailures * 2; i++) assertProblem(await call(gw, pki.client), 401, 'auth.client_cert_invalid');
      assert.equal(gw.logs.records.some((record) => record.event === 'auth.client_blocked'), false);
    } finally {
      await gw.close();
    }
  });
});
