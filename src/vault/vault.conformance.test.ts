/**
 * The vault on both stores: a value set is read back (envelope round trip), staged versions wait
 * for promotion, a ciphertext moved to another row is refused, sealed values open only with
 * their AAD, a change made on one node reaches another node's vault, and the value appears in no
 * log line, change row or metadata answer.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { ManualClock } from '../core/clock.js';
import { createLogger } from '../observability/logger.js';
import { LogCapture, eventually } from '../../test/helpers/index.js';
import { POSTGRES_URL } from '../../test/helpers/services.js';
import { STORE_BACKENDS, storeFor, TEST_ACTOR } from '../../test/helpers/store.js';
import { followStore, type FollowedStore } from '../store/follow-store.js';
import { migrateToLatest, openStore, type OpenedStore } from '../store/open-store.js';
import type { Store } from '../store/store.js';
import { VaultIntegrityError } from './aead.js';
import { KekRing, LocalKek } from './kek.js';
import { SecretRepository } from './secret-repository.js';
import { Vault } from './vault.js';
import { VaultService } from './vault-service.js';

const VALUE = `payroll-token-${randomBytes(12).toString('hex')}`;

for (const backend of STORE_BACKENDS) {
  describe(`vault: ${backend.name}`, { skip: backend.skip }, () => {
    const clock = new ManualClock(Date.UTC(2026, 10, 30));
    const logs = new LogCapture();
    const logger = createLogger({ level: 'debug', redactHeaders: [] }, logs);
    const ring = new KekRing(new LocalKek(randomBytes(32), 'env'));
    let location: Awaited<ReturnType<(typeof backend)['open']>>;
    let opened: OpenedStore;
    let store: Store;
    let service: VaultService;
    let repository: SecretRepository;

    /** A node: its own store connection, follower and vault. */
    async function node(): Promise<{ vault: Vault; followed: FollowedStore; close(): Promise<void> }> {
      const nodeStore = storeFor(openStore(location.location), clock, logger);
      const followed = followStore(nodeStore, { pollIntervalMs: 1000, retentionSeconds: 3600, postgres: backend.name === 'PostgreSQL' ? { url: POSTGRES_URL, connectTimeoutMs: 2000 } : undefined }, { logger, clock });
      const vault = new Vault(new SecretRepository(nodeStore.db), ring, logger);
      await followed.follower.add(vault);
      await followed.start();
      return { vault, followed, close: async () => (await followed.stop(), await nodeStore.close()) };
    }

    before(async () => {
      location = await backend.open();
      opened = openStore(location.location);
      await migrateToLatest(opened);
      store = storeFor(opened, clock, logger);
      repository = new SecretRepository(store.db);
      service = new VaultService(store, repository, ring, logger);
    });
    after(async () => {
      await store?.close();
      await location?.cleanup();
    });

    test('a value set is read back decrypted, and is stored only as ciphertext', async () => {
      const { version } = await service.set(TEST_ACTOR, 'payroll-token', Buffer.from(VALUE));
      assert.equal(version, 1);
      const local = await node();
      try {
        const read = await local.vault.read('payroll-token');
        assert.equal(read.reveal(), VALUE);
        assert.equal(String(read), '[secret]');
        assert.equal(JSON.stringify({ read }), '{"read":"[secret secret:payroll-token]"}');
        const rows = await store.db.selectFrom('vault_secret_versions').selectAll().execute();
        assert.ok(!JSON.stringify(rows).includes(VALUE), 'no plaintext in the versions table');
        assert.equal(rows[0]!.kek_id, ring.current.id);
      } finally {
        await local.close();
      }
    });

    test('a staged version is not served until promoted; promotion reaches a second node within a second', async () => {
      const first = await node();
      const second = await node();
      try {
        const heard: string[] = [];
        second.vault.onChange((names) => heard.push(...names));
        const { version } = await service.set(TEST_ACTOR, 'payroll-token', Buffer.from('staged-value'), { stage: true });
        assert.equal(version, 2);
        await first.followed.follower.catchUp();
        assert.equal((await first.vault.read('payroll-token')).reveal(), VALUE, 'still the promoted version 1');
        const promotedAt = performance.now();
        await service.promote(TEST_ACTOR, 'payroll-token', 2);
        if (backend.name === 'SQLite') second.followed.follower.nudge(); // SQLite has no NOTIFY: the writer's nudge is its own node's
        await eventually(() => second.vault.versionOf('payroll-token') === 2, 'the promotion reached the second node', 1000);
        console.log(`# promotion to second node: ${Math.round(performance.now() - promotedAt)} ms`);
        assert.equal(second.vault.current('payroll-token'), 'staged-value');
        assert.deepEqual(heard, ['payroll-token']);
        await service.promote(TEST_ACTOR, 'payroll-token', 1);
      } finally {
        await first.close();
        await second.close();
      }
    });

    test('a ciphertext swapped to another row in the database is refused, never served, and logged', async () => {
      await service.set(TEST_ACTOR, 'crm-key', Buffer.from('crm-secret-value'));
      await service.set(TEST_ACTOR, 'swap-target', Buffer.from('target-value'));
      const crm = (await repository.findByName('crm-key'))!;
      const target = (await repository.findByName('swap-target'))!;
      const source = await store.db.selectFrom('vault_secret_versions').selectAll().where('secret_id', '=', crm.id).executeTakeFirstOrThrow();
      // An attacker with write access to the database copies crm-key's envelope onto swap-target.
      await store.db.updateTable('vault_secret_versions').set({ kek_id: source.kek_id, wrapped_key: source.wrapped_key, ciphertext: source.ciphertext }).where('secret_id', '=', target.id).execute();
      const local = await node();
      try {
        assert.match(local.vault.unavailable('swap-target') ?? '', /cannot be decrypted/);
        await assert.rejects(local.vault.read('swap-target'), /cannot be decrypted/);
        assert.equal(local.vault.current('crm-key'), 'crm-secret-value', 'the untouched secret still reads');
        await assert.rejects(service.reveal(TEST_ACTOR, 'swap-target'), VaultIntegrityError);
        const logged = await logs.waitFor((record) => record.event === 'vault.secret_unreadable' && record.secret === 'swap-target');
        assert.ok(!JSON.stringify(logged).includes('crm-secret-value'));
        // Only the ciphertext moved (the wrapped key is swap-target's own): refused as well.
        await service.set(TEST_ACTOR, 'swap-target', Buffer.from('target-value-2'));
        const own = await store.db.selectFrom('vault_secret_versions').selectAll().where('secret_id', '=', target.id).where('version', '=', 2).executeTakeFirstOrThrow();
        await store.db.updateTable('vault_secret_versions').set({ ciphertext: source.ciphertext }).where('secret_id', '=', target.id).where('version', '=', 2).execute();
        await assert.rejects(service.reveal(TEST_ACTOR, 'swap-target', 2), VaultIntegrityError);
        await store.db.updateTable('vault_secret_versions').set({ ciphertext: own.ciphertext }).where('secret_id', '=', target.id).where('version', '=', 2).execute();
        assert.equal((await service.reveal(TEST_ACTOR, 'swap-target', 2)).value, 'target-value-2');
      } finally {
        await local.close();
      }
    });

    test('a sealed value opens only with the AAD it was sealed with', async () => {
      const local = await node();
      try {
        const sealed = await local.vault.sealValue('refresh-token-123', 'outbound_tokens:cred_1:refresh');
        assert.ok(!sealed.includes('refresh-token-123'));
        assert.equal((await local.vault.openValue(sealed, 'outbound_tokens:cred_1:refresh')).reveal(), 'refresh-token-123');
        await assert.rejects(local.vault.openValue(sealed, 'outbound_tokens:cred_2:refresh'), VaultIntegrityError);
        const [, kekId, wrapped, ciphertext] = sealed.split(':');
        await assert.rejects(local.vault.openValue(['pv1', 'kek-0000000000000000', wrapped, ciphertext].join(':'), 'outbound_tokens:cred_1:refresh'), /does not have/);
        assert.equal(kekId, ring.current.id);
      } finally {
        await local.close();
      }
    });

    test('a reveal is audited (who, which secret and version) before the value is returned', async () => {
      const revealed = await service.reveal({ kind: 'admin-user', id: 'usr_ops' }, 'payroll-token');
      assert.deepEqual(revealed, { name: 'payroll-token', version: 1, value: VALUE });
      const secret = (await repository.findByName('payroll-token'))!;
      const rows = await store.db.selectFrom('audit_records' as never).selectAll().execute() as Array<Record<string, unknown>>;
      const records = rows.map((row) => JSON.parse(String(row.record)) as Record<string, unknown>);
      const reveal = records.find((record) => record.action === 'secret.revealed' && (record.detail as { name?: string } | undefined)?.name === 'payroll-token');
      assert.ok(reveal, 'an audit record of the reveal');
      assert.deepEqual({ actor: (reveal.actor as { id: string }).id, target: reveal.target, detail: reveal.detail }, { actor: 'usr_ops', target: { kind: 'secret', id: secret.id }, detail: { name: 'payroll-token', version: 1 } });
      await logs.waitFor((record) => record.event === 'vault.secret_revealed' && record.secret === 'payroll-token');
    });

    test('list, versions, promote and delete never carry a value; change rows, audit rows and logs hold none', async () => {
      const listed = await service.list({ limit: 100 });
      assert.deepEqual(listed.map((secret) => secret.name), ['crm-key', 'payroll-token', 'swap-target']);
      const { versions } = await service.versions('payroll-token');
      assert.deepEqual(versions.map((version) => version.version), [1, 2]);
      await service.delete(TEST_ACTOR, 'payroll-token', 2);
      await assert.rejects(service.delete(TEST_ACTOR, 'payroll-token', 1), /promoted/);
      const changes = await store.db.selectFrom('changes').selectAll().execute();
      const audit = await store.db.selectFrom('audit_records' as never).selectAll().execute();
      assert.ok(audit.length >= 8, 'every vault write is audited');
      const everything = JSON.stringify({ listed, versions, changes, audit }) + logs.text();
      for (const value of [VALUE, 'staged-value', 'crm-secret-value']) assert.ok(!everything.includes(value), `${value} leaked`);
      await service.delete(TEST_ACTOR, 'crm-key');
      assert.equal(await repository.findByName('crm-key'), undefined);
    });
  });
}
