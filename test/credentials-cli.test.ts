/**
 * `portcullis credentials` end to end: the real CLI as a child process, a gateway with a vault, a
 * real OAuth provider (oidc-provider) as the third party and an upstream that accepts only tokens
 * the provider says are valid. Secrets go in from a file or stdin (into the vault, referenced as
 * `${secret:…}`), never from an argument, and no command prints a secret or a token; the refresh
 * token of a refresh_token credential is obtained once by the authorization-code flow with PKCE,
 * the test driving the provider's sign-in and consent over HTTP as a browser would.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { runCliAsync, spawnCli } from './helpers/cli.js';
import { assertProblem, freePort, httpRequest, startGateway, startUpstream, type TestGateway, type TestUpstream } from './helpers/index.js';
import { ADMIN_TOKEN, KEY_ENV, keysConfig } from './helpers/keys.js';
import { CLIENT_SECRET, startProvider, type TestProvider } from './helpers/oidc-provider.js';

const STATIC_TOKEN = `static-${randomBytes(8).toString('hex')}`;
const ENV = { ...KEY_ENV, PORTCULLIS_VAULT_KEK: randomBytes(32).toString('base64'), TOKEN_KEY: 'k'.repeat(40) };

describe('portcullis credentials through the real CLI', () => {
  let provider: TestProvider;
  let upstream: TestUpstream;
  let gw: TestGateway;
  let env: NodeJS.ProcessEnv;
  let redirectUri: string;
  const dir = mkdtempSync(join(tmpdir(), 'portcullis-creds-cli-'));
  const seen: Array<{ path: string; token: string; valid: boolean }> = [];
  const cli = (...args: string[]) => runCliAsync(args, env);
  const ok = async (...args: string[]) => {
    const run = await cli(...args);
    assert.equal(run.status, 0, `${args.join(' ')}: ${run.stderr}`);
    return run;
  };

  before(async () => {
    redirectUri = `http://127.0.0.1:${await freePort()}/callback`;
    provider = await startProvider({ redirectUris: [redirectUri] });
    upstream = await startUpstream(async (req, res) => {
      const token = /^Bearer (.+)$/.exec(String(req.headers.authorization ?? ''))?.[1] ?? '';
      const valid = token === STATIC_TOKEN || (await provider.accessTokenValid(token));
      seen.push({ path: req.url!.split('/')[1]!, token, valid });
      res.writeHead(valid ? 200 : 401, { 'content-type': 'application/json' }).end('{}');
    });
    const route = (name: string) => ({ name, methods: ['GET'], path: `/${name}/*`, upstream: 'backend', policies: { 'upstream-auth': { credential: name } } });
    gw = await startGateway(
      keysConfig(upstream.url, {
        vault: { kek: { source: 'env', key: '${env:PORTCULLIS_VAULT_KEK}' } },
        credentials: { tokenEncryptionKey: '${env:TOKEN_KEY}' },
        routes: ['payroll', 'static', 'crm', 'soon'].map(route),
      }),
      { env: ENV },
    );
    env = { ...ENV, PORTCULLIS_ADMIN_URL: gw.gateway.adminUrl, PORTCULLIS_ADMIN_TOKEN: ADMIN_TOKEN };
  });
  after(async () => {
    await gw?.close();
    await upstream?.close();
    await provider?.close();
  });

  const through = (path: string) => httpRequest(`${gw.url}/${path}/x`);

  test('create takes the client secret from a file into the vault; the route then carries the provider\'s token', async () => {
    const secretFile = join(dir, 'client-secret');
    writeFileSync(secretFile, `${CLIENT_SECRET}\n`);
    const created = await ok('credentials', 'create', 'payroll', '--kind', 'client_credentials', '--owner', 'team-hr', '--token-url', provider.tokenUrl, '--client-id', 'cc-basic', '--client-auth', 'client_secret_basic', '--client-secret-file', secretFile, '--json');
    const view = JSON.parse(created.stdout) as { settings: Record<string, unknown>; status: string };
    assert.equal(view.settings.clientSecret, '${secret:credential-payroll-client-secret}');
    assert.equal(view.status, 'active');
    assert.match((await ok('secrets', 'list')).stdout, /credential-payroll-client-secret\s+1/);
    assert.equal((await through('payroll')).status, 200);
    assert.ok(seen.at(-1)!.valid, 'the upstream got a token the provider issued');
    assert.ok(!created.stdout.includes(CLIENT_SECRET) && !gw.logs.text().includes(CLIENT_SECRET), 'the secret is in no output and no log');
  });

  test('a secret value given as an argument is refused: only references, files or stdin', async () => {
    const refused = await cli('credentials', 'create', 'leaky', '--kind', 'client_credentials', '--owner', 'x', '--token-url', provider.tokenUrl, '--client-id', 'cc-basic', '--client-auth', 'client_secret_basic', '--client-secret-ref', CLIENT_SECRET);
    assert.equal(refused.status, 1);
    assert.match(refused.stderr, /--client-secret-ref takes a reference such as \$\{secret:NAME\}/);
    assert.equal((await cli('credentials', 'show', 'leaky')).status, 1, 'nothing was created');
  });

  test('a static bearer value read from stdin is injected', async () => {
    const run = spawnCli(['credentials', 'create', 'static', '--kind', 'static', '--owner', 'team-crm', '--scheme', 'bearer', '--stdin', 'secret'], env);
    run.child.stdin.end(`${STATIC_TOKEN}\n`);
    assert.equal(await run.exited, 0, run.output());
    assert.equal((await through('static')).status, 200);
    assert.equal(seen.at(-1)!.token, STATIC_TOKEN);
    assert.ok(!run.output().includes(STATIC_TOKEN));
  });

  test('show gives state, token expiry and last refresh, never a token; refresh gets a new token now', async () => {
    const before = provider.tokenRequests.filter((r) => r.clientId === 'cc-basic').length;
    const shown = JSON.parse((await ok('credentials', 'show', 'payroll', '--json')).stdout) as Record<string, unknown>;
    assert.equal(shown.status, 'active');
    assert.equal(shown.hasTokens, true);
    assert.equal(typeof shown.tokenExpiresAt, 'string');
    assert.equal(typeof shown.refreshedAt, 'string');
    const text = (await ok('credentials', 'show', 'payroll')).stdout;
    assert.match(text, /^status\s+active$/m);
    assert.match(text, /^tokenExpiresAt\s+\d{4}-/m);
    assert.match(text, /clientSecret\s+\$\{secret:credential-payroll-client-secret\}/);
    const token = seen.filter((s) => s.path === 'payroll').at(-1)!.token;
    assert.ok(!text.includes(token), 'the access token is never shown');
    const refreshed = await ok('credentials', 'refresh', 'payroll');
    assert.match(refreshed.stdout, /payroll: new token until \d{4}-/);
    assert.equal(provider.tokenRequests.filter((r) => r.clientId === 'cc-basic').length, before + 1);
    assert.equal((await through('payroll')).status, 200);
    assert.notEqual(seen.at(-1)!.token, token, 'the refreshed token is the one injected');
  });

  test('list --expiring 30d names only what expires within 30 days', async () => {
    const soon = new Date(Date.now() + 10 * 86_400_000).toISOString();
    await ok('credentials', 'create', 'soon', '--kind', 'static', '--owner', 'team-crm', '--scheme', 'bearer', '--secret-ref', '${secret:credential-static-secret}', '--expires-at', soon);
    const all = (await ok('credentials', 'list')).stdout;
    assert.match(all, /^payroll\s+client_credentials\s+active\s+team-hr/m);
    const expiring = (await ok('credentials', 'list', '--expiring', '30d')).stdout.trim().split('\n');
    assert.deepEqual(expiring.slice(1).map((line) => line.split(/\s+/)[0]), ['soon']);
    assert.equal((await cli('credentials', 'list', '--expiring', 'soon')).status, 1);
  });

  test('authorize: the authorization-code flow with PKCE from the CLI stores a refresh token; the route then works', async () => {
    const secretFile = join(dir, 'rt-secret');
    writeFileSync(secretFile, CLIENT_SECRET);
    await ok('credentials', 'create', 'crm', '--kind', 'refresh_token', '--owner', 'team-crm', '--token-url', provider.tokenUrl, '--issuer', provider.issuer, '--authorization-url', `${provider.issuer}/auth`, '--redirect-uri', redirectUri, '--client-id', 'rt-client', '--client-auth', 'client_secret_basic', '--client-secret-file', secretFile, '--scope', 'openid offline_access');
    assertProblem(await through('crm'), 503, 'upstream.credential_unavailable');
    const run = spawnCli(['credentials', 'authorize', 'crm', '--timeout', '60'], env);
    const line = await run.waitForLine(/^\s+http:\/\/127\.0\.0\.1:\d+\/auth\?/);
    const url = new URL(line.trim());
    assert.equal(url.searchParams.get('code_challenge_method'), 'S256');
    assert.match(url.searchParams.get('code_challenge')!, /^[A-Za-z0-9_-]{43}$/);
    assert.equal(url.searchParams.get('prompt'), 'consent');
    await run.waitForLine(/Waiting for the redirect/);
    // The browser: follow the provider's redirects (sign-in and consent answered by the test provider) to the loopback redirect.
    const callback = await followToRedirect(url, redirectUri);
    assert.ok(callback.searchParams.has('code'));
    const landing = await httpRequest(callback.href);
    assert.equal(landing.status, 200, landing.text);
    assert.equal(await run.exited, 0, run.output());
    assert.match(run.output(), /crm: authorized; refresh token stored \(sealed\)/);
    const grants = provider.tokenRequests.filter((r) => r.clientId === 'rt-client').map((r) => r.grantType);
    assert.deepEqual(grants, ['authorization_code']);
    assert.equal((await through('crm')).status, 200);
    assert.ok(seen.at(-1)!.valid);
    assert.ok(!run.output().includes(seen.at(-1)!.token));
  });

  test('revoke --reason leaked: the credential is never injected again', async () => {
    assert.match((await ok('credentials', 'revoke', 'payroll', '--reason', 'leaked')).stdout, /payroll: revoked \(leaked\)/);
    assertProblem(await through('payroll'), 503, 'upstream.credential_unavailable');
    const shown = JSON.parse((await ok('credentials', 'show', 'payroll', '--json')).stdout) as Record<string, unknown>;
    assert.deepEqual([shown.status, shown.statusReason], ['revoked', 'leaked']);
  });
});

/** Follows redirects as a browser would (cookies kept) until one points at `redirectUri`; returns that URL. */
async function followToRedirect(start: URL, redirectUri: string): Promise<URL> {
  const cookies = new Map<string, string>();
  let url = start;
  for (let hop = 0; hop < 12; hop++) {
    const response = await fetch(url, { redirect: 'manual', headers: { cookie: [...cookies].map(([k, v]) => `${k}=${v}`).join('; ') } });
    for (const cookie of response.headers.getSetCookie()) {
      const [pair] = cookie.split(';');
      const at = pair!.indexOf('=');
      cookies.set(pair!.slice(0, at), pair!.slice(at + 1));
    }
    await response.arrayBuffer();
    const location = response.headers.get('location');
    assert.ok(location, `hop ${hop}: ${response.status} without a redirect`);
    url = new URL(location, url);
    if (url.href.startsWith(redirectUri)) return url;
  }
  assert.fail('the provider never redirected back');
}
