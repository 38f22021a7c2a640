/**
 * `portcullis assess`, authentication and API hygiene (issue 23 §3): a real OpenID provider
 * (oidc-provider over TLS) and a careful API give none of the OAuth or API findings; an
 * authorization server and an API with every known weakness give each one, with its exact ID.
 */
import assert from 'node:assert/strict';
import { generateKeyPairSync } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { after, before, describe, test } from 'node:test';
import { ManualClock } from '../src/core/clock.js';
import { apiHygieneCheck } from '../src/assess/checks/api-hygiene.js';
import { oauthMetadataCheck } from '../src/assess/checks/oauth-metadata.js';
import type { AssessFinding, AssessTarget } from '../src/assess/finding.js';
import { badApi, badAuthorizationServer, goodApi, startHttpsServer, type AssessServer } from './helpers/assess-http-servers.js';
import { makeTestPki, type TestPki } from './helpers/certs.js';
import { startProvider, type TestProvider } from './helpers/oidc-provider.js';

/** The rule IDs found (not "not tested"), sorted, each once. */
function foundIds(findings: readonly AssessFinding[]): string[] {
  return [...new Set(findings.filter((f) => f.status === 'found').map((f) => f.ruleId))].sort();
}

describe('assess: OAuth metadata and API hygiene', () => {
  let pki: TestPki;
  let provider: TestProvider;
  const servers: AssessServer[] = [];
  const clock = new ManualClock(Date.UTC(2026, 0, 1));
  const target = (url: string, oauthIssuer?: string): AssessTarget => ({ url: new URL(url), caFile: pki.caBundle, timeoutMs: 5000, clock, ...(oauthIssuer ? { oauthIssuer: new URL(oauthIssuer) } : {}) });
  const serve = async (handler: Parameters<typeof startHttpsServer>[1]) => {
    const server = await startHttpsServer(pki, handler);
    servers.push(server);
    return server.origin;
  };

  before(async () => {
    pki = await makeTestPki();
    provider = await startProvider({
      tls: { key: readFileSync(pki.serverKey, 'utf8'), cert: pki.serverCertPem, ca: readFileSync(pki.caBundle, 'utf8'), mtlsSubject: 'CN=portcullis-gateway' },
      metadata: { responseTypes: ['code'], clientAuthMethods: ['private_key_jwt', 'tls_client_auth'] },
    });
  });
  after(async () => {
    await provider.close();
    await Promise.all(servers.map((server) => server.close()));
  });

  test('a real OpenID provider with sound metadata gives no OAuth finding', async () => {
    const findings = await oauthMetadataCheck().run(target(`${provider.issuer}/`, provider.issuer));
    assert.deepEqual(findings, []);
  });

  test('a careful API gives no API finding', async () => {
    const origin = await serve(goodApi);
    const findings = await apiHygieneCheck().run(target(`${origin}/v1/`));
    assert.deepEqual(findings, []);
  });

  test('every weakness of the metadata and JWK Set is found with its ID', async () => {
    const origin = await serve(badAuthorizationServer());
    const findings = await oauthMetadataCheck().run(target(`${origin}/v1/`, origin));
    assert.deepEqual(foundIds(findings), [
      'AS-OAUTH-002', // issuer https://login.other-provider.example
      'AS-OAUTH-003', // http authorization endpoint
      'AS-OAUTH-004', // implicit
      'AS-OAUTH-005', // password
      'AS-OAUTH-006', // no S256
      'AS-OAUTH-007', // plain
      'AS-OAUTH-008', // client secrets only
      'AS-OAUTH-009', // client_secret_post
      'AS-OAUTH-011', // kty oct
      'AS-OAUTH-012', // RSA 1024
      'AS-OAUTH-014', // no RFC 9207 iss
    ]);
    const byId = (id: string) => findings.filter((f) => f.ruleId === id);
    assert.match(byId('AS-OAUTH-003')[0]!.message, /^authorization_endpoint is http:\/\//);
    assert.equal(byId('AS-OAUTH-003').length, 1, 'only the http endpoint');
    assert.match(byId('AS-OAUTH-012')[0]!.message, /1024 bits/);
    assert.match(byId('AS-OAUTH-012')[0]!.where, /kid rsa-1024/);
    assert.equal(byId('AS-OAUTH-011')[0]!.cap, 'F');
    assert.equal(byId('AS-OAUTH-009')[0]!.severity, 'info');
  });

  test('a key on a non-JOSE curve and a JWK Set that cannot be read are found with their IDs', async () => {
    const secp256k1 = generateKeyPairSync('ec', { namedCurve: 'secp256k1' }).publicKey.export({ format: 'jwk' });
    const curveOrigin = await serve(badAuthorizationServer({ keys: [{ ...secp256k1, kid: 'k1' }] }));
    assert.ok(foundIds(await oauthMetadataCheck().run(target(`${curveOrigin}/`, curveOrigin))).includes('AS-OAUTH-013'));
    const brokenOrigin = await serve(badAuthorizationServer({ keys: 'none' } as never));
    const findings = await oauthMetadataCheck().run(target(`${brokenOrigin}/`, brokenOrigin));
    assert.ok(foundIds(findings).includes('AS-OAUTH-010'), JSON.stringify(findings));
    assert.ok(!foundIds(findings).includes('AS-OAUTH-011'));
  });

  test('an issuer that publishes no metadata is a finding when named, "not tested" when only the API origin was tried', async () => {
    const origin = await serve(goodApi);
    assert.deepEqual(foundIds(await oauthMetadataCheck().run(target(`${origin}/v1/`, origin))), ['AS-OAUTH-001']);
    const untried = await oauthMetadataCheck().run(target(`${origin}/v1/`));
    assert.deepEqual(foundIds(untried), []);
    assert.ok(untried.length > 0 && untried.every((f) => f.status === 'not_tested'));
  });

  test('an API answering data without credentials, HTML errors and no security.txt: each weakness with its ID', async () => {
    const origin = await serve(badApi({ unauthenticated: 'data', securityTxt: 'missing' }));
    const findings = await apiHygieneCheck().run(target(`${origin}/v1/`));
    assert.deepEqual(foundIds(findings), [
      'AS-API-001', // 200 with data
      'AS-API-003', // no rate-limit headers
      'AS-API-004', // HTML 404
      'AS-API-006', // no security.txt
      'AS-API-009', // no nosniff
      'AS-API-010', // JSON without no-store
      'AS-API-011', // HTML without CSP
      'AS-API-012', // Apache/2.4.41, PHP/7.4.3
    ]);
  });

  test('a 401 without WWW-Authenticate, JSON errors that are not problems and an expired security.txt without Contact', async () => {
    const origin = await serve(badApi({ unauthenticated: 'bare401', securityTxt: 'expired' }));
    const findings = await apiHygieneCheck().run(target(`${origin}/v1/`));
    const ids = foundIds(findings);
    for (const id of ['AS-API-002', 'AS-API-005', 'AS-API-007', 'AS-API-008']) assert.ok(ids.includes(id), `${id} in ${ids.join(', ')}`);
    assert.ok(!ids.includes('AS-API-001') && !ids.includes('AS-API-006'), ids.join(', '));
    assert.match(findings.find((f) => f.ruleId === 'AS-API-008')!.message, /expired at 2025-12-01/);
    // The same file judged before its Expires is not expired (the injected clock decides).
    clock.advance(-400 * 86400_000);
    try {
      assert.ok(!foundIds(await apiHygieneCheck().run(target(`${origin}/v1/`))).includes('AS-API-008'));
    } finally {
      clock.advance(400 * 86400_000);
    }
  });

  test('an unreachable API reports its rules as not tested, never as passed', async () => {
    const origin = await serve(goodApi);
    await servers.pop()!.close();
    const findings = await apiHygieneCheck().run(target(`${origin}/v1/`));
    assert.deepEqual(foundIds(findings), []);
    assert.ok(findings.some((f) => f.ruleId === 'AS-API-001' && f.status === 'not_tested'));
  });
});
