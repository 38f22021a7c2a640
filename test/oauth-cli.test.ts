import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { exportJWK, generateKeyPair } from 'jose';
import { runCliAsync } from './helpers/cli.js';
import { httpRequest, startUpstream, type TestUpstream } from './helpers/index.js';
import { ADMIN_TOKEN, startKeyGateway } from './helpers/keys.js';

describe('clients and signing-keys commands', () => {
  let upstream: TestUpstream;
  let gw: Awaited<ReturnType<typeof startKeyGateway>>;
  let env: NodeJS.ProcessEnv;
  const cli = (...args: string[]) => runCliAsync(args, env);

  before(async () => {
    upstream = await startUpstream();
    gw = await startKeyGateway(
      upstream.url,
      { oauth: { issuer: 'http://127.0.0.1', audience: 'https://api.example', signingKeySecret: '${env:PORTCULLIS_OAUTH_KEY_SECRET}' } },
      { env: { PORTCULLIS_OAUTH_KEY_SECRET: 'oauth-signing-key-secret-0123456789abcdef' } },
    );
    env = { PORTCULLIS_ADMIN_URL: gw.gateway.adminUrl, PORTCULLIS_ADMIN_TOKEN: ADMIN_TOKEN };
  });
  after(async () => {
    await gw.close();
    await upstream.close();
  });

  test('creates a client with its secret shown once, lists, shows, rotates and revokes it', async () => {
    const consumer = JSON.parse((await cli('consumers', 'create', 'acme-bank', '--json')).stdout) as { id: string };
    const created = await cli('clients', 'create', '--consumer', consumer.id, '--name', 'payroll sync', '--scope', 'accounts:read');
    assert.equal(created.status, 0, created.stderr);
    const secret = /\n {2}(pcs_[0-9A-Za-z]+)\n/.exec(created.stdout)?.[1];
    const clientId = /client_id:\s+(cli_[0-9A-Za-z]+)/.exec(created.stdout)?.[1];
    assert.ok(secret && clientId, created.stdout);
    const token = await httpRequest(`${gw.url}/oauth2/token`, {
      method: 'POST',
      headers: { authorization: `Basic ${Buffer.from(`${clientId}:${secret}`).toString('base64')}`, 'content-type': 'application/x-www-form-urlencoded' },
      body: 'grant_type=client_credentials',
    });
    assert.equal(token.status, 200, token.text);
    const listed = await cli('clients', 'list', '--consumer', consumer.id);
    assert.match(listed.stdout, /^CLIENTID\s+CONSUMERID/);
    assert.match(listed.stdout, new RegExp(`${clientId}\\s+${consumer.id}\\s+payroll sync\\s+active`));
    assert.doesNotMatch(listed.stdout + (await cli('clients', 'show', clientId)).stdout, new RegExp(secret));
    const rotated = JSON.parse((await cli('clients', 'rotate', clientId, '--grace-seconds', '60', '--json')).stdout) as { clientSecret: string; client: { previousSecretValidUntil: string } };
    assert.notEqual(rotated.clientSecret, secret);
    assert.ok(rotated.client.previousSecretValidUntil);
    assert.match((await cli('clients', 'revoke', clientId)).stdout, /revoked/);
  });

  test('registers public keys for private_key_jwt from a file, and refuses a private key', async () => {
    const consumer = JSON.parse((await cli('consumers', 'create', 'keys-only', '--json')).stdout) as { id: string };
    const { publicKey, privateKey } = await generateKeyPair('ES256', { extractable: true });
    const dir = mkdtempSync(join(tmpdir(), 'portcullis-jwks-'));
    writeFileSync(join(dir, 'public.json'), JSON.stringify({ keys: [{ ...(await exportJWK(publicKey)), kid: 'k1' }] }));
    writeFileSync(join(dir, 'private.json'), JSON.stringify({ keys: [{ ...(await exportJWK(privateKey)), kid: 'k1' }] }));
    const created = JSON.parse((await cli('clients', 'create', '--consumer', consumer.id, '--name', 'signer', '--jwks', join(dir, 'public.json'), '--no-secret', '--json')).stdout) as { clientSecret?: string; client: { authMethods: string[] } };
    assert.equal(created.clientSecret, undefined);
    assert.deepEqual(created.client.authMethods, ['private_key_jwt']);
    const refused = await cli('clients', 'create', '--consumer', consumer.id, '--name', 'oops', '--jwks', join(dir, 'private.json'));
    assert.equal(refused.status, 1);
    assert.match(refused.stderr, /public keys only/);
  });

  test('lists signing keys and rotates them; the retired key stays published', async () => {
    const before = JSON.parse((await cli('signing-keys', 'list', '--json')).stdout) as Array<{ kid: string; status: string }>;
    assert.equal(before.filter((key) => key.status === 'active').length, 1);
    const after = JSON.parse((await cli('signing-keys', 'rotate', '--json')).stdout) as Array<{ kid: string; status: string; published: boolean }>;
    const old = after.find((key) => key.kid === before[0]!.kid)!;
    assert.deepEqual([old.status, old.published], ['retired', true]);
    assert.equal(after.filter((key) => key.status === 'active').length, 1);
    assert.match((await cli('signing-keys', 'list')).stdout, /^KID\s+ALGORITHM\s+STATUS/);
  });
});
