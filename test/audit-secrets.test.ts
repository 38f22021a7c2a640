/**
 * No secret ever reaches the audit trail (issue 17 "done when"): every kind of secret the gateway
 * has is created and rotated (API keys, OAuth client secrets, OAuth signing keys, the private CA's
 * key and an issued certificate's key, the bootstrap token, the pepper and the other configured
 * secrets), then the whole audit table (every column of every row) and an export bundle are
 * searched for each value, its stored hash, and its SHA-256 (a guessable hash).
 */
import assert from 'node:assert/strict';
import { createHash, generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { KeyEncryption } from '../src/oauth/key-encryption.js';
import { openStore } from '../src/store/open-store.js';
import type { AuditRecord } from '../src/store/audit-record.js';
import { runCliAsync } from './helpers/cli.js';
import { startUpstream, type TestUpstream } from './helpers/index.js';
import { ADMIN_TOKEN, KEY_ENV, keysConfig, OAUTH_ENV, OAUTH_ON, PEPPER, startKeyGateway } from './helpers/keys.js';

const AUDIT_KEY = generateKeyPairSync('ed25519').privateKey.export({ format: 'pem', type: 'pkcs8' }).toString();
const CA_PASSPHRASE = 'correct horse battery staple 42';
const ENV = { ...KEY_ENV, ...OAUTH_ENV, PORTCULLIS_AUDIT_KEY: AUDIT_KEY, PTC_CA_PASSPHRASE: CA_PASSPHRASE };

let upstream: TestUpstream;
let gw: Awaited<ReturnType<typeof startKeyGateway>>;
let work: string;
let configFile: string;

before(async () => {
  upstream = await startUpstream();
  work = mkdtempSync(join(tmpdir(), 'portcullis-audit-secrets-'));
  const extra = { ...OAUTH_ON, audit: { signingKey: '${env:PORTCULLIS_AUDIT_KEY}', checkpoint: { everyRecords: 2 } } };
  const store = { path: join(work, 'store.db'), pollIntervalMs: 100 };
  configFile = join(work, 'portcullis.json');
  writeFileSync(configFile, JSON.stringify(keysConfig(upstream.url, extra, store)));
  gw = await startKeyGateway(upstream.url, extra, { store, env: ENV });
});
after(async () => {
  await gw?.close();
  await upstream?.close();
  rmSync(work, { recursive: true, force: true });
});

/** The long base64 lines of a PEM: the key material itself. */
const pemBody = (pem: string) => pem.split('\n').filter((line) => line.length >= 40 && !line.startsWith('-----'));
const sha256 = (value: string) => [createHash('sha256').update(value).digest('hex'), createHash('sha256').update(value).digest('base64url')];

test('no secret, stored hash or guessable hash of one appears in the audit table or an export', async () => {
  const secrets: Array<[string, string]> = [];
  const remember = (label: string, value: string) => {
    assert.ok(value.length >= 16, `${label} is a real secret`);
    secrets.push([label, value]);
    for (const hash of sha256(value)) secrets.push([`sha256(${label})`, hash]);
  };
  const call = async <T>(method: string, path: string, body?: unknown, status = [200, 201]) => {
    const reply = await gw.admin.call(method, path, body);
    assert.ok(status.includes(reply.status), `${method} ${path}: ${reply.status} ${reply.text}`);
    return reply.json<T>();
  };

  const consumer = await gw.admin.consumer('secretive-partner');
  const key = await call<{ secret: string; apiKey: { id: string } }>('POST', '/v1/keys', { consumerId: consumer, name: 'k' });
  remember('api key', key.secret);
  const rotatedKey = await call<{ secret: string; apiKey: { id: string } }>('POST', `/v1/keys/${key.apiKey.id}/rotate`, {});
  remember('rotated api key', rotatedKey.secret);
  await call('POST', `/v1/keys/${rotatedKey.apiKey.id}/revoke`);

  const client = await call<{ clientSecret: string; client: { clientId: string } }>('POST', '/v1/oauth/clients', { consumerId: consumer, name: 'c' });
  remember('client secret', client.clientSecret);
  const rotatedClient = await call<{ clientSecret: string }>('POST', `/v1/oauth/clients/${client.client.clientId}/rotate`, {});
  remember('rotated client secret', rotatedClient.clientSecret);
  await call('POST', '/v1/oauth/signing-keys/rotate', {});

  const ca = join(work, 'ca');
  const cli = (...args: string[]) => runCliAsync(args, { ...ENV, PORTCULLIS_ADMIN_URL: gw.gateway.adminUrl, PORTCULLIS_ADMIN_TOKEN: ADMIN_TOKEN });
  assert.equal((await cli('ca', 'init', '--dir', ca, '--subject', 'CN=Secret CA', '--key-passphrase-env', 'PTC_CA_PASSPHRASE')).status, 0);
  const issued = await cli('certs', 'issue', '--dir', ca, '--config', configFile, '--consumer', consumer, '--out', join(work, 'c.crt'), '--out-key', join(work, 'c.key'), '--json');
  assert.equal(issued.status, 0, issued.stderr);

  // What the store and the files hold: hashes and encrypted forms count as secrets too.
  const opened = openStore({ driver: 'sqlite', path: join(work, 'store.db') });
  try {
    for (const row of await opened.db.selectFrom('api_keys').select('hash').execute()) remember('api key hash', row.hash);
    for (const row of await opened.db.selectFrom('oauth_clients').select(['secret_hash', 'previous_secret_hash']).execute()) {
      if (row.secret_hash) remember('client secret hash', row.secret_hash);
      if (row.previous_secret_hash) remember('previous client secret hash', row.previous_secret_hash);
    }
    const encryption = new KeyEncryption(OAUTH_ENV.OAUTH_SECRET);
    const signingKeys = await opened.db.selectFrom('oauth_signing_keys').select(['id', 'private_jwk_encrypted']).execute();
    assert.ok(signingKeys.length >= 2, 'a first key and its rotation');
    for (const row of signingKeys) {
      remember('encrypted signing key', row.private_jwk_encrypted);
      remember('signing key d', (JSON.parse(encryption.decrypt(row.private_jwk_encrypted, row.id)) as { d: string }).d);
    }
  } finally {
    await opened.close();
  }
  for (const line of pemBody(readFileSync(join(ca, 'ca.key.pem'), 'utf8'))) remember('CA key (encrypted PEM)', line);
  for (const line of pemBody(readFileSync(join(work, 'c.key'), 'utf8'))) remember('issued certificate key', line);
  for (const line of pemBody(AUDIT_KEY)) remember('audit signing key', line);
  remember('CA passphrase', CA_PASSPHRASE);
  remember('bootstrap token', ADMIN_TOKEN);
  remember('pepper', PEPPER);
  remember('oauth signing key secret', OAUTH_ENV.OAUTH_SECRET);

  const bundle = join(work, 'bundle');
  const exported = await cli('audit', 'export', '--out', bundle);
  assert.equal(exported.status, 0, exported.stderr);
  const exportText = readdirSync(bundle).map((file) => readFileSync(join(bundle, file), 'utf8')).join('\n');

  const audit = openStore({ driver: 'sqlite', path: join(work, 'store.db') });
  let tableText: string;
  let records: AuditRecord[];
  try {
    const rows = await audit.db.selectFrom('audit_records').selectAll().execute();
    tableText = rows.map((row) => Object.values(row).join('\u0000')).join('\n');
    records = rows.map((row) => JSON.parse(row.record) as AuditRecord);
  } finally {
    await audit.close();
  }

  // The trail did record every one of those changes (else searching it would prove nothing).
  const actions = new Set(records.map((record) => record.action));
  for (const action of ['api_key.create', 'api_key.rotate', 'api_key.revoke', 'oauth_client.create', 'oauth_client.rotate_secret', 'signing_key.rotate', 'certificate.issue']) assert.ok(actions.has(action), `${action} is in the trail`);
  const rotation = records.find((record) => record.action === 'oauth_client.rotate_secret')!;
  assert.deepEqual([rotation.changes?.before?.secretHash, rotation.changes?.after?.secretHash], ['[secret]', '[secret: replaced]'], 'a rotation says a secret changed, not what it is');

  for (const [label, value] of secrets) {
    assert.ok(!tableText.includes(value), `${label} is in the audit table`);
    assert.ok(!exportText.includes(value), `${label} is in the export`);
  }
});
