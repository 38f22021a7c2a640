/**
 * The gateway authenticates to a third party with credentials it holds (issue 19 §4, §5): a real
 * OAuth provider (oidc-provider) issues the tokens, a test upstream accepts only tokens the
 * provider says are valid, and the gateway's clock is moved by hand to cross token expiries.
 * Covered: client credentials (client_secret_basic, client_secret_post, private_key_jwt), refresh
 * tokens with rotation, the provider down (503, no expired token sent, alert event), one forced
 * refresh and retry on a 401, invalid_client revoking, quarantine after repeated 401s, static
 * credentials, revocation by an operator and by disabling the consumer served.
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { AuditLog } from '../src/audit/audit-log.js';
import { buildBundle, writeBundle } from '../src/audit/bundle.js';
import { ManualClock } from '../src/core/clock.js';
import { openStore } from '../src/store/open-store.js';
import { assertProblem, baseConfig, httpRequest, startGateway, startUpstream, type TestGateway, type TestUpstream } from './helpers/index.js';
import { AdminClient, ADMIN_TOKEN } from './helpers/keys.js';
import { CLIENT_SECRET, startProvider, type TestProvider } from './helpers/oidc-provider.js';

const ENV = { PORTCULLIS_ADMIN_TOKEN: ADMIN_TOKEN, PROVIDER_SECRET: CLIENT_SECRET, WRONG_SECRET: 'not-the-secret', TOKEN_KEY: 't'.repeat(40), STATIC_TOKEN: 'static-upstream-token' };
const HOUR = 3_600_000;

describe('upstream credentials against a real OAuth provider', () => {
  let provider: TestProvider;
  let upstream: TestUpstream;
  let gw: TestGateway;
  let admin: AdminClient;
  /** Per upstream request: the token it carried and whether the provider said it was valid then. */
  const seen: Array<{ path: string; token: string; valid: boolean }> = [];
  /** Paths under which the upstream answers 401 to the next request, once. */
  const refuseOnce = new Set<string>();
  const clock = new ManualClock(Date.now());
  const storePath = join(mkdtempSync(join(tmpdir(), 'portcullis-creds-')), 'store.db');

  before(async () => {
    provider = await startProvider();
    upstream = await startUpstream(async (req, res) => {
      const token = /^Bearer (.+)$/.exec(String(req.headers.authorization ?? ''))?.[1] ?? '';
      const path = req.url!.split('/')[1]!;
      const valid = token === ENV.STATIC_TOKEN || (await provider.accessTokenValid(token));
      seen.push({ path, token, valid });
      const refuse = refuseOnce.delete(path) || !valid;
      res.writeHead(refuse ? 401 : 200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ ok: !refuse }));
    });
    const route = (name: string) => ({ name, methods: ['GET', 'POST'], path: `/${name}/*`, upstream: 'backend', policies: { 'upstream-auth': { credential: name } } });
    gw = await startGateway(
      baseConfig([upstream.url], {
        admin: { host: '127.0.0.1', port: 0, token: '${env:PORTCULLIS_ADMIN_TOKEN}' },
        store: { path: storePath, pollIntervalMs: 100 },
        apiKeys: { pepper: '${env:TOKEN_KEY}' },
        credentials: { tokenEncryptionKey: '${env:TOKEN_KEY}', refreshSkewSeconds: 60, quarantineAfter: 2 },
        routes: ['basic', 'post', 'jwt', 'rotating', 'down', 'retry', 'wrong', 'quarantine', 'static', 'leaked', 'served'].map(route),
      }),
      { env: ENV, clock },
    );
    admin = new AdminClient(gw.gateway.adminUrl);
  });
  after(async () => {
    await gw?.close();
    await upstream?.close();
    await provider?.close();
  });

  const create = async (name: string, kind: string, settings: Record<string, unknown>, extra: Record<string, unknown> = {}) => {
    const reply = await admin.call('POST', '/v1/credentials', { name, kind, settings, owner: 'team-payroll', ...extra });
    assert.equal(reply.status, 201, reply.text);
    return reply.json<{ id: string }>();
  };
  const oauth = (clientId: string, clientAuth: string, extra: Record<string, unknown> = {}) => ({ tokenUrl: provider.tokenUrl, issuer: provider.issuer, clientId, clientAuth, ...extra });
  const get = (path: string, method = 'GET') => httpRequest(`${gw.url}/${path}/x`, { method, ...(method === 'POST' ? { body: '{}', headers: { 'content-type': 'application/json' } } : {}) });
  const requestsOf = (clientId: string) => provider.tokenRequests.filter((r) => r.clientId === clientId);

  test('client credentials (client_secret_basic): the upstream gets the provider\'s token, reused until the skew, then a new one', async () => {
    await create('basic', 'client_credentials', oauth('cc-basic', 'client_secret_basic', { clientSecret: '${env:PROVIDER_SECRET}' }));
    assert.equal((await get('basic')).status, 200);
    assert.equal((await get('basic')).status, 200);
    assert.equal(requestsOf('cc-basic').length, 1, 'one token request for two upstream requests');
    const first = seen.filter((s) => s.path === 'basic');
    assert.ok(first.every((s) => s.valid && s.token === first[0]!.token));
    clock.advance(HOUR - 30_000); // inside the 60 s skew: refreshed ahead, the still-valid token keeps serving
    assert.equal((await get('basic')).status, 200);
    await eventuallyTrue(() => requestsOf('cc-basic').length === 2, 'a refresh ahead of expiry');
    assert.equal((await get('basic')).status, 200);
    const tokens = new Set(seen.filter((s) => s.path === 'basic').map((s) => s.token));
    assert.equal(tokens.size, 2, 'the refreshed token is used once there');
    assert.ok(!gw.logs.text().includes(first[0]!.token), 'no token in any log line');
  });

  test('client credentials with client_secret_post and with private_key_jwt (RFC 7523) reach the upstream with valid tokens', async () => {
    await create('post', 'client_credentials', oauth('cc-post', 'client_secret_post', { clientSecret: '${env:PROVIDER_SECRET}' }));
    assert.equal((await get('post')).status, 200);
    await create('jwt', 'client_credentials', oauth('cc-jwt', 'private_key_jwt', { privateKey: '${env:CC_JWT_KEY}', keyId: 'cc-jwt-key' }));
    assert.equal((await get('jwt')).status, 503, 'the key reference is not set yet: 503, nothing sent');
    assert.equal(seen.filter((s) => s.path === 'jwt').length, 0);
    (ENV as Record<string, string>).CC_JWT_KEY = provider.privateKeyPem;
    assert.equal((await get('jwt')).status, 200);
    assert.ok(seen.filter((s) => s.path === 'jwt').every((s) => s.valid));
  });

  test('refresh tokens rotate: each refresh sends the newest refresh token, never a used one', async () => {
    const { id } = await create('rotating', 'refresh_token', oauth('rt-client', 'client_secret_basic', { clientSecret: '${env:PROVIDER_SECRET}' }));
    assertProblem(await get('rotating'), 503, 'upstream.credential_unavailable');
    const minted = await provider.mintRefreshToken();
    assert.equal((await admin.call('POST', `/v1/credentials/${id}/refresh-token`, { refreshToken: minted })).status, 200);
    assert.equal((await get('rotating')).status, 200);
    clock.advance(2 * HOUR);
    assert.equal((await get('rotating')).status, 200);
    const refreshes = requestsOf('rt-client');
    assert.equal(refreshes.length, 2);
    assert.equal(refreshes[0]!.refreshToken, minted);
    assert.notEqual(refreshes[1]!.refreshToken, minted, 'the second refresh used the rotated token');
    assert.deepEqual(provider.grantErrors.filter((e) => e.includes('already used')), []);
    const shown = (await admin.call('GET', `/v1/credentials/${id}`)).json<Record<string, unknown>>();
    assert.equal(shown.status, 'active');
    assert.equal(shown.hasTokens, true);
    assert.ok(!JSON.stringify(shown).includes(minted), 'show never answers with a token');
  });

  test('a 401 from the upstream: one forced refresh and one retry for an idempotent request, none for a POST', async () => {
    await create('retry', 'client_credentials', oauth('cc-post', 'client_secret_post', { clientSecret: '${env:PROVIDER_SECRET}' }));
    assert.equal((await get('retry')).status, 200);
    const tokenRequests = requestsOf('cc-post').length;
    refuseOnce.add('retry');
    assert.equal((await get('retry')).status, 200, 'retried with a fresh token');
    assert.equal(requestsOf('cc-post').length, tokenRequests + 1, 'exactly one forced refresh');
    const lastTwo = seen.filter((s) => s.path === 'retry').slice(-2);
    assert.notEqual(lastTwo[0]!.token, lastTwo[1]!.token);
    refuseOnce.add('retry');
    assert.equal((await get('retry', 'POST')).status, 401, 'a POST is not sent twice');
  });

  test('invalid_client from the token endpoint revokes the credential: not retried for ever', async () => {
    const { id } = await create('wrong', 'client_credentials', oauth('cc-basic', 'client_secret_basic', { clientSecret: '${env:WRONG_SECRET}' }));
    const before = requestsOf('cc-basic').length;
    assertProblem(await get('wrong'), 503, 'upstream.credential_unavailable');
    assertProblem(await get('wrong'), 503, 'upstream.credential_unavailable');
    assert.equal(requestsOf('cc-basic').length, before + 1, 'one refused token request, then none');
    const shown = (await admin.call('GET', `/v1/credentials/${id}`)).json<Record<string, unknown>>();
    assert.deepEqual([shown.status, shown.statusReason], ['revoked', 'invalid_client']);
    await gw.logs.waitFor((r) => r.event === 'credentials.revoked' && r.credential === 'wrong');
  });

  test('repeated 401s from the upstream quarantine the credential; an operator releases it', async () => {
    const { id } = await create('quarantine', 'static', { scheme: 'bearer', secret: '${env:WRONG_SECRET}' });
    assert.equal((await get('quarantine', 'POST')).status, 401);
    assert.equal((await get('quarantine', 'POST')).status, 401);
    await gw.logs.waitFor((r) => r.event === 'credentials.quarantined' && r.credential === 'quarantine');
    await eventuallyTrue(async () => (await get('quarantine', 'POST')).status === 503, 'quarantined: 503');
    assert.equal((await admin.call('POST', `/v1/credentials/${id}/release`, {})).status, 200);
    assert.equal((await get('quarantine', 'POST')).status, 401, 'released: sent again');
  });

  test('a static bearer credential is injected from its reference, replacing what the client sent', async () => {
    await create('static', 'static', { scheme: 'bearer', secret: '${env:STATIC_TOKEN}' });
    const reply = await httpRequest(`${gw.url}/static/x`, { headers: { authorization: 'Bearer client-own-token' } });
    assert.equal(reply.status, 200);
    assert.equal(seen.at(-1)!.token, ENV.STATIC_TOKEN);
  });

  test('revoked by an operator (leaked), or by disabling the consumer it serves: refused at once', async () => {
    const leaked = await create('leaked', 'static', { scheme: 'bearer', secret: '${env:STATIC_TOKEN}' });
    assert.equal((await get('leaked')).status, 200);
    assert.equal((await admin.call('POST', `/v1/credentials/${leaked.id}/revoke`, { reason: 'leaked' })).status, 200);
    assertProblem(await get('leaked'), 503, 'upstream.credential_unavailable');
    const consumer = await admin.consumer('payroll-partner');
    const served = await create('served', 'static', { scheme: 'bearer', secret: '${env:STATIC_TOKEN}' }, { consumerId: consumer });
    assert.equal((await get('served')).status, 200);
    assert.equal((await admin.call('POST', `/v1/consumers/${consumer}/disable`, {})).status, 200);
    assertProblem(await get('served'), 503, 'upstream.credential_unavailable');
    const shown = (await admin.call('GET', `/v1/credentials/${served.id}`)).json<Record<string, unknown>>();
    assert.deepEqual([shown.status, shown.statusReason], ['revoked', 'consumer_disabled']);
  });

  test('no upstream credential secret or token reaches the audit trail or an export (issue 17)', async () => {
    const secrets = new Map<string, string>();
    const remember = (label: string, value: string | undefined) => {
      if (!value) return;
      secrets.set(value, label);
      for (const encoding of ['hex', 'base64url', 'base64'] as const) secrets.set(createHash('sha256').update(value).digest(encoding), `sha256(${label})`);
    };
    for (const { token } of seen) remember('access token the upstream got', token);
    for (const { refreshToken } of provider.tokenRequests) remember('refresh token', refreshToken);
    remember('client secret', CLIENT_SECRET);
    remember('wrong client secret', ENV.WRONG_SECRET);
    remember('static token', ENV.STATIC_TOKEN);
    remember('token encryption key', ENV.TOKEN_KEY);
    const opened = openStore({ driver: 'sqlite', path: storePath });
    try {
      for (const row of await opened.db.selectFrom('upstream_credentials').select('tokens_sealed').execute()) remember('sealed tokens', row.tokens_sealed ?? undefined);
      assert.ok(secrets.size > 40, 'tokens were issued, refreshed and stored');
      const rows = await opened.db.selectFrom('audit_records').selectAll().execute();
      const actions = new Set(rows.map((row) => row.action));
      for (const action of ['upstream_credential.create', 'upstream_credential.store_tokens', 'upstream_credential.revoke', 'upstream_credential.quarantine']) assert.ok(actions.has(action), `${action} is in the trail`);
      const bundle = mkdtempSync(join(tmpdir(), 'portcullis-creds-bundle-'));
      writeBundle(bundle, await buildBundle(new AuditLog(opened.db), { now: Date.now() }));
      const text = rows.map((row) => Object.values(row).join('\u0000')).join('\n') + readdirSync(bundle).map((file) => readFileSync(join(bundle, file), 'utf8')).join('\n');
      for (const [value, label] of secrets) assert.ok(!text.includes(value), `${label} is in the audit table or the export`);
    } finally {
      await opened.close();
    }
  });

  test('provider down: 503 upstream.credential_unavailable, no expired token sent, the alert event logged', async () => {
    await create('down', 'client_credentials', oauth('cc-basic', 'client_secret_basic', { clientSecret: '${env:PROVIDER_SECRET}' }));
    assert.equal((await get('down')).status, 200);
    const before = seen.length;
    // Last test of the suite: the provider stays down.
    await provider.stop();
    clock.advance(HOUR + 1000); // past the token's expiry
    assertProblem(await get('down'), 503, 'upstream.credential_unavailable');
    assert.equal(seen.length, before, 'nothing reached the upstream: no expired token sent');
    await gw.logs.waitFor((r) => r.event === 'credentials.unavailable' && r.credential === 'down');
    const metrics = await httpRequest(`${gw.gateway.adminUrl}/metrics`);
    assert.match(metrics.text, /portcullis_upstream_credential_unavailable_total\{credential="down",reason="token_request_failed"\} 1/);
  });
});

async function eventuallyTrue(condition: () => boolean | Promise<boolean>, what: string): Promise<void> {
  const deadline = Date.now() + 15_000;
  while (!(await condition())) {
    if (Date.now() > deadline) assert.fail(`never happened: ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}
