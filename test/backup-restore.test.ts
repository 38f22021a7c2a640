/**
 * `portcullis backup` / `portcullis restore` end to end, on SQLite and on PostgreSQL: a gateway
 * with consumers, API keys and a vault secret injected upstream is backed up by the real CLI while
 * requests and admin writes run; the file holds no secret value and no KEK; it is restored into a
 * fresh database, whose audit chain verifies; a gateway started on it with the same KEK accepts
 * the API key and sends the vault secret upstream; with another KEK it refuses to start, naming
 * the KEK it lacks. A database that holds anything, and a changed file, are refused.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { AuditLog } from '../src/audit/audit-log.js';
import { verifyChain } from '../src/audit/verify.js';
import { systemClock } from '../src/core/clock.js';
import { StartupError } from '../src/server/listen.js';
import { restoreBackup } from '../src/store/restore.js';
import { createLogger } from '../src/observability/logger.js';
import { migrateToLatest, openStore, type StoreLocation } from '../src/store/open-store.js';
import { KekRing, LocalKek } from '../src/vault/kek.js';
import { SecretRepository } from '../src/vault/secret-repository.js';
import { VaultService } from '../src/vault/vault-service.js';
import { runCliAsync } from './helpers/cli.js';
import { eventually, httpRequest, startGateway, startUpstream, type TestUpstream } from './helpers/index.js';
import { KEY_ENV, keysConfig, startKeyGateway } from './helpers/keys.js';
import { createPostgresSchema, POSTGRES_URL, skipWithoutPostgres } from './helpers/services.js';
import { storeFor, TEST_ACTOR } from './helpers/store.js';

const KEK = randomBytes(32);
const OTHER_KEK = randomBytes(32);
const TOKEN = `payroll-${randomBytes(12).toString('hex')}`;
const quiet = createLogger({ level: 'silent', redactHeaders: [] }, { write: () => true });

interface Database {
  /** The gateway config's `store` section and the environment it reads. */
  readonly store: Record<string, unknown>;
  readonly env: Record<string, string>;
  readonly location: StoreLocation;
  cleanup(): Promise<void>;
}

const backends = [
  {
    name: 'SQLite',
    skip: false as const,
    async fresh(): Promise<Database> {
      const path = join(mkdtempSync(join(tmpdir(), 'portcullis-backup-')), 'store.db');
      return { store: { path, pollIntervalMs: 100 }, env: {}, location: { driver: 'sqlite', path }, cleanup: async () => {} };
    },
  },
  {
    name: 'PostgreSQL',
    skip: skipWithoutPostgres,
    async fresh(): Promise<Database> {
      const { schema, drop } = await createPostgresSchema();
      const url = new URL(POSTGRES_URL);
      url.searchParams.set('options', `-c search_path=${schema}`);
      const name = `PORTCULLIS_DB_${schema.toUpperCase()}`;
      return { store: { driver: 'postgres', url: `\${env:${name}}`, pollIntervalMs: 100 }, env: { [name]: url.toString() }, location: { driver: 'postgres', url: POSTGRES_URL, schema }, cleanup: drop };
    },
  },
];

const vaultOn = (kek: Buffer, upstreamUrl: string) => ({
  env: { PORTCULLIS_VAULT_KEK: kek.toString('base64') },
  extra: {
    vault: { kek: { source: 'env', key: '${env:PORTCULLIS_VAULT_KEK}' } },
    upstreams: { backend: { targets: [upstreamUrl], auth: { type: 'bearer', token: '${secret:payroll-token}' } } },
    routes: [{ name: 'pay', methods: ['GET'], path: '/pay', upstream: 'backend', policies: { 'auth-apikey': {} } }],
  },
});

for (const backend of backends) {
  describe(`backup and restore (${backend.name})`, { skip: backend.skip }, () => {
    let upstream: TestUpstream;
    let source: Database;
    let target: Database;
    let gw: Awaited<ReturnType<typeof startKeyGateway>>;
    let apiKey: string;
    const dir = mkdtempSync(join(tmpdir(), 'portcullis-backup-file-'));
    const file = join(dir, 'store.backup');
    const cleanups: Array<() => Promise<void>> = [];

    /** A config file for the CLI naming `db`, and the environment it needs. */
    const configFor = (db: Database, kek: Buffer): { path: string; env: NodeJS.ProcessEnv } => {
      const { env, extra } = vaultOn(kek, upstream.url);
      const path = join(dir, `portcullis-${randomBytes(4).toString('hex')}.yaml`);
      writeFileSync(path, JSON.stringify(keysConfig(upstream.url, extra, db.store)));
      return { path, env: { ...KEY_ENV, ...env, ...db.env } };
    };
    const pay = (url: string) => httpRequest(`${url}/pay`, { headers: { authorization: `Bearer ${apiKey}` } });

    before(async () => {
      upstream = await startUpstream();
      source = await backend.fresh();
      target = await backend.fresh();
      cleanups.push(source.cleanup, target.cleanup);
      // The secret must exist before a config that names it can start: set as an operator would.
      const opened = openStore(source.location);
      await migrateToLatest(opened);
      const writer = storeFor(opened, systemClock);
      await new VaultService(writer, new SecretRepository(writer.db), new KekRing(new LocalKek(KEK, 'env')), quiet).set(TEST_ACTOR, 'payroll-token', Buffer.from(TOKEN));
      await writer.close();
      const { env, extra } = vaultOn(KEK, upstream.url);
      gw = await startKeyGateway(upstream.url, extra, { store: source.store, env: { ...env, ...source.env } });
      const consumer = await gw.admin.consumer('acme-payroll');
      apiKey = (await gw.admin.key(consumer, [])).key;
      await eventually(() => gw.gateway.services.keyIndex!.size >= 1, 'the key reaches the index');
      const reply = await pay(gw.url);
      assert.equal(reply.status, 200, reply.text);
      assert.equal(reply.json<{ headers: Record<string, string> }>().headers.authorization, `Bearer ${TOKEN}`);
    });
    after(async () => {
      await gw?.close();
      await upstream?.close();
      for (const cleanup of cleanups) await cleanup();
    });

    test('a backup taken while requests and admin writes run restores into an empty database whose audit chain verifies', async () => {
      const config = configFor(source, KEK);
      let running = true;
      let requests = 0;
      let writes = 0;
      const load = (async () => {
        while (running) {
          const [reply, created] = await Promise.all([pay(gw.url), gw.admin.call('POST', '/v1/consumers', { name: `during-${writes}` })]);
          assert.equal(reply.status, 200);
          assert.equal(created.status, 201);
          requests++;
          writes++;
        }
      })();
      const backup = await runCliAsync(['backup', '--config', config.path, '--out', file, '--json'], config.env);
      running = false;
      await load;
      assert.equal(backup.status, 0, backup.stderr);
      assert.ok(requests > 0 && writes > 0);
      const manifest = JSON.parse(backup.stdout) as { contentSha256: string; storeRevision: number; auditHead: { seq: number }; kekIds: string[]; tables: Record<string, number>; schemaVersion: string };
      assert.deepEqual(manifest.kekIds, [new LocalKek(KEK, 'env').id]);
      assert.ok(manifest.tables.consumers! >= 1 && manifest.tables.api_keys === 1 && manifest.tables.vault_secret_versions === 1);
      assert.equal(statSync(file).mode & 0o777, 0o600);
      // Ciphertexts only: neither the secret, nor the KEK, nor the API key is in the file.
      const text = readFileSync(file, 'utf8');
      for (const value of [TOKEN, KEK.toString('base64'), KEK.toString('hex'), apiKey]) assert.ok(!text.includes(value), 'a secret in the backup file');
      // The backup is on record in the store it copied.
      const audited = await gw.admin.call('GET', '/v1/audit?action=store.backup');
      assert.match(audited.text, new RegExp(manifest.contentSha256));

      const restoreConfig = configFor(target, KEK);
      const restored = await runCliAsync(['restore', '--config', restoreConfig.path, '--from', file], restoreConfig.env);
      assert.equal(restored.status, 0, restored.stderr);
      assert.match(restored.stdout, new RegExp(`revision ${manifest.storeRevision}, audit head ${manifest.auditHead.seq}`));

      const opened = openStore(target.location);
      try {
        const report = await verifyChain(await new AuditLog(opened.db).liveChain());
        assert.deepEqual(report.findings.filter((finding) => finding.kind !== 'not_anchored'), [], 'the restored chain verifies');
        // Every record of the backup, then the restore's own.
        assert.equal(report.lastSeq, manifest.auditHead.seq + 1);
        const last = await opened.db.selectFrom('audit_records').select(['action', 'actor_type']).where('seq', '=', manifest.auditHead.seq + 1).executeTakeFirstOrThrow();
        assert.deepEqual(last, { action: 'store.restore', actor_type: 'cli' });
        const consumers = await opened.db.selectFrom('consumers').select((eb) => eb.fn.countAll().as('n')).executeTakeFirstOrThrow();
        assert.equal(Number(consumers.n), manifest.tables.consumers);
      } finally {
        await opened.close();
      }
    });

    test('a gateway on the restored database with the same KEK accepts the API key and sends the vault secret upstream', async () => {
      const { env, extra } = vaultOn(KEK, upstream.url);
      const restored = await startKeyGateway(upstream.url, extra, { store: target.store, env: { ...env, ...target.env } });
      try {
        await eventually(() => restored.gateway.services.keyIndex!.size >= 1, 'the restored key is indexed');
        const reply = await pay(restored.url);
        assert.equal(reply.status, 200, reply.text);
        assert.equal(reply.json<{ headers: Record<string, string> }>().headers.authorization, `Bearer ${TOKEN}`);
        const refused = await httpRequest(`${restored.url}/pay`, { headers: { authorization: 'Bearer ptc_live_notakey' } });
        assert.equal(refused.status, 401);
      } finally {
        await restored.close();
      }
    });

    test('a gateway on the restored database with another KEK refuses to start, naming the KEK it lacks', async () => {
      const { env, extra } = vaultOn(OTHER_KEK, upstream.url);
      await assert.rejects(
        startGateway(keysConfig(upstream.url, extra, target.store), { env: { ...KEY_ENV, ...env, ...target.env } }),
        (error: Error) => error instanceof StartupError && error.message.includes(`wrapped by ${new LocalKek(KEK, 'env').id}`) && error.message.includes('the KEK escrowed with the backup'),
      );
    });

    test('a restore into a database that holds anything is refused, and so is a changed file; neither writes a row', async () => {
      const intoSource = openStore(source.location);
      try {
        await assert.rejects(restoreBackup(intoSource, file), /^RestoreRefusedError: the database is not empty \(.*consumers: \d+/);
      } finally {
        await intoSource.close();
      }
      const fresh = await backend.fresh();
      cleanups.push(fresh.cleanup);
      const changed = join(dir, 'changed.backup');
      writeFileSync(changed, readFileSync(file, 'utf8').replace('acme-payroll', 'evil-payroll'));
      const empty = openStore(fresh.location);
      try {
        await assert.rejects(restoreBackup(empty, changed), /^BackupFileError: .*the content's SHA-256 is [0-9a-f]{64}, the manifest says [0-9a-f]{64}: the file is damaged or was changed/);
        // Nothing was written: the database is still empty, so the untouched file restores into it.
        await restoreBackup(empty, file);
        const names = await empty.db.selectFrom('consumers').select('name').where('name', '=', 'acme-payroll').execute();
        assert.equal(names.length, 1);
      } finally {
        await empty.close();
      }
    });
  });
}
