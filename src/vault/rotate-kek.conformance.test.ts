/**
 * KEK rotation on both stores: every data key is re-wrapped with the new KEK while a reader
 * decrypts every secret from the store without a single failure; afterwards the old KEK can go
 * (a ring with only the new one reads everything), and a node without the new KEK could not.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { ManualClock } from '../core/clock.js';
import { createLogger } from '../observability/logger.js';
import { LogCapture } from '../../test/helpers/index.js';
import { STORE_BACKENDS, storeFor, TEST_ACTOR } from '../../test/helpers/store.js';
import { migrateToLatest, openStore } from '../store/open-store.js';
import type { Store } from '../store/store.js';
import { open } from './envelope.js';
import { KekRing, LocalKek } from './kek.js';
import { rotateKek } from './rotate-kek.js';
import { SecretRepository, versionBinding } from './secret-repository.js';
import { VaultService } from './vault-service.js';

const SECRETS = 24;

for (const backend of STORE_BACKENDS) {
  describe(`vault rotate-kek: ${backend.name}`, { skip: backend.skip }, () => {
    const clock = new ManualClock(Date.UTC(2026, 10, 30));
    const logs = new LogCapture();
    const logger = createLogger({ level: 'info', redactHeaders: [] }, logs);
    const oldKek = new LocalKek(randomBytes(32), 'env');
    const newKek = new LocalKek(randomBytes(32), 'file');
    let store: Store;
    let cleanup: () => Promise<void>;
    let repository: SecretRepository;

    before(async () => {
      const opened = await backend.open();
      cleanup = opened.cleanup;
      const location = openStore(opened.location);
      await migrateToLatest(location);
      store = storeFor(location, clock, logger);
      repository = new SecretRepository(store.db);
      const service = new VaultService(store, repository, new KekRing(oldKek), logger);
      for (let i = 0; i < SECRETS; i++) await service.set(TEST_ACTOR, `secret-${i}`, Buffer.from(`value-${i}`));
    });
    after(async () => {
      await store?.close();
      await cleanup?.();
    });

    /** Decrypts every promoted version from the store with `ring`: how many failed. */
    async function readAll(ring: KekRing): Promise<{ read: number; failed: number }> {
      let read = 0;
      let failed = 0;
      for (const sealed of await repository.promoted()) {
        try {
          const value = (await open(ring, sealed.envelope, versionBinding(sealed.secretId, sealed.version))).toString('utf8');
          assert.equal(value, `value-${sealed.name.slice('secret-'.length)}`);
          read++;
        } catch {
          failed++;
        }
      }
      return { read, failed };
    }

    test('re-wraps every data key online: reads during the rotation never fail; afterwards the old KEK can go', async () => {
      // A node configured for the rotation: the new KEK current, the old one decrypt-only.
      const rotating = new KekRing(newKek, [oldKek]);
      let rotating_done = false;
      let readsDuring = 0;
      let failures = 0;
      const reader = (async () => {
        while (!rotating_done) {
          const { read, failed } = await readAll(rotating);
          readsDuring += read;
          failures += failed;
        }
      })();
      const result = await rotateKek({ store, repository, ring: rotating, logger }, TEST_ACTOR, { batchSize: 5 });
      rotating_done = true;
      await reader;
      assert.equal(failures, 0, 'no read failed during the rotation');
      assert.ok(readsDuring > 0, 'reads ran during the rotation');
      assert.equal(result.rewrapped, SECRETS);
      assert.deepEqual(result.byKek, { [newKek.id]: SECRETS });
      assert.ok(logs.records.filter((record) => record.event === 'vault.kek_rotation_progress').length >= SECRETS / 5);
      // Old KEK removed from the config: everything still reads.
      assert.deepEqual(await readAll(new KekRing(newKek)), { read: SECRETS, failed: 0 });
      // A node that only has the old KEK cannot read any more: the wraps really changed.
      assert.deepEqual(await readAll(new KekRing(oldKek)), { read: 0, failed: SECRETS });
      // Resumable and idempotent: a second run finds nothing left.
      assert.equal((await rotateKek({ store, repository, ring: rotating, logger }, TEST_ACTOR)).rewrapped, 0);
      const audit = await store.db.selectFrom('audit_records').select('action').where('action', '=', 'secret.rewrap').execute();
      assert.equal(audit.length, SECRETS, 'one audit record per re-wrapped secret');
    });
  });
}
