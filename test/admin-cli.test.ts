import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { migrations } from '../src/store/migrations.js';
import { runCliAsync } from './helpers/cli.js';
import { httpRequest, startUpstream, type TestUpstream } from './helpers/index.js';
import { ADMIN_TOKEN, KEY_ENV, keysConfig, startKeyGateway } from './helpers/keys.js';

describe('consumers, keys and migrate commands', () => {
  let upstream: TestUpstream;
  let gw: Awaited<ReturnType<typeof startKeyGateway>>;
  let env: NodeJS.ProcessEnv;
  const cli = (...args: string[]) => runCliAsync(args, env);

  before(async () => {
    upstream = await startUpstream();
    gw = await startKeyGateway(upstream.url, { routes: [{ name: 'r', methods: ['GET'], path: '/*', upstream: 'backend', policies: { 'auth-apikey': {}, ratelimit: { limits: [{ name: 'per-day', limit: 100000, windowSeconds: 86400 }] } } }] });
    env = { PORTCULLIS_ADMIN_URL: gw.gateway.adminUrl, PORTCULLIS_ADMIN_TOKEN: ADMIN_TOKEN };
  });
  after(async () => {
    await gw.close();
    await upstream.close();
  });

  test('creates, lists, shows, disables and enables consumers, as tables and as JSON', async () => {
    const created = await cli('consumers', 'create', 'acme-bank', '--metadata', '{"tier":"gold"}', '--json');
    assert.equal(created.status, 0, created.stderr);
    const consumer = JSON.parse(created.stdout) as { id: string; metadata: { tier: string } };
    assert.equal(consumer.metadata.tier, 'gold');
    const listed = await cli('consumers', 'list');
    assert.match(listed.stdout, /^ID\s+NAME\s+STATUS\s+CREATEDAT/);
    assert.match(listed.stdout, new RegExp(`${consumer.id}\\s+acme-bank\\s+active`));
    assert.match((await cli('consumers', 'show', consumer.id)).stdout, /gold/);
    assert.match((await cli('consumers', 'disable', consumer.id)).stdout, /disabled/);
    assert.match((await cli('consumers', 'enable', consumer.id)).stdout, /active/);
  });

  test('sets, lists and deletes rate-limit overrides, and refuses an ambiguous subject', async () => {
    const consumer = JSON.parse((await cli('consumers', 'create', 'limited-co', '--json')).stdout) as { id: string };
    const set = await cli('limits', 'set', '--consumer', consumer.id, '--name', 'per-day', '--limit', '500', '--burst', '50', '--json');
    assert.equal(set.status, 0, set.stderr);
    const override = JSON.parse(set.stdout) as { id: string; limit: number; burst: number; windowSeconds: null };
    assert.deepEqual([override.limit, override.burst, override.windowSeconds], [500, 50, null]);
    const listed = await cli('limits', 'list', '--consumer', consumer.id);
    assert.match(listed.stdout, /^ID\s+SUBJECTTYPE\s+SUBJECTID\s+LIMITNAME/);
    assert.match(listed.stdout, new RegExp(`${override.id}\\s+consumer\\s+${consumer.id}\\s+per-day\\s+500`));
    const both = await cli('limits', 'set', '--consumer', consumer.id, '--key', 'abc', '--name', 'per-day', '--limit', '5');
    assert.notEqual(both.status, 0);
    assert.match(both.stderr, /--consumer or --key, not both/);
    assert.notEqual((await cli('limits', 'set', '--consumer', consumer.id, '--name', 'per-day', '--limit', '-3')).status, 0);
    assert.match((await cli('limits', 'delete', override.id)).stdout, /deleted/);
    assert.doesNotMatch((await cli('limits', 'list')).stdout, new RegExp(override.id));
  });

  test('issues a key once, lists and shows it without the key, rotates and revokes it', async () => {
    const consumer = JSON.parse((await cli('consumers', 'create', 'payroll-co', '--json')).stdout) as { id: string };
    const created = await cli('keys', 'create', '--consumer', consumer.id, '--name', 'prod', '--scope', 'accounts:read', '--scope', 'payments:write');
    assert.equal(created.status, 0, created.stderr);
    const key = /(ptc_live_[0-9A-Za-z]{32}_[0-9A-Za-z]{6})/.exec(created.stdout)![1]!;
    assert.match(created.stdout, /shown only this once/);
    const id = key.slice('ptc_live_'.length, 'ptc_live_'.length + 8);

    const listed = await cli('keys', 'list', '--consumer', consumer.id);
    assert.match(listed.stdout, new RegExp(`${id}.*accounts:read payments:write`));
    assert.doesNotMatch(listed.stdout + (await cli('keys', 'show', id)).stdout, new RegExp(key));

    const rotated = JSON.parse((await cli('keys', 'rotate', id, '--grace-seconds', '60', '--json')).stdout) as { secret: string; previous: { replacedBy: string } };
    assert.match(rotated.secret, /^ptc_live_/);
    assert.notEqual(rotated.secret, key);
    assert.ok(rotated.previous.replacedBy);
    const revoked = JSON.parse((await cli('keys', 'revoke', rotated.previous.replacedBy, '--json')).stdout) as { status: string };
    assert.equal(revoked.status, 'revoked');
  });

  test('says plainly when the token is wrong or the admin API is unreachable', async () => {
    const wrong = await runCliAsync(['consumers', 'list'], { PORTCULLIS_ADMIN_URL: gw.gateway.adminUrl, PORTCULLIS_ADMIN_TOKEN: 'wrong' });
    assert.equal(wrong.status, 1);
    assert.match(wrong.stderr, /401 admin\.unauthorized/);
    const unreachable = await runCliAsync(['keys', 'list'], { PORTCULLIS_ADMIN_URL: 'http://127.0.0.1:1', PORTCULLIS_ADMIN_TOKEN: 'x' });
    assert.equal(unreachable.status, 1);
    assert.match(unreachable.stderr, /cannot reach the admin API/);
    const invalid = await cli('keys', 'create', '--consumer', 'con_nobody', '--name', 'x');
    assert.match(invalid.stderr, /404 admin\.not_found/);
  });

  test('migrate applies pending migrations once, then reports the store up to date', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'portcullis-migrate-'));
    const file = join(dir, 'portcullis.json');
    writeFileSync(file, JSON.stringify({ ...keysConfig(upstream.url), store: { path: join(dir, 'store.db') } }));
    const first = await runCliAsync(['migrate', '--config', file, '--json'], KEY_ENV);
    assert.equal(first.status, 0, first.stderr);
    // Every migration, in order (the list grows with the store; this test must not).
    assert.deepEqual(JSON.parse(first.stdout), { applied: Object.keys(migrations('sqlite')).sort() });
    assert.match((await runCliAsync(['migrate', '--config', file], KEY_ENV)).stdout, /up to date/);
  });

  test('start and config validate refuse an admin token shorter than 24 characters', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'portcullis-token-'));
    const file = join(dir, 'portcullis.json');
    writeFileSync(file, JSON.stringify({ ...keysConfig(upstream.url), store: { path: join(dir, 'store.db') } }));
    const result = await runCliAsync(['start', '--config', file], { ...KEY_ENV, PORTCULLIS_ADMIN_TOKEN: 'short-token' });
    assert.equal(result.status, 1);
    assert.match(result.stderr, /admin\.token: must be at least 24 characters \(\$\{env:PORTCULLIS_ADMIN_TOKEN\} has fewer\)/);
    const validated = await runCliAsync(['config', 'validate', file], { ...KEY_ENV, PORTCULLIS_ADMIN_TOKEN: 'short-token' });
    assert.equal(validated.status, 1, 'config validate checks what start enforces');
    assert.match(validated.stderr, /admin\.token: must be at least 24 characters/);
  });

  test('start and config validate refuse a pepper shorter than 32 characters with a plain message', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'portcullis-pepper-'));
    const file = join(dir, 'portcullis.json');
    writeFileSync(file, JSON.stringify({ ...keysConfig(upstream.url), store: { path: join(dir, 'store.db') } }));
    const result = await runCliAsync(['start', '--config', file], { ...KEY_ENV, PORTCULLIS_KEY_PEPPER: 'short' });
    assert.equal(result.status, 1);
    assert.match(result.stderr, /is invalid:\n  apiKeys\.pepper: must be at least 32 characters \(\$\{env:PORTCULLIS_KEY_PEPPER\} has fewer\)/);
    assert.doesNotMatch(result.stderr, /short/);
    const validated = await runCliAsync(['config', 'validate', file], { ...KEY_ENV, PORTCULLIS_KEY_PEPPER: 'short' });
    assert.equal(validated.status, 1, 'config validate checks what start enforces');
    assert.match(validated.stderr, /apiKeys\.pepper: must be at least 32 characters/);
    assert.doesNotMatch(validated.stderr, /short/);
  });

  test('a key issued by the CLI opens a protected route', async () => {
    const consumer = JSON.parse((await cli('consumers', 'create', 'cli-partner', '--json')).stdout) as { id: string };
    const created = JSON.parse((await cli('keys', 'create', '--consumer', consumer.id, '--name', 'k', '--json')).stdout) as Record<string, unknown>;
    // Unmistakable: `secret` is the key itself, `apiKey` its record (which never holds the secret).
    assert.deepEqual(Object.keys(created).sort(), ['apiKey', 'secret']);
    const key = created.secret as string;
    assert.match(key, /^ptc_live_[0-9A-Za-z]{32}_[0-9A-Za-z]{6}$/);
    assert.doesNotMatch(JSON.stringify(created.apiKey), new RegExp(key));
    let status = 0;
    for (let i = 0; i < 30 && status !== 200; i++) {
      status = (await httpRequest(`${gw.url}/x`, { headers: { 'x-api-key': key } })).status;
      if (status !== 200) await new Promise((resolve) => setTimeout(resolve, 50));
    }
    assert.equal(status, 200);
  });
});
