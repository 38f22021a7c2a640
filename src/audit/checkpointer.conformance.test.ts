/**
 * Checkpoints from two nodes at once (two stores over one database, each with its own checkpointer,
 * as two gateways sharing PostgreSQL would have) never overlap or fork: each is decided under the
 * writers' lock, so the checkpoints form one chain that verifies.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { ManualClock } from '../core/clock.js';
import { STORE_BACKENDS, storeFor, TEST_ACTOR } from '../../test/helpers/store.js';
import { migrateToLatest, openStore } from '../store/open-store.js';
import { ConsumerRepository } from '../store/repositories.js';
import { AuditLog } from './audit-log.js';
import { AuditCheckpointer } from './checkpointer.js';
import { verifyChain } from './verify.js';
import { newCheckpointKey } from '../../test/helpers/audit.js';

for (const backend of STORE_BACKENDS) {
  // SQLite is one node: its concurrent writers are separate processes (test/audit-crash.test.ts);
  // two synchronous connections in one process would block each other's event loop.
  describe(`audit checkpoints from two nodes: ${backend.name}`, { skip: backend.name === 'SQLite' ? 'one node only' : backend.skip }, () => {
    test('two nodes checkpointing while both write produce one chain of checkpoints, never two over the same records', async () => {
      const { location, cleanup } = await backend.open();
      const clock = new ManualClock(Date.UTC(2026, 10, 1));
      const nodes = [openStore(location), openStore(location)].map((opened) => storeFor(opened, clock));
      try {
        await migrateToLatest(nodes[0]!);
        const key = await newCheckpointKey();
        const checkpointers = nodes.map((store) => new AuditCheckpointer(store, key, { everyRecords: 1, everySeconds: 60 }, { clock, logger: () => undefined as never }));
        for (let round = 0; round < 6; round++) {
          await Promise.all(
            nodes.map(async (store, n) => {
              const consumers = new ConsumerRepository(store.db);
              await store.write(TEST_ACTOR, 'consumer.create', (tx) => consumers.create(tx, { name: `n${n}-r${round}` }));
              await checkpointers[n]!.checkpointIfDue(true);
            }),
          );
          // Both at once with nothing new: at most one of them may sign.
          const both = await Promise.all(checkpointers.map((checkpointer) => checkpointer.checkpointIfDue(true)));
          assert.equal(both.filter(Boolean).length, 0, 'nothing left to anchor');
        }
        const log = new AuditLog(nodes[0]!.db);
        const checkpoints = await log.checkpoints();
        for (let i = 1; i < checkpoints.length; i++) {
          assert.equal(checkpoints[i]!.fromSeq, checkpoints[i - 1]!.toSeq + 1, 'contiguous');
          assert.equal(checkpoints[i]!.previousSignature, checkpoints[i - 1]!.signature, 'chained');
        }
        const report = await verifyChain(await log.liveChain());
        assert.deepEqual([report.ok, report.records, report.anchoredThrough], [true, 12, 12], JSON.stringify(report.findings));
      } finally {
        for (const store of nodes) await store.close();
        await cleanup();
      }
    });
  });
}
