/**
 * A vault secret that an upstream credential names (issue 19 §2, §4), on both stores: deleting it
 * is refused with 409 admin.secret_in_use listing each credential field that names it (not for a
 * revoked credential, never for a name that only looks alike); forced, every kind of request-time
 * read of it (static bearer, basic and header values, client_secret_basic/_post secrets, the
 * private_key_jwt key, the tls_client_auth certificate key) answers 503
 * upstream.credential_unavailable, logged with reason secret_unavailable, with nothing sent to the
 * token endpoint or the upstream: never a 500. A token obtained before the deletion is still sent
 * until its expiry (the gateway's clock is moved past it).
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { ManualClock } from '../src/core/clock.js';
import { makeTestPki } from './helpers/certs.js';
import { assertProblem, eventually, httpRequest, startGateway, startUpstream, type TestGateway, type TestUpstream } from './helpers/index.js';
import { AdminClient, KEY_ENV, keysConfig } from './helpers/keys.js';
import { CLIENT_SECRET, startProvider, type TestProvider } from './helpers/oidc-provider.js';
import { postgresGatewayStore, skipWithoutPostgres } from './helpers/services.js';

const HOUR = 3_600_000;
/** Route and credential name → the settings of a credential whose secrets are all in the vault. */
const STATIC = ['bearer', 'basic', 'header'] as const;
const OAUTH = ['cc-basic', 'cc-post', 'cc-jwt'] as const;

for (const backend of ['SQLite', 'PostgreSQL'] as const) {
  describe(`deleting a vault secret an upstream credential names: ${backend}`, { skip: backend === 'PostgreSQL' && skipWithoutPostgres }, () => {
    let provider: TestProvider;
    let upstream: TestUpstream;
    let gw: TestGateway;
    let admin: AdminClient;
    let drop: (() => Promise<void>) | undefined;
    const clock = new ManualClock(Date.now());
    const env: Record<string, string> = { ...KEY_ENV, PORTCULLIS_VAULT_KEK: randomBytes(32).toString('base64'), DATABASE_URL: '' };
    const values = { bearer: `bearer-${randomBytes(6).toString('hex')}`, basic: `basic-${randomBytes(6).toString('hex')}`, header: `header-${randomBytes(6).toString('hex')}` };

    before(async () => {
      provider = await startProvider();
      upstream = await startUpstream();
      let store: Record<string, unknown> = { path: join(mkdtempSync(join(tmpdir(), 'portcullis-secret-delete-')), 'store.db'), pollIntervalMs: 100 };
      if (backend === 'PostgreSQL') {
        const pg = await postgresGatewayStore();
        ({ drop, store } = pg);
        env.DATABASE_URL = pg.url;
      }
      const route = (name: string) => ({ name, methods: ['GET'], path: `/${name}/*`, upstream: 'backend', policies: { 'upstream-auth': { credential: name } } });
      gw = await startGateway(keysConfig(upstream.url, { vault: { kek: { source: 'env', key: '${env:PORTCULLIS_VAULT_KEK}' } }, routes: [...STATIC, ...OAUTH, 'mtls', 'lookalike'].map(route) }, store), { env, clock });
      admin = new AdminClient(gw.gateway.adminUrl);

      const pki = await makeTestPki();
      const client = await pki.issueClient('portcullis-gateway');
      const secrets: Record<string, string> = { 's-bearer': values.bearer, 's-basic': values.basic, 's-header': values.header, 's-client': CLIENT_SECRET, 's-jwt-key': provider.privateKeyPem, 's-tls-cert': client.certPem, 's-tls-key': client.keyPem, 's-old': 'old', payroll: 'p', Payroll: 'P' };
      for (const [name, value] of Object.entries(secrets)) assert.equal((await admin.call('POST', `/v1/secrets/${name}/versions`, { value })).status, 201);
      const oauth = { tokenUrl: provider.tokenUrl, issuer: provider.issuer };
      const credentials: Array<[string, string, Record<string, unknown>]> = [
        ['bearer', 'static', { scheme: 'bearer', secret: '${secret:s-bearer}' }],
        ['basic', 'static', { scheme: 'basic', username: 'gateway', secret: '${secret:s-basic}' }],
        ['header', 'static', { scheme: 'header', header: 'x-api-key', secret: '${secret:s-header}' }],
        ['cc-basic', 'client_credentials', { ...oauth, clientId: 'cc-basic', clientAuth: 'client_secret_basic', clientSecret: '${secret:s-client}' }],
        ['cc-post', 'client_credentials', { ...oauth, clientId: 'cc-post', clientAuth: 'client_secret_post', clientSecret: '${secret:s-client}' }],
        ['cc-jwt', 'client_credentials', { ...oauth, clientId: 'cc-jwt', clientAuth: 'private_key_jwt', privateKey: '${secret:s-jwt-key}', keyId: 'cc-jwt-key' }],
        ['mtls', 'client_credentials', { ...oauth, clientId: 'cc-mtls', clientAuth: 'tls_client_auth', tlsCert: '${secret:s-tls-cert}', tlsKey: '${secret:s-tls-key}' }],
        ['old', 'static', { scheme: 'bearer', secret: '${secret:s-old}' }],
        ['lookalike', 'static', { scheme: 'bearer', secret: '${secret:Payroll}' }],
      ];
      for (const [name, kind, settings] of credentials) {
        const reply = await admin.call('POST', '/v1/credentials', { name, kind, owner: 'team-payroll', settings });
        assert.equal(reply.status, 201, reply.text);
      }
      assert.equal((await admin.call('POST', '/v1/credentials/old/revoke', { reason: 'rotated' })).status, 200);
    });
    after(async () => {
      await gw?.close();
      await upstream?.close();
      await provider?.close();
      await drop?.();
    });

    const sent = async (route: string) => {
      const reply = await httpRequest(`${gw.url}/${route}/x`);
      assert.equal(reply.status, 200, `${route}: ${reply.text}`);
      return reply.json<{ headers: Record<string, string> }>().headers;
    };
    const remove = (name: string, force = false) => admin.call('DELETE', `/v1/secrets/${name}${force ? '?force=true' : ''}`);

    test('before: every credential injects what its vault secrets give', async () => {
      assert.equal((await sent('bearer')).authorization, `Bearer ${values.bearer}`);
      assert.equal((await sent('basic')).authorization, `Basic ${Buffer.from(`gateway:${values.basic}`).toString('base64')}`);
      assert.equal((await sent('header'))['x-api-key'], values.header);
      for (const route of OAUTH) assert.match((await sent(route)).authorization ?? '', /^Bearer .+/, route);
    });

    test('a secret a credential names is kept: 409 admin.secret_in_use listing each credential field', async () => {
      const expected: Record<string, string[]> = {
        's-bearer': ['upstream_credentials.bearer.settings.secret'],
        's-client': ['upstream_credentials.cc-basic.settings.clientSecret', 'upstream_credentials.cc-post.settings.clientSecret'],
        's-jwt-key': ['upstream_credentials.cc-jwt.settings.privateKey'],
        's-tls-key': ['upstream_credentials.mtls.settings.tlsKey'],
      };
      for (const [name, references] of Object.entries(expected)) {
        const problem = assertProblem(await remove(name), 409, 'admin.secret_in_use');
        assert.deepEqual(problem.references, references, name);
      }
      assert.equal((await admin.call('GET', '/v1/secrets/s-bearer/versions')).status, 200, 'still there');
      assert.equal((await sent('bearer')).authorization, `Bearer ${values.bearer}`);
    });

    test('a revoked credential, or a reference to another name (case, wildcard characters), does not keep a secret', async () => {
      assert.equal((await remove('s-old')).status, 200, 'only a revoked credential names it');
      // SQLite's LIKE ignores case: the exact match must not take ${secret:Payroll} for payroll.
      assert.equal((await remove('payroll')).status, 200);
      assertProblem(await remove('Payroll'), 409, 'admin.secret_in_use');
    });

    test('forced: every request-time read of a deleted secret answers 503 upstream.credential_unavailable, nothing is sent, and the references are audited', async () => {
      const tokenRequests = provider.tokenRequests.length;
      for (const name of ['s-bearer', 's-basic', 's-header', 's-client', 's-jwt-key', 's-tls-key']) assert.equal((await remove(name, true)).status, 200, name);
      const audit = await admin.call('GET', '/v1/audit?action=secret.delete');
      assert.match(audit.text, /upstream_credentials\.cc-post\.settings\.clientSecret/, 'the forced references are in the audit record');

      for (const route of STATIC) {
        await eventually(async () => (await httpRequest(`${gw.url}/${route}/x`)).status === 503, `${route} stops injecting the deleted secret`, 2000);
      }
      // A token obtained before the deletion is good until its expiry: still sent.
      for (const route of OAUTH) assert.match((await sent(route)).authorization ?? '', /^Bearer .+/, route);
      clock.advance(2 * HOUR);
      const seen = upstream.requests.length;
      for (const route of [...STATIC, ...OAUTH, 'mtls']) {
        const reply = await httpRequest(`${gw.url}/${route}/x`);
        assertProblem(reply, 503, 'upstream.credential_unavailable');
        assert.ok(!reply.text.includes('s-') && !reply.text.includes('secret:'), `${route}: the problem names no secret`);
        assert.ok(
          gw.logs.records.some((record) => record.event === 'credentials.unavailable' && record.credential === route && record.reason === 'secret_unavailable'),
          `${route}: logged credentials.unavailable with reason secret_unavailable`,
        );
      }
      assert.equal(upstream.requests.length, seen, 'nothing was sent upstream');
      assert.equal(provider.tokenRequests.length, tokenRequests, 'no token request was made without its secret');
      const metrics = await admin.call('GET', '/metrics');
      assert.match(metrics.text, /portcullis_upstream_credential_unavailable_total\{credential="cc-jwt",reason="secret_unavailable"\} [1-9]/);
      const shown = (await admin.call('GET', '/v1/credentials/cc-basic')).json<{ status: string; lastError: string | null }>();
      assert.equal(shown.status, 'active', 'a missing secret does not revoke the credential: set it again and it works');
      assert.match(shown.lastError ?? '', /secret:s-client/);
      assert.ok(!gw.logs.records.some((record) => Number(record.status) >= 500 && Number(record.status) !== 503), 'never a 500');
      for (const value of Object.values(values)) assert.ok(!gw.logs.text().includes(value), 'no secret value in a log line');
    });

    test('setting the secret again makes the credential work again, without a reload', async () => {
      assert.equal((await admin.call('POST', '/v1/secrets/s-bearer/versions', { value: 'again' })).status, 201);
      await eventually(async () => (await httpRequest(`${gw.url}/bearer/x`)).status === 200, 'the secret set again is injected', 2000);
      assert.equal((await sent('bearer')).authorization, 'Bearer again');
    });
  });
}
