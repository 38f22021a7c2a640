/**
 * The built-in authorization server's signing keys and the audit checkpoint key in the vault
 * (issue 19 §2), on SQLite and PostgreSQL: a deployment from before the vault (its private key
 * encrypted with oauth.signingKeySecret) restarted with a vault has its key resealed by the vault
 * at start (same kid, a token signed before still accepted, audited as signing_key.reseal); then
 * it runs without oauth.signingKeySecret at all; new keys are sealed by the vault; the audit
 * checkpoint key comes from `${secret:NAME}` and signs checkpoints that verify. Neither private key
 * appears in the store in the clear (the SQLite file and its WAL, every PostgreSQL table through a
 * backup, are searched for the key material).
 */
import assert from 'node:assert/strict';
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { AuditLog } from '../src/audit/audit-log.js';
import { verifyChain } from '../src/audit/verify.js';
import { ManualClock, systemClock } from '../src/core/clock.js';
import { PUBLISH_AHEAD_MS } from '../src/oauth/oauth-state.js';
import { KeyEncryption } from '../src/oauth/key-encryption.js';
import { createLogger } from '../src/observability/logger.js';
import { writeBackup } from '../src/store/backup.js';
import { migrateToLatest, openStore, type StoreLocation } from '../src/store/open-store.js';
import { KekRing, LocalKek } from '../src/vault/kek.js';
import { SecretRepository } from '../src/vault/secret-repository.js';
import { VaultService } from '../src/vault/vault-service.js';
import { eventually, freePort, httpRequest, startUpstream, type TestUpstream } from './helpers/index.js';
import { startKeyGateway } from './helpers/keys.js';
import { createPostgresSchema, POSTGRES_URL, skipWithoutPostgres } from './helpers/services.js';
import { storeFor, TEST_ACTOR } from './helpers/store.js';

const KEK = randomBytes(32);
const OAUTH_SECRET = `oauth-secret-${randomBytes(16).toString('hex')}`;
const AUDIENCE = 'https://api.example';
const quiet = createLogger({ level: 'silent', redactHeaders: [] }, { write: () => true });
const AUDIT_KEY = generateKeyPairSync('ed25519').privateKey.export({ format: 'pem', type: 'pkcs8' }).toString();

const backends = [
  {
    name: 'SQLite',
    skip: false as const,
    async open() {
      const dir = mkdtempSync(join(tmpdir(), 'portcullis-signing-'));
      const path = join(dir, 'store.db');
      const location: StoreLocation = { driver: 'sqlite', path };
      /** Every byte the database keeps: the file and its WAL. */
      const contents = async () => readdirSync(dir).map((name) => readFileSync(join(dir, name)).toString('latin1')).join('\n');
      return { store: { path, pollIntervalMs: 100 }, env: {} as Record<string, string>, location, contents, cleanup: async () => {} };
    },
  },
  {
    name: 'PostgreSQL',
    skip: skipWithoutPostgres,
    async open() {
      const { schema, drop } = await createPostgresSchema();
      const url = new URL(POSTGRES_URL);
      url.searchParams.set('options', `-c search_path=${schema}`);
      const location: StoreLocation = { driver: 'postgres', url: POSTGRES_URL, schema };
      /** Every row of every table, through a backup. */
      const contents = async () => {
        const opened = openStore(location);
        const file = join(mkdtempSync(join(tmpdir(), 'portcullis-signing-pg-')), 'all.backup');
        try {
          await writeBackup(opened, file);
        } finally {
          await opened.close();
        }
        return readFileSync(file, 'utf8');
      };
      return { store: { driver: 'postgres', url: '${env:PORTCULLIS_TEST_DATABASE_URL}', pollIntervalMs: 100 }, env: { PORTCULLIS_TEST_DATABASE_URL: url.toString() }, location, contents, cleanup: drop };
    },
  },
];

for (const backend of backends) {
  describe(`signing keys in the vault (${backend.name})`, { skip: backend.skip }, () => {
    let upstream: TestUpstream;
    let db: Awaited<ReturnType<(typeof backend)['open']>>;
    let issuer: string;
    let port: number;
    let client: { id: string; secret: string };
    let legacyKid: string;
    let legacyD: string;
    let tokenBefore: string;
    const clock = new ManualClock(Date.now());

    const start = (options: { vault: boolean; oauthSecret: boolean; auditKey?: boolean }) =>
      startKeyGateway(
        upstream.url,
        {
          listeners: [{ name: 'public', host: '127.0.0.1', port }],
          oauth: { issuer, audience: AUDIENCE, ...(options.oauthSecret ? { signingKeySecret: '${env:OAUTH_SECRET}' } : {}) },
          ...(options.vault ? { vault: { kek: { source: 'env', key: '${env:PORTCULLIS_VAULT_KEK}' } } } : {}),
          ...(options.auditKey ? { audit: { signingKey: '${secret:audit-signing-key}', checkpoint: { everyRecords: 1, everySeconds: 1 } } } : {}),
          routes: [{ name: 'accounts', methods: ['GET'], path: '/v1/accounts', upstream: 'backend', policies: { 'auth-jwt': { issuers: [{ issuer, builtin: true }], audiences: [AUDIENCE], typ: 'at+jwt' } } }],
        },
        { clock, store: db.store, env: { ...db.env, OAUTH_SECRET, PORTCULLIS_VAULT_KEK: KEK.toString('base64') } },
      );
    const token = async (url: string) => {
      const reply = await httpRequest(`${url}/oauth2/token`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded', authorization: `Basic ${Buffer.from(`${client.id}:${client.secret}`).toString('base64')}` },
        body: 'grant_type=client_credentials',
      });
      assert.equal(reply.status, 200, reply.text);
      return reply.json<{ access_token: string }>().access_token;
    };
    const accepted = async (url: string, accessToken: string) => (await httpRequest(`${url}/v1/accounts`, { headers: { authorization: `Bearer ${accessToken}` } })).status;
    const kidOf = (jwt: string) => (JSON.parse(Buffer.from(jwt.split('.')[0]!, 'base64url').toString()) as { kid: string }).kid;
    const signingRows = async () => {
      const opened = openStore(db.location);
      try {
        return await opened.db.selectFrom('oauth_signing_keys').select(['id', 'private_jwk_encrypted']).orderBy('created_at').execute();
      } finally {
        await opened.close();
      }
    };

    before(async () => {
      upstream = await startUpstream();
      db = await backend.open();
      port = await freePort();
      issuer = `http://127.0.0.1:${port}`;
      // Before the vault: the key is encrypted with oauth.signingKeySecret.
      const legacy = await start({ vault: false, oauthSecret: true });
      try {
        const consumerId = await legacy.admin.consumer('acme');
        const created = await legacy.admin.call('POST', '/v1/oauth/clients', { consumerId, name: 'sync', scopes: [] });
        assert.equal(created.status, 201, created.text);
        const body = created.json<{ clientSecret: string; client: { clientId: string } }>();
        client = { id: body.client.clientId, secret: body.clientSecret };
        await eventually(() => legacy.gateway.services.oauth!.state.client(client.id) !== undefined, 'the client reaches the state');
        tokenBefore = await token(legacy.url);
        assert.equal(await accepted(legacy.url, tokenBefore), 200);
      } finally {
        await legacy.close();
      }
      const [row] = await signingRows();
      assert.match(row!.private_jwk_encrypted, /^v1\./);
      legacyKid = row!.id;
      legacyD = (JSON.parse(new KeyEncryption(OAUTH_SECRET).decrypt(row!.private_jwk_encrypted, row!.id)) as { d: string }).d;
      // The audit checkpoint key, set in the vault as an operator would (from a file).
      const opened = openStore(db.location);
      await migrateToLatest(opened);
      const writer = storeFor(opened, systemClock);
      await new VaultService(writer, new SecretRepository(writer.db), new KekRing(new LocalKek(KEK, 'env')), quiet).set(TEST_ACTOR, 'audit-signing-key', Buffer.from(AUDIT_KEY));
      await writer.close();
    });
    after(async () => {
      await upstream?.close();
      await db?.cleanup();
    });

    test('a key from before the vault is resealed by it at start: same kid, a token signed before is still accepted, audited', async () => {
      const gw = await start({ vault: true, oauthSecret: true });
      try {
        assert.equal(await accepted(gw.url, tokenBefore), 200);
        assert.equal(kidOf(await token(gw.url)), legacyKid);
        assert.ok(gw.logs.records.some((record) => record.event === 'oauth.signing_keys_resealed' && record.sealed === 1));
        const audit = await gw.admin.call('GET', '/v1/audit?action=signing_key.reseal');
        assert.equal(audit.status, 200);
        const items = audit.json<{ items: Array<{ target: { id: string }; detail: Record<string, unknown> }> }>().items;
        assert.deepEqual(items.map((item) => [item.target.id, item.detail.from, item.detail.toKek]), [[legacyKid, 'oauth.signingKeySecret', new LocalKek(KEK, 'env').id]]);
      } finally {
        await gw.close();
      }
      const rows = await signingRows();
      assert.deepEqual(rows.map((row) => row.private_jwk_encrypted.slice(0, 4)), ['pv1:']);
    });

    test('without oauth.signingKeySecret the vault alone signs; a rotated key is sealed by the vault; the audit key comes from ${secret:}', async () => {
      const gw = await start({ vault: true, oauthSecret: false, auditKey: true });
      try {
        assert.equal(await accepted(gw.url, tokenBefore), 200);
        const rotated = await gw.admin.call('POST', '/v1/oauth/signing-keys/rotate');
        assert.equal(rotated.status, 201, rotated.text);
        // The new key signs once it has been published ahead (oauth-state.ts).
        clock.advance(PUBLISH_AHEAD_MS + 1000);
        await eventually(async () => kidOf(await token(gw.url)) !== legacyKid, 'the new key signs', 5000);
        assert.equal(await accepted(gw.url, await token(gw.url)), 200);
        // A checkpoint signed with the key from the vault anchors the chain.
        await eventually(async () => {
          const opened = openStore(db.location);
          try {
            return (await opened.db.selectFrom('audit_checkpoints').select('to_seq').execute()).length > 0;
          } finally {
            await opened.close();
          }
        }, 'a checkpoint is made', 10_000);
      } finally {
        await gw.close();
      }
      const rows = await signingRows();
      assert.equal(rows.length, 2);
      for (const row of rows) assert.match(row.private_jwk_encrypted, /^pv1:/);
      const opened = openStore(db.location);
      try {
        const report = await verifyChain(await new AuditLog(opened.db).liveChain());
        assert.ok(report.checkpoints >= 1, 'checkpoints were made');
        assert.deepEqual(report.findings.filter((finding) => finding.kind !== 'not_anchored'), []);
      } finally {
        await opened.close();
      }
    });

    test('no private key is in the store in the clear', async () => {
      const everything = await db.contents();
      assert.ok(everything.includes(legacyKid), 'the search reaches the signing keys');
      assert.ok(!everything.includes(legacyD), "the signing key's private part is in the store");
      const auditKeyBody = AUDIT_KEY.split('\n').slice(1, -2).join('');
      assert.ok(auditKeyBody.length > 40);
      assert.ok(!everything.includes(auditKeyBody), 'the audit checkpoint key is in the store');
    });
  });
}
