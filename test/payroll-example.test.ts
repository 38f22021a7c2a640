/**
 * examples/payroll-outbound.yaml cannot rot: it passes `config validate`, and it runs end to end.
 * The example is copied with only addresses changed; the provider is a real OAuth server
 * (oidc-provider) and the payroll API a real upstream that accepts only the provider's valid
 * tokens. The walk-through of docs/outbound.md is played with the real CLI: the HR portal's
 * consumer and API key, the provider's credential with its secret from a file into the vault; then
 * the portal's call carries the provider's token (never the portal's key), the token is refreshed
 * after it expires (the gateway's clock moved by hand), and with the provider down and the token
 * expired the portal gets 503 upstream.credential_unavailable and nothing is sent.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { parse, stringify } from 'yaml';
import { formatIssue, loadConfigFile } from '../src/config/loader.js';
import { ManualClock } from '../src/core/clock.js';
import { Gateway } from '../src/server/gateway.js';
import { runCliAsync } from './helpers/cli.js';
import { assertProblem, httpRequest, LogCapture, startUpstream } from './helpers/index.js';
import { CLIENT_SECRET, startProvider } from './helpers/oidc-provider.js';

const EXAMPLE = new URL('../../examples/payroll-outbound.yaml', import.meta.url);
const HOUR = 3_600_000;

test('examples/payroll-outbound.yaml passes config validate', async () => {
  const result = await runCliAsync(['config', 'validate', EXAMPLE.pathname, '--no-resolve-secrets']);
  assert.equal(result.status, 0, result.stderr);
  assert.match(result.stdout, /is valid: 1 routes, 1 upstreams/);
});

test('the payroll-outbound example runs: the portal\'s call carries the provider\'s token, refreshed after expiry; provider down and token expired: 503', async () => {
  const provider = await startProvider();
  const seen: Array<{ url: string; authorization: string; apiKey: string | undefined; valid: boolean }> = [];
  const payroll = await startUpstream(async (req, res) => {
    const authorization = String(req.headers.authorization ?? '');
    const valid = await provider.accessTokenValid(authorization.replace(/^Bearer /, ''));
    seen.push({ url: req.url!, authorization, apiKey: req.headers['x-api-key'] as string | undefined, valid });
    res.writeHead(valid ? 200 : 401, { 'content-type': 'application/json' }).end(JSON.stringify({ id: 42, name: 'Ada' }));
  });
  const root = mkdtempSync(join(tmpdir(), 'portcullis-payroll-'));
  const config = parse(readFileSync(EXAMPLE, 'utf8')) as Record<string, any>;
  for (const listener of config.listeners) Object.assign(listener, { host: '127.0.0.1', port: 0 });
  config.admin.port = 0;
  config.store.path = join(root, 'payroll.db');
  config.upstreams.payroll.targets = [payroll.url];
  delete config.$schema;
  writeFileSync(join(root, 'payroll.yaml'), stringify(config));
  const env = {
    PORTCULLIS_ADMIN_TOKEN: 'admin-token-for-the-payroll-example-01',
    PORTCULLIS_KEY_PEPPER: 'pepper-for-the-payroll-example-0123456789',
    PORTCULLIS_VAULT_KEK: randomBytes(32).toString('base64'),
  };
  const loaded = await loadConfigFile(join(root, 'payroll.yaml'), env);
  assert.ok(loaded.ok, loaded.ok ? '' : loaded.issues.map(formatIssue).join('\n'));
  const clock = new ManualClock(Date.now());
  const logs = new LogCapture();
  const gateway = await Gateway.start({ config: loaded.config, logDestination: logs, env, clock });
  try {
    const cliEnv = { ...env, PORTCULLIS_ADMIN_URL: gateway.adminUrl };
    const cli = async (...args: string[]) => {
      const run = await runCliAsync(args, cliEnv);
      assert.equal(run.status, 0, `${args.join(' ')}: ${run.stderr}`);
      return run.stdout;
    };
    const consumer = JSON.parse(await cli('consumers', 'create', 'hr-portal', '--json')) as { id: string };
    const key = (JSON.parse(await cli('keys', 'create', '--consumer', consumer.id, '--name', 'prod', '--json')) as { secret: string }).secret;
    writeFileSync(join(root, 'payroll-client-secret'), CLIENT_SECRET);
    await cli('credentials', 'create', 'payroll', '--kind', 'client_credentials', '--owner', 'team-hr', '--token-url', provider.tokenUrl, '--client-id', 'cc-basic', '--client-auth', 'client_secret_basic', '--client-secret-file', join(root, 'payroll-client-secret'), '--scope', 'payroll.read');

    const url = `${gateway.url('internal')}/payroll/employees/42`;
    const call = () => httpRequest(url, { headers: { 'x-api-key': key } });
    assertProblem(await httpRequest(url), 401, 'auth.missing_credentials');
    assert.equal(seen.length, 0, 'no key: nothing sent');
    const first = await call();
    assert.equal(first.status, 200, first.text);
    assert.deepEqual(first.json(), { id: 42, name: 'Ada' });
    assert.equal(seen.at(-1)!.url, '/employees/42');
    assert.ok(seen.at(-1)!.valid, 'the provider\'s token');
    assert.equal(seen.at(-1)!.apiKey, undefined, 'the portal\'s key does not leave the gateway');
    assert.equal((await call()).status, 200);
    assert.equal(provider.tokenRequests.length, 1, 'one token for both calls');

    clock.advance(HOUR + 1000);
    assert.equal((await call()).status, 200);
    assert.equal(provider.tokenRequests.length, 2, 'refreshed after the expiry');
    assert.notEqual(seen.at(-1)!.authorization, seen.at(-2)!.authorization);

    await provider.stop();
    clock.advance(HOUR + 1000);
    const before = seen.length;
    assertProblem(await call(), 503, 'upstream.credential_unavailable');
    assert.equal(seen.length, before, 'no expired token sent');
    await logs.waitFor((r) => r.event === 'credentials.unavailable' && r.credential === 'payroll');
    assert.ok(!logs.text().includes(CLIENT_SECRET) && !logs.text().includes(key), 'no secret in any log line');
  } finally {
    await gateway.close(1000);
    await payroll.close();
    await provider.close();
  }
});
