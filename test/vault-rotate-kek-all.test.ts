/**
 * `portcullis vault rotate-kek` re-wraps everything the vault seals (issue 19 §1, §2), on SQLite
 * and PostgreSQL: vault secrets (the audit checkpoint key among them), the tokens an upstream
 * credential obtained, and the built-in authorization server's private signing keys. The real CLI
 * runs beside a gateway that keeps serving (its OAuth token endpoint, a route checking those
 * tokens, a static and an OAuth upstream credential) without one failed request. Afterwards no
 * sealed value in any table is wrapped by the old KEK (the backup manifest's KEK ids, which look
 * at every column, not only the ones rotate-kek knows), and a gateway given only the new KEK
 * starts and opens every kind: the JWKS signs with the same key, the stored token is sent without
 * asking the provider again, an audit checkpoint is signed. A node with only the old KEK refuses
 * to start, naming each kind it cannot open.
 */
import assert from 'node:assert/strict';
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { systemClock } from '../src/core/clock.js';
import { createLogger } from '../src/observability/logger.js';
import { StartupError } from '../src/server/listen.js';
import { writeBackup } from '../src/store/backup.js';
import { migrateToLatest, openStore, type StoreLocation } from '../src/store/open-store.js';
import { KekRing, LocalKek } from '../src/vault/kek.js';
import { sealedCensus } from '../src/vault/sealed-columns.js';
import { SecretRepository } from '../src/vault/secret-repository.js';
import { VaultService } from '../src/vault/vault-service.js';
import { runCliAsync } from './helpers/cli.js';
import { eventually, freePort, httpRequest, startGateway, startUpstream, type TestGateway, type TestUpstream } from './helpers/index.js';
import { AdminClient, KEY_ENV, keysConfig } from './helpers/keys.js';
import { CLIENT_SECRET, startProvider, type TestProvider } from './helpers/oidc-provider.js';
import { postgresGatewayStore, skipWithoutPostgres } from './helpers/services.js';
import { storeFor, TEST_ACTOR } from './helpers/store.js';

const OLD = randomBytes(32);
const NEW = randomBytes(32);
const OLD_ID = new LocalKek(OLD, 'env').id;
const NEW_ID = new LocalKek(NEW, 'env').id;
const AUDIENCE = 'https://api.example';
const AUDIT_KEY = generateKeyPairSync('ed25519').privateKey.export({ format: 'pem', type: 'pkcs8' }).toString();
const PARTNER_TOKEN = `partner-${randomBytes(8).toString('hex')}`;
const quiet = createLogger({ level: 'silent', redactHeaders: [] }, { write: () => true });
const kek = (name: string) => ({ source: 'env', key: `\${env:${name}}` });

for (const backend of ['SQLite', 'PostgreSQL'] as const) {
  describe(`vault rotate-kek re-wraps every sealed column: ${backend}`, { skip: backend === 'PostgreSQL' && skipWithoutPostgres }, () => {
    let upstream: TestUpstream;
    let provider: TestProvider;
    let gw: TestGateway | undefined;
    let drop: (() => Promise<void>) | undefined;
    let location: StoreLocation;
    let store: Record<string, unknown>;
    let issuer: string;
    let port: number;
    let client: { id: string; secret: string };
    let tokenBefore: string;
    const dir = mkdtempSync(join(tmpdir(), 'portcullis-rotate-all-'));
    const env: Record<string, string> = { ...KEY_ENV, OLD_KEK: OLD.toString('base64'), NEW_KEK: NEW.toString('base64'), DATABASE_URL: '' };

    const config = (vault: Record<string, unknown>) => {
      const route = (name: string) => ({ name, methods: ['GET'], path: `/${name}/*`, upstream: 'backend', policies: { 'upstream-auth': { credential: name } } });
      return keysConfig(
        upstream.url,
        {
          listeners: [{ name: 'public', host: '127.0.0.1', port }],
          vault,
          oauth: { issuer, audience: AUDIENCE },
          audit: { signingKey: '${secret:audit-signing-key}', checkpoint: { everyRecords: 1, everySeconds: 1 } },
          routes: [
            { name: 'accounts', methods: ['GET'], path: '/v1/accounts', upstream: 'backend', policies: { 'auth-jwt': { issuers: [{ issuer, builtin: true }], audiences: [AUDIENCE], typ: 'at+jwt' } } },
            route('payroll'),
            route('partner'),
          ],
        },
        store,
      );
    };
    const start = async (vault: Record<string, unknown>) => {
      await gw?.close();
      gw = undefined;
      gw = await startGateway(config(vault), { env });
      return gw;
    };
    const admin = () => new AdminClient(gw!.gateway.adminUrl);
    const token = async () => {
      const reply = await httpRequest(`${gw!.url}/oauth2/token`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded', authorization: `Basic ${Buffer.from(`${client.id}:${client.secret}`).toString('base64')}` },
        body: 'grant_type=client_credentials',
      });
      assert.equal(reply.status, 200, reply.text);
      return reply.json<{ access_token: string }>().access_token;
    };
    const kidOf = (jwt: string) => (JSON.parse(Buffer.from(jwt.split('.')[0]!, 'base64url').toString()) as { kid: string }).kid;
    const census = async () => {
      const opened = openStore(location);
      try {
        return await sealedCensus(opened.db as never);
      } finally {
        await opened.close();
      }
    };
    const sentTo = async (route: string) => {
      const reply = await httpRequest(`${gw!.url}/${route}/x`);
      assert.equal(reply.status, 200, `${route}: ${reply.text}`);
      return reply.json<{ headers: Record<string, string> }>().headers.authorization;
    };
    const checkpoints = async () => {
      const opened = openStore(location);
      try {
        return (await opened.db.selectFrom('audit_checkpoints').select('to_seq').execute()).length;
      } finally {
        await opened.close();
      }
    };

    before(async () => {
      upstream = await startUpstream();
      provider = await startProvider();
      port = await freePort();
      issuer = `http://127.0.0.1:${port}`;
      if (backend === 'PostgreSQL') {
        const pg = await postgresGatewayStore('DATABASE_URL', 200);
        ({ drop, location, store } = pg);
        env.DATABASE_URL = pg.url;
      } else {
        const path = join(dir, 'store.db');
        location = { driver: 'sqlite', path };
        store = { path, pollIntervalMs: 100 };
      }
      // The secrets a config names must exist before it starts: set as an operator would, under the old KEK.
      const opened = openStore(location);
      await migrateToLatest(opened);
      const writer = storeFor(opened, systemClock);
      const vault = new VaultService(writer, new SecretRepository(writer.db), new KekRing(new LocalKek(OLD, 'env')), quiet);
      for (const [name, value] of [['audit-signing-key', AUDIT_KEY], ['provider-secret', CLIENT_SECRET], ['partner-token', PARTNER_TOKEN]] as const) await vault.set(TEST_ACTOR, name, Buffer.from(value));
      await writer.close();

      // Step 1 of a rotation: every node knows the new KEK, decrypt-only.
      await start({ kek: kek('OLD_KEK'), previousKeks: [kek('NEW_KEK')] });
      const consumerId = await admin().consumer('acme');
      const created = await admin().call('POST', '/v1/oauth/clients', { consumerId, name: 'sync', scopes: [] });
      assert.equal(created.status, 201, created.text);
      const body = created.json<{ clientSecret: string; client: { clientId: string } }>();
      client = { id: body.client.clientId, secret: body.clientSecret };
      await eventually(() => gw!.gateway.services.oauth!.state.client(client.id) !== undefined, 'the client reaches the state');
      for (const [name, kind, settings] of [
        ['payroll', 'client_credentials', { tokenUrl: provider.tokenUrl, clientId: 'cc-basic', clientAuth: 'client_secret_basic', clientSecret: '${secret:provider-secret}' }],
        ['partner', 'static', { scheme: 'bearer', secret: '${secret:partner-token}' }],
      ] as const) {
        const reply = await admin().call('POST', '/v1/credentials', { name, kind, owner: 'team-payroll', settings });
        assert.equal(reply.status, 201, reply.text);
      }
      tokenBefore = await token();
      assert.equal((await httpRequest(`${gw!.url}/v1/accounts`, { headers: { authorization: `Bearer ${tokenBefore}` } })).status, 200);
      assert.match((await sentTo('payroll')) ?? '', /^Bearer /);
      assert.equal(await sentTo('partner'), `Bearer ${PARTNER_TOKEN}`);
    });
    after(async () => {
      await gw?.close();
      await provider?.close();
      await upstream?.close();
      await drop?.();
    });

    test('online: every sealed column is re-wrapped while the gateway serves every kind without one failed request', async () => {
      const before = await census();
      assert.deepEqual(before.secret_versions, { [OLD_ID]: 3 });
      assert.deepEqual(before.upstream_credential_tokens, { [OLD_ID]: 1 });
      assert.deepEqual(before.oauth_signing_keys, { [OLD_ID]: 1 });

      const file = join(dir, 'rotating.json');
      // Step 2 as the CLI sees it: the new KEK current, the old one decrypt-only.
      writeFileSync(file, JSON.stringify(config({ kek: kek('NEW_KEK'), previousKeks: [kek('OLD_KEK')] })));
      let rotating = true;
      const failures: string[] = [];
      let served = 0;
      const load = (async () => {
        while (rotating) {
          const replies = await Promise.all([
            httpRequest(`${gw!.url}/payroll/x`),
            httpRequest(`${gw!.url}/partner/x`),
            httpRequest(`${gw!.url}/v1/accounts`, { headers: { authorization: `Bearer ${tokenBefore}` } }),
            httpRequest(`${gw!.url}/oauth2/token`, {
              method: 'POST',
              headers: { 'content-type': 'application/x-www-form-urlencoded', authorization: `Basic ${Buffer.from(`${client.id}:${client.secret}`).toString('base64')}` },
              body: 'grant_type=client_credentials',
            }),
          ]);
          for (const reply of replies) if (reply.status !== 200) failures.push(`${reply.status} ${reply.text}`);
          served += replies.length;
        }
      })();
      const run = await runCliAsync(['vault', 'rotate-kek', '--config', file, '--batch-size', '1', '--json'], env);
      rotating = false;
      await load;
      assert.equal(run.status, 0, run.stderr);
      assert.deepEqual(failures, [], 'no request failed during the rotation');
      assert.ok(served > 0);
      const result = JSON.parse(run.stdout) as { kekId: string; done: boolean; columns: Record<string, { rewrapped: number; resealed: number; remaining: number }> };
      assert.equal(result.kekId, NEW_ID);
      assert.equal(result.done, true);
      assert.deepEqual(result.columns, {
        secret_versions: { rewrapped: 3, resealed: 0, remaining: 0 },
        upstream_credential_tokens: { rewrapped: 1, resealed: 0, remaining: 0 },
        oauth_signing_keys: { rewrapped: 1, resealed: 0, remaining: 0 },
      });
      assert.match(run.stderr, /"event":"vault\.kek_rotated"/);

      const after = await census();
      for (const column of Object.values(after)) assert.deepEqual(Object.keys(column), [NEW_ID]);
      // Every column of every table, as the backup reads them: no value is wrapped by the old KEK,
      // including a sealed column rotate-kek does not know of.
      const opened = openStore(location);
      try {
        const manifest = await writeBackup(opened, join(dir, `all-${randomBytes(4).toString('hex')}.backup`));
        assert.deepEqual(manifest.kekIds, [NEW_ID]);
      } finally {
        await opened.close();
      }
      for (const action of ['secret.rewrap', 'upstream_credential.reseal_tokens', 'signing_key.reseal']) {
        const audit = await admin().call('GET', `/v1/audit?action=${action}`);
        assert.ok(audit.json<{ items: unknown[] }>().items.length >= 1, `${action} is audited`);
      }
      const again = await runCliAsync(['vault', 'rotate-kek', '--config', file, '--json'], env);
      assert.equal(again.status, 0, again.stderr);
      assert.ok(Object.values((JSON.parse(again.stdout) as typeof result).columns).every((c) => c.rewrapped === 0), 'resumable: nothing left the second time');
    });

    test('the old KEK removed: a node with only the new one opens every kind; one with only the old one refuses to start, naming each kind', async () => {
      const payrollToken = await sentTo('payroll');
      const tokenRequests = provider.tokenRequests.length;
      const kid = kidOf(tokenBefore);
      const checkpointsBefore = await checkpoints();
      await start({ kek: kek('NEW_KEK') });
      assert.equal(kidOf(await token()), kid, 'the same signing key signs: its private key opened under the new KEK');
      assert.equal((await httpRequest(`${gw!.url}/v1/accounts`, { headers: { authorization: `Bearer ${tokenBefore}` } })).status, 200);
      assert.equal(await sentTo('payroll'), payrollToken, 'the stored token opened under the new KEK');
      assert.equal(provider.tokenRequests.length, tokenRequests, 'the provider was not asked again');
      assert.equal(await sentTo('partner'), `Bearer ${PARTNER_TOKEN}`);
      await admin().consumer('after-rotation');
      await eventually(async () => (await checkpoints()) > checkpointsBefore, 'an audit checkpoint is signed with the key from the vault', 10_000);
      await gw!.close();
      gw = undefined;

      await assert.rejects(startGateway(config({ kek: kek('OLD_KEK') }), { env }), (error: Error) => {
        assert.ok(error instanceof StartupError, String(error));
        for (const kind of ['secret versions', 'upstream credential tokens', 'oauth signing keys']) assert.ok(error.message.includes(`${kind} wrapped by ${NEW_ID}`), `${kind}: ${error.message}`);
        return true;
      });
    });
  });
}
