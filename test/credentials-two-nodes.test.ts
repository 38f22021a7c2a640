/**
 * Two gateway nodes sharing PostgreSQL (store, vault) and Redis (the refresh lock), against a real
 * OAuth provider (issue 19 §4, §7):
 * - both nodes race a refresh of a rotating refresh token: exactly one refresh reaches the
 *   provider, no node ever sends a rotated-away refresh token, and both then inject the new token;
 * - `portcullis vault rotate-kek` (the real CLI) runs while requests go through both nodes and a
 *   refresh stores new tokens: no request fails, and every data key ends up under the new KEK;
 * - the provider down: both nodes answer 503 upstream.credential_unavailable, send no expired
 *   token, log the alert event and count it.
 * The nodes' clocks are moved by hand to cross token expiries (no sleeps).
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { ManualClock } from '../src/core/clock.js';
import { openStore } from '../src/store/open-store.js';
import { runCliAsync } from './helpers/cli.js';
import { assertProblem, httpRequest, startGateway, startUpstream, type TestGateway, type TestUpstream } from './helpers/index.js';
import { AdminClient, KEY_ENV, keysConfig } from './helpers/keys.js';
import { CLIENT_SECRET, startProvider, type TestProvider } from './helpers/oidc-provider.js';
import { createPostgresSchema, POSTGRES_URL, REDIS_URL, redisTestPrefix, skipWithoutPostgres, skipWithoutRedis } from './helpers/services.js';

const HOUR = 3_600_000;
const ENV: Record<string, string> = { ...KEY_ENV, K1: randomBytes(32).toString('base64'), K2: randomBytes(32).toString('base64'), DATABASE_URL: '' };
const kek = (name: string) => ({ source: 'env', key: `\${env:${name}}` });

describe('two gateway nodes, one refresh', { skip: skipWithoutPostgres || skipWithoutRedis }, () => {
  let provider: TestProvider;
  let upstream: TestUpstream;
  let schema: { schema: string; drop(): Promise<void> };
  const nodes: Array<TestGateway & { admin: AdminClient; clock: ManualClock }> = [];
  const dir = mkdtempSync(join(tmpdir(), 'portcullis-creds-nodes-'));
  let configFile = '';
  /** Per upstream request: the path, the token and whether the provider said it was valid then. */
  const seen: Array<{ path: string; token: string; valid: boolean }> = [];

  before(async () => {
    provider = await startProvider();
    upstream = await startUpstream(async (req, res) => {
      const token = /^Bearer (.+)$/.exec(String(req.headers.authorization ?? ''))?.[1] ?? '';
      const valid = await provider.accessTokenValid(token);
      seen.push({ path: req.url!.split('/')[1]!, token, valid });
      res.writeHead(valid ? 200 : 401).end();
    });
    schema = await createPostgresSchema();
    const url = new URL(POSTGRES_URL);
    url.searchParams.set('options', `-c search_path=${schema.schema}`);
    ENV.DATABASE_URL = url.toString();
    const route = (name: string) => ({ name, methods: ['GET'], path: `/${name}/*`, upstream: 'backend', policies: { 'upstream-auth': { credential: name } } });
    const config = (vault: Record<string, unknown>) =>
      keysConfig(
        upstream.url,
        { vault, redis: { url: REDIS_URL, keyPrefix: redisTestPrefix() }, credentials: { refreshSkewSeconds: 60 }, routes: ['rotating', 'cc'].map(route) },
        { driver: 'postgres', url: '${env:DATABASE_URL}', pollIntervalMs: 1000 },
      );
    // Phase 0: one node under the first KEK stores the client secret and the tokens (sealed under K1).
    const first = await startGateway(config({ kek: kek('K1') }), { env: ENV });
    const admin = new AdminClient(first.gateway.adminUrl);
    assert.equal((await admin.call('POST', '/v1/secrets/provider-secret/versions', { value: CLIENT_SECRET })).status, 201);
    const settings = (clientId: string) => ({ tokenUrl: provider.tokenUrl, issuer: provider.issuer, clientId, clientAuth: 'client_secret_basic', clientSecret: '${secret:provider-secret}' });
    for (const [name, kind, clientId] of [['rotating', 'refresh_token', 'rt-client'], ['cc', 'client_credentials', 'cc-basic']] as const) {
      const created = await admin.call('POST', '/v1/credentials', { name, kind, owner: 'team-payroll', settings: settings(clientId) });
      assert.equal(created.status, 201, created.text);
    }
    assert.equal((await admin.call('POST', '/v1/credentials/rotating/refresh-token', { refreshToken: await provider.mintRefreshToken() })).status, 200);
    assert.equal((await httpRequest(`${first.url}/rotating/x`)).status, 200);
    assert.equal((await httpRequest(`${first.url}/cc/x`)).status, 200);
    await first.close();
    // Both nodes: the new KEK current, the old one decrypt-only (vault.md, KEK rotation step 2).
    const rotating = config({ kek: kek('K2'), previousKeks: [kek('K1')] });
    configFile = join(dir, 'portcullis.json');
    writeFileSync(configFile, JSON.stringify(rotating));
    const start = Date.now();
    for (let i = 0; i < 2; i++) {
      const clock = new ManualClock(start);
      const node = await startGateway(rotating, { env: ENV, clock });
      nodes.push(Object.assign(node, { admin: new AdminClient(node.gateway.adminUrl), clock }));
    }
  });
  after(async () => {
    for (const node of nodes) await node.close();
    await upstream?.close();
    await provider?.close();
    await schema?.drop();
  });

  const refreshes = () => provider.tokenRequests.filter((r) => r.clientId === 'rt-client');
  const advance = (ms: number) => nodes.forEach((node) => node.clock.advance(ms));
  /** `perNode` requests at once on each node; their statuses. */
  const burst = async (path: string, perNode: number) => (await Promise.all(nodes.flatMap((node) => Array.from({ length: perNode }, () => httpRequest(`${node.url}/${path}/x`))))).map((r) => r.status);

  test('both nodes race past the expiry: one refresh reaches the provider, with the newest refresh token; both inject the new token', async () => {
    for (let round = 1; round <= 2; round++) {
      const before = refreshes().length;
      const seenBefore = seen.length;
      advance(HOUR + 1000);
      assert.deepEqual(await burst('rotating', 8), Array(16).fill(200), `round ${round}: every request served`);
      assert.equal(refreshes().length, before + 1, `round ${round}: exactly one refresh reached the provider`);
      const tokens = new Set(seen.slice(seenBefore).map((s) => s.token));
      assert.equal(tokens.size, 1, `round ${round}: both nodes injected the one new token`);
      assert.ok(seen.slice(seenBefore).every((s) => s.valid));
    }
    const used = refreshes().filter((r) => r.grantType === 'refresh_token').map((r) => r.refreshToken);
    assert.equal(new Set(used).size, used.length, 'no refresh token was sent twice (a rotated-away one never)');
    assert.deepEqual(provider.grantErrors, []);
  });

  test('KEK rotation during load: requests through both nodes and a refresh while rotate-kek runs, none fails', async () => {
    const statuses: number[] = [];
    let rotating = true;
    const load = (async () => {
      while (rotating) statuses.push(...(await burst('cc', 2)), ...(await burst('rotating', 1)));
    })();
    const rotation = runCliAsync(['vault', 'rotate-kek', '--config', configFile, '--batch-size', '1', '--json'], ENV);
    const refreshed = await nodes[0]!.admin.call('POST', '/v1/credentials/cc/refresh', {});
    const run = await rotation;
    rotating = false;
    await load;
    assert.equal(refreshed.status, 200, refreshed.text);
    assert.equal(run.status, 0, run.stderr);
    const result = JSON.parse(run.stdout) as { kekId: string; columns: { upstream_credential_tokens: { remaining: number } } };
    assert.equal(result.columns.upstream_credential_tokens.remaining, 0);
    assert.ok(statuses.length >= 6, `load ran (${statuses.length} requests)`);
    assert.deepEqual(statuses.filter((s) => s !== 200), [], 'no request failed');
    const store = openStore({ driver: 'postgres', url: POSTGRES_URL, schema: schema.schema });
    try {
      const rows = await store.db.selectFrom('upstream_credentials').select('tokens_sealed').execute();
      assert.deepEqual(rows.map((r) => r.tokens_sealed?.split(':')[1]), [result.kekId, result.kekId], 'every token row under the new KEK');
    } finally {
      await store.close();
    }
    advance(HOUR + 1000);
    assert.deepEqual(await burst('cc', 2), [200, 200, 200, 200], 'tokens obtained after the rotation serve too');
  });

  test('provider down: both nodes answer 503 upstream.credential_unavailable, send no expired token, log and count it', async () => {
    await provider.stop();
    advance(2 * HOUR);
    const before = seen.length;
    for (const node of nodes) assertProblem(await httpRequest(`${node.url}/cc/x`), 503, 'upstream.credential_unavailable');
    assert.equal(seen.length, before, 'nothing reached the upstream');
    for (const node of nodes) {
      await node.logs.waitFor((r) => r.event === 'credentials.unavailable' && r.credential === 'cc');
      const metrics = await httpRequest(`${node.gateway.adminUrl}/metrics`);
      assert.match(metrics.text, /portcullis_upstream_credential_unavailable_total\{credential="cc",reason="token_request_failed"\} 1/);
    }
  });
});
