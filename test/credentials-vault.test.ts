/**
 * Upstream credential tokens sealed by the vault (issue 19 §1, §4): a row sealed before the vault
 * (with credentials.tokenEncryptionKey) keeps working once the vault is configured, `portcullis
 * vault rotate-kek` (the real CLI) seals it by the vault and later re-wraps its data key with a
 * new KEK, and after that the gateway serves the same token with neither the old key nor the old
 * KEK, without asking the provider again. A sealed value copied into another credential's row is
 * refused (its AAD names the row). `${secret:…}` works for the private_key_jwt key and a static
 * basic password. One SQLite store, restarted between phases.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { openStore } from '../src/store/open-store.js';
import { runCliAsync } from './helpers/cli.js';
import { httpRequest, startGateway, startUpstream, type TestGateway, type TestUpstream } from './helpers/index.js';
import { AdminClient, KEY_ENV, keysConfig } from './helpers/keys.js';
import { CLIENT_SECRET, startProvider, type TestProvider } from './helpers/oidc-provider.js';

const ENV = { ...KEY_ENV, PROVIDER_SECRET: CLIENT_SECRET, TOKEN_KEY: 'e'.repeat(40), K1: randomBytes(32).toString('base64'), K2: randomBytes(32).toString('base64') };
const kek = (name: string) => ({ source: 'env', key: `\${env:${name}}` });

describe('upstream credential tokens sealed by the vault', () => {
  let provider: TestProvider;
  let upstream: TestUpstream;
  let gw: TestGateway | undefined;
  const dir = mkdtempSync(join(tmpdir(), 'portcullis-creds-vault-'));
  const storePath = join(dir, 'store.db');
  const seen: Array<{ path: string; token: string; auth: string }> = [];

  before(async () => {
    provider = await startProvider();
    upstream = await startUpstream(async (req, res) => {
      const auth = String(req.headers.authorization ?? '');
      const token = /^Bearer (.+)$/.exec(auth)?.[1] ?? '';
      seen.push({ path: req.url!.split('/')[1]!, token, auth });
      const valid = auth.startsWith('Basic ') || (await provider.accessTokenValid(token));
      res.writeHead(valid ? 200 : 401).end();
    });
  });
  after(async () => {
    await gw?.close();
    await upstream?.close();
    await provider?.close();
  });

  /** (Re)starts the one node with these credentials and vault sections; returns the config file's path for the CLI. */
  const restart = async (sections: Record<string, unknown>) => {
    await gw?.close();
    const route = (name: string) => ({ name, methods: ['GET'], path: `/${name}/*`, upstream: 'backend', policies: { 'upstream-auth': { credential: name } } });
    const config = keysConfig(upstream.url, { ...sections, routes: ['payroll', 'other', 'jwt', 'basic'].map(route) }, { path: storePath, pollIntervalMs: 100 });
    const file = join(dir, `portcullis-${randomBytes(4).toString('hex')}.json`);
    writeFileSync(file, JSON.stringify(config));
    gw = await startGateway(config, { env: ENV });
    return file;
  };
  const admin = () => new AdminClient(gw!.gateway.adminUrl);
  const through = async (path: string) => (await httpRequest(`${gw!.url}/${path}/x`)).status;
  const sealedOf = async (name: string) => {
    const store = openStore({ driver: 'sqlite', path: storePath });
    try {
      return await store.db.selectFrom('upstream_credentials').select(['tokens_sealed', 'token_version']).where('name', '=', name).executeTakeFirstOrThrow();
    } finally {
      await store.close();
    }
  };
  const kekIdOf = (sealed: string | null) => sealed?.split(':')[1];
  const tokenRequests = () => provider.tokenRequests.filter((r) => r.clientId === 'cc-basic').length;
  const rotate = async (config: string) => {
    const run = await runCliAsync(['vault', 'rotate-kek', '--config', config, '--json'], ENV);
    assert.equal(run.status, 0, run.stderr);
    const result = JSON.parse(run.stdout) as { kekId: string; columns: { upstream_credential_tokens: { rewrapped: number; resealed: number; remaining: number } } };
    return { kekId: result.kekId, credentialTokens: result.columns.upstream_credential_tokens };
  };

  test('a row sealed with credentials.tokenEncryptionKey is read once the vault is on, sealed by the vault at rotate-kek, and served after the key is gone', async () => {
    await restart({ credentials: { tokenEncryptionKey: '${env:TOKEN_KEY}' } });
    for (const name of ['payroll', 'other']) {
      const reply = await admin().call('POST', '/v1/credentials', { name, kind: 'client_credentials', owner: 'team-hr', settings: { tokenUrl: provider.tokenUrl, clientId: 'cc-basic', clientAuth: 'client_secret_basic', clientSecret: '${env:PROVIDER_SECRET}' } });
      assert.equal(reply.status, 201, reply.text);
      assert.equal(await through(name), 200);
    }
    const token = seen.at(-2)!.token;
    const legacy = await sealedOf('payroll');
    assert.ok(legacy.tokens_sealed && !legacy.tokens_sealed.startsWith('pv1:'), 'sealed with the key before the vault');

    const withVault = await restart({ vault: { kek: kek('K1') }, credentials: { tokenEncryptionKey: '${env:TOKEN_KEY}' } });
    assert.equal(await through('payroll'), 200);
    assert.equal(seen.at(-1)!.token, token, 'the legacy row opened: the same token');
    await gw!.logs.waitFor((r) => r.event === 'credentials.legacy_sealed');
    const rotated = await rotate(withVault);
    assert.deepEqual(rotated.credentialTokens, { rewrapped: 0, resealed: 2, remaining: 0 });
    const resealed = await sealedOf('payroll');
    assert.equal(kekIdOf(resealed.tokens_sealed), rotated.kekId, 'now an envelope under the KEK');
    assert.equal(resealed.token_version, legacy.token_version, 'same tokens, same version');

    const rotating = await restart({ vault: { kek: kek('K2'), previousKeks: [kek('K1')] } });
    assert.equal(await through('payroll'), 200);
    const second = await rotate(rotating);
    assert.notEqual(second.kekId, rotated.kekId);
    assert.equal(second.credentialTokens.rewrapped, 2);
    assert.equal(kekIdOf((await sealedOf('payroll')).tokens_sealed), second.kekId);

    await restart({ vault: { kek: kek('K2') } });
    assert.equal(await through('payroll'), 200);
    assert.equal(seen.at(-1)!.token, token, 'opened under the new KEK alone');
    assert.equal(tokenRequests(), 2, 'no token request since the first two: every phase read the stored tokens');
    const records = await admin().call('GET', '/v1/audit?action=upstream_credential.reseal_tokens');
    assert.equal(records.status, 200, records.text);
    assert.equal(records.json<{ items: unknown[] }>().items.length, 4, 'each re-seal audited');
  });

  test('a sealed value copied into another credential\'s row does not open there, and is never sent', async () => {
    const payroll = await sealedOf('payroll');
    const other = await sealedOf('other');
    const otherToken = seen.filter((s) => s.path === 'other').at(-1)!.token;
    const payrollToken = seen.filter((s) => s.path === 'payroll').at(-1)!.token;
    await gw!.close();
    gw = undefined;
    const store = openStore({ driver: 'sqlite', path: storePath });
    await store.db.updateTable('upstream_credentials').set({ tokens_sealed: payroll.tokens_sealed, token_version: payroll.token_version }).where('name', '=', 'other').execute();
    await store.close();
    assert.notEqual(other.tokens_sealed, payroll.tokens_sealed);
    await restart({ vault: { kek: kek('K2') } });
    await gw!.logs.waitFor((r) => r.event === 'credentials.refresh_failed' && r.reason === 'sealed_tokens_unreadable' && r.credential === 'other');
    assert.equal(await through('other'), 200, 'a new token is obtained instead');
    const sent = seen.filter((s) => s.path === 'other').at(-1)!.token;
    assert.notEqual(sent, payrollToken, 'never the token of the row it was copied from');
    assert.notEqual(sent, otherToken);
  });

  test('${secret:…} for the private_key_jwt key and a static basic password, read from the vault per use', async () => {
    const set = async (name: string, value: string) => assert.equal((await admin().call('POST', `/v1/secrets/${name}/versions`, { value })).status, 201);
    await set('cc-jwt-key', provider.privateKeyPem);
    await set('partner-password', 'first-password');
    const create = async (body: Record<string, unknown>) => assert.equal((await admin().call('POST', '/v1/credentials', { owner: 'team-hr', ...body })).status, 201);
    await create({ name: 'jwt', kind: 'client_credentials', settings: { tokenUrl: provider.tokenUrl, issuer: provider.issuer, clientId: 'cc-jwt', clientAuth: 'private_key_jwt', privateKey: '${secret:cc-jwt-key}', keyId: 'cc-jwt-key' } });
    await create({ name: 'basic', kind: 'static', settings: { scheme: 'basic', username: 'gateway', secret: '${secret:partner-password}' } });
    assert.equal(await through('jwt'), 200);
    assert.equal(await through('basic'), 200);
    assert.equal(seen.at(-1)!.auth, `Basic ${Buffer.from('gateway:first-password').toString('base64')}`);
    await set('partner-password', 'second-password');
    await eventually(async () => {
      await through('basic');
      return seen.at(-1)!.auth === `Basic ${Buffer.from('gateway:second-password').toString('base64')}`;
    });
    assert.ok(!gw!.logs.text().includes('second-password') && !gw!.logs.text().includes('PRIVATE KEY'), 'no secret in any log line');
  });
});

async function eventually(condition: () => Promise<boolean>): Promise<void> {
  const deadline = Date.now() + 10_000;
  while (!(await condition())) {
    if (Date.now() > deadline) assert.fail('the new secret version was never used');
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}
