/**
 * mTLS client authentication at a third party's token endpoint (RFC 8705 §2.1 tls_client_auth):
 * oidc-provider over HTTPS with features.mTLS asks for the client certificate, checks that it
 * chains to its CA and carries the registered subject, and binds the token to it (§3). The
 * certificate and key come from the vault (`${secret:…}`). A certificate from another CA is
 * refused as invalid_client: the credential is revoked, nothing reaches the upstream.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { after, before, describe, test } from 'node:test';
import { makeTestPki, type TestPki } from './helpers/certs.js';
import { assertProblem, httpRequest, startGateway, startUpstream, type TestGateway, type TestUpstream } from './helpers/index.js';
import { AdminClient, KEY_ENV, keysConfig } from './helpers/keys.js';
import { startProvider, type TestProvider } from './helpers/oidc-provider.js';

const ENV = { ...KEY_ENV, PORTCULLIS_VAULT_KEK: randomBytes(32).toString('base64') };

describe('tls_client_auth (RFC 8705) against oidc-provider with mTLS', () => {
  let pki: TestPki;
  let provider: TestProvider;
  let upstream: TestUpstream;
  let gw: TestGateway;
  let admin: AdminClient;
  const seen: Array<{ path: string; token: string; valid: boolean }> = [];

  before(async () => {
    pki = await makeTestPki();
    const gateway = await pki.issueClient('portcullis-gateway');
    provider = await startProvider({ tls: { key: readFileSync(pki.serverKey, 'utf8'), cert: pki.serverCertPem, ca: readFileSync(pki.caBundle, 'utf8'), mtlsSubject: 'CN=portcullis-gateway' } });
    upstream = await startUpstream(async (req, res) => {
      const token = /^Bearer (.+)$/.exec(String(req.headers.authorization ?? ''))?.[1] ?? '';
      const valid = await provider.accessTokenValid(token);
      seen.push({ path: req.url!.split('/')[1]!, token, valid });
      res.writeHead(valid ? 200 : 401).end();
    });
    const route = (name: string) => ({ name, methods: ['GET'], path: `/${name}/*`, upstream: 'backend', policies: { 'upstream-auth': { credential: name } } });
    gw = await startGateway(
      keysConfig(upstream.url, {
        vault: { kek: { source: 'env', key: '${env:PORTCULLIS_VAULT_KEK}' } },
        credentials: { caFiles: [pki.rootCa] },
        routes: ['bound', 'stranger'].map(route),
      }),
      { env: ENV },
    );
    admin = new AdminClient(gw.gateway.adminUrl);
    const set = async (name: string, value: string) => assert.equal((await admin.call('POST', `/v1/secrets/${name}/versions`, { value })).status, 201);
    await set('gateway-cert', gateway.certPem);
    await set('gateway-key', gateway.keyPem);
    await set('stranger-cert', pki.otherCa.certPem);
    await set('stranger-key', pki.otherCa.keyPem);
  });
  after(async () => {
    await gw?.close();
    await upstream?.close();
    await provider?.close();
  });

  const create = async (name: string, cert: string, key: string) => {
    const reply = await admin.call('POST', '/v1/credentials', {
      name,
      kind: 'client_credentials',
      owner: 'team-payments',
      settings: { tokenUrl: provider.tokenUrl, issuer: provider.issuer, clientId: 'cc-mtls', clientAuth: 'tls_client_auth', tlsCert: `\${secret:${cert}}`, tlsKey: `\${secret:${key}}` },
    });
    assert.equal(reply.status, 201, reply.text);
  };

  test('the gateway presents its client certificate on the token call and gets a token bound to it', async () => {
    await create('bound', 'gateway-cert', 'gateway-key');
    assert.equal((await httpRequest(`${gw.url}/bound/x`)).status, 200);
    assert.deepEqual(seen.filter((s) => s.path === 'bound').map((s) => s.valid), [true]);
    assert.deepEqual(provider.tokenRequests.map((r) => [r.grantType, r.clientId]), [['client_credentials', 'cc-mtls']]);
    assert.deepEqual(provider.grantErrors, []);
    assert.ok(await provider.accessTokenBound(seen.at(-1)!.token), 'the token carries the certificate thumbprint (RFC 8705 §3.1 cnf x5t#S256)');
  });

  test('a certificate from another CA is refused (invalid_client): revoked, nothing sent upstream', async () => {
    await create('stranger', 'stranger-cert', 'stranger-key');
    assertProblem(await httpRequest(`${gw.url}/stranger/x`), 503, 'upstream.credential_unavailable');
    assert.equal(seen.filter((s) => s.path === 'stranger').length, 0);
    const shown = (await admin.call('GET', '/v1/credentials/stranger')).json<{ status: string; statusReason: string }>();
    assert.deepEqual([shown.status, shown.statusReason], ['revoked', 'invalid_client']);
  });
});
