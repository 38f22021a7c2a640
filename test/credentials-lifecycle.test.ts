/**
 * Upstream credentials end by time and by event (issue 19 §5), on both stores: the gateway's clock
 * is moved by hand, and the lifecycle sweep (every second here) logs the 30/7/1-day notices once
 * each, expires by `expiresAt`, by the organisation's `maxAgeDays` and by `disableIfUnusedDays`
 * counted from the last use; a token endpoint answering `invalid_grant` revokes the credential
 * without retrying; a failed token request shows as the credential's last error. Each status
 * change is in the audit trail.
 */
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { ManualClock } from '../src/core/clock.js';
import { assertProblem, httpRequest, startGateway, startUpstream, type TestGateway, type TestUpstream } from './helpers/index.js';
import { AdminClient, KEY_ENV, keysConfig } from './helpers/keys.js';
import { CLIENT_SECRET, startProvider, type TestProvider } from './helpers/oidc-provider.js';
import { createPostgresSchema, POSTGRES_URL, skipWithoutPostgres } from './helpers/services.js';

const DAY = 86_400_000;
const ENV: Record<string, string> = { ...KEY_ENV, TOKEN_KEY: 'l'.repeat(40), STATIC: 'static-value', PROVIDER_SECRET: CLIENT_SECRET, DATABASE_URL: '' };

for (const backend of ['SQLite', 'PostgreSQL'] as const) {
  describe(`upstream credential lifecycle by time and event: ${backend}`, { skip: backend === 'PostgreSQL' && skipWithoutPostgres }, () => {
    let provider: TestProvider;
    let upstream: TestUpstream;
    let gw: TestGateway;
    let admin: AdminClient;
    let drop: (() => Promise<void>) | undefined;
    const start = Date.now();
    const clock = new ManualClock(start);

    before(async () => {
      provider = await startProvider();
      upstream = await startUpstream();
      let store: Record<string, unknown> = { path: join(mkdtempSync(join(tmpdir(), 'portcullis-creds-life-')), 'store.db'), pollIntervalMs: 100 };
      if (backend === 'PostgreSQL') {
        const schema = await createPostgresSchema();
        drop = schema.drop;
        const url = new URL(POSTGRES_URL);
        url.searchParams.set('options', `-c search_path=${schema.schema}`);
        ENV.DATABASE_URL = url.toString();
        store = { driver: 'postgres', url: '${env:DATABASE_URL}', pollIntervalMs: 1000 };
      }
      const route = (name: string) => ({ name, methods: ['GET'], path: `/${name}/*`, upstream: 'backend', policies: { 'upstream-auth': { credential: name } } });
      gw = await startGateway(
        keysConfig(upstream.url, { credentials: { tokenEncryptionKey: '${env:TOKEN_KEY}', maxAgeDays: 20, sweepIntervalSeconds: 1 }, routes: ['dated', 'aged', 'idle', 'grant', 'down'].map(route) }, store),
        { env: ENV, clock },
      );
      admin = new AdminClient(gw.gateway.adminUrl);
    });
    after(async () => {
      await gw?.close();
      await upstream?.close();
      await provider?.close();
      await drop?.();
    });

    const create = async (name: string, extra: Record<string, unknown> = {}, kind = 'static', settings: Record<string, unknown> = { scheme: 'bearer', secret: '${env:STATIC}' }) => {
      const reply = await admin.call('POST', '/v1/credentials', { name, kind, owner: 'team-payroll', settings, ...extra });
      assert.equal(reply.status, 201, reply.text);
    };
    const status = async (name: string) => (await admin.call('GET', `/v1/credentials/${name}`)).json<{ status: string; statusReason: string | null; lastUsedAt: string | null; lastError: string | null; lastErrorAt: string | null }>();
    /** Moves the clock to `days` after the start and waits for a sweep that ran after the move. */
    const at = async (days: number) => {
      clock.advance(start + days * DAY - clock.now());
      // The clock only moves forward: a sweep that judged by this time or later ran after the move.
      await gw.logs.waitFor((r) => r.event === 'credentials.sweep_done' && Date.parse(String(r.at)) >= start + days * DAY);
    };
    const notices = (name: string) => gw.logs.records.filter((r) => r.event === 'credentials.expiring' && r.credential === name).map((r) => r.thresholdDays);

    test('notices at 30, 7 and 1 days, once each; expiry by expiresAt, by the organisation maxAgeDays, and by disuse since the last use', async () => {
      await create('dated', { expiresAt: new Date(start + 40 * DAY).toISOString(), maxAgeDays: 365 });
      await create('aged');
      await create('idle', { disableIfUnusedDays: 5, maxAgeDays: 365 });
      await at(2);
      assert.equal((await httpRequest(`${gw.url}/idle/x`)).status, 200, 'used on day 2');
      await at(6);
      assert.equal((await status('idle')).status, 'active', 'four days unused');
      assert.ok((await status('idle')).lastUsedAt?.startsWith(new Date(start + 2 * DAY).toISOString().slice(0, 10)), 'the last use is recorded');
      await at(11);
      assert.deepEqual([(await status('idle')).status, (await status('idle')).statusReason], ['expired', 'unused']);
      assert.deepEqual(notices('dated'), [30]);
      assert.deepEqual(notices('aged'), [30], 'nine days left of the organisation default of 20');
      await at(12);
      assert.deepEqual(notices('dated'), [30], 'each notice once');
      await at(21);
      assert.deepEqual([(await status('aged')).status, (await status('aged')).statusReason], ['expired', 'max_age']);
      assertProblem(await httpRequest(`${gw.url}/aged/x`), 503, 'upstream.credential_unavailable');
      await at(34);
      assert.deepEqual(notices('dated'), [30, 7]);
      await at(39.5);
      assert.deepEqual(notices('dated'), [30, 7, 1]);
      await at(41);
      assert.deepEqual([(await status('dated')).status, (await status('dated')).statusReason], ['expired', 'expires_at']);
      const audit = (await admin.call('GET', '/v1/audit?action=upstream_credential.expire')).json<{ items: Array<{ target: { id: string } }> }>();
      assert.equal(audit.items.length, 3, 'each expiry audited');
    });

    test('invalid_grant from the token endpoint revokes the credential and is not retried; a failed token request is the last error', async () => {
      const settings = (clientId: string) => ({ tokenUrl: provider.tokenUrl, clientId, clientAuth: 'client_secret_basic', clientSecret: '${env:PROVIDER_SECRET}' });
      await create('grant', {}, 'refresh_token', settings('rt-client'));
      assert.equal((await admin.call('POST', '/v1/credentials/grant/refresh-token', { refreshToken: 'not-a-refresh-token-the-provider-issued' })).status, 200);
      await gw.gateway.services.followed!.follower.catchUp();
      const before = provider.tokenRequests.length;
      assertProblem(await httpRequest(`${gw.url}/grant/x`), 503, 'upstream.credential_unavailable');
      assertProblem(await httpRequest(`${gw.url}/grant/x`), 503, 'upstream.credential_unavailable');
      assert.equal(provider.tokenRequests.length, before + 1, 'one refused refresh, then none');
      assert.deepEqual([(await status('grant')).status, (await status('grant')).statusReason], ['revoked', 'invalid_grant']);
      const audit = (await admin.call('GET', '/v1/audit?action=upstream_credential.revoke')).json<{ items: unknown[] }>();
      assert.equal(audit.items.length, 1);

      await create('down', {}, 'client_credentials', settings('cc-basic'));
      await gw.gateway.services.followed!.follower.catchUp(); // the node knows the new credential before the request
      await provider.stop();
      assertProblem(await httpRequest(`${gw.url}/down/x`), 503, 'upstream.credential_unavailable');
      let shown = await status('down');
      for (const deadline = Date.now() + 5000; shown.lastError === null && Date.now() < deadline; shown = await status('down')) await new Promise((resolve) => setTimeout(resolve, 50));
      assert.equal(shown.status, 'active', 'an endpoint down is not a verdict on the credential');
      assert.match(shown.lastError ?? '', /^token request failed: /, gw.logs.text().split('\n').filter((l) => l.includes('"down"') || l.includes('last_error')).join('\n'));
      assert.equal(shown.lastErrorAt, new Date(clock.now()).toISOString());
    });
  });
}
