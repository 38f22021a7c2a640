/**
 * Archiving on every dialect (docs/audit.md#retention-and-archiving): the cut is at a checkpoint
 * boundary and only of records older than both `--before` and the retention; the bundle is a normal
 * bundle that verifies; removal needs that exact bundle's records.jsonl SHA-256 and appends
 * `audit.archived` in the same transaction; the remainder verifies and says where it starts; and
 * tampering with the remainder (its first record, the records up to a later checkpoint, a middle
 * record) is still detected.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { ManualClock } from '../core/clock.js';
import { STORE_BACKENDS, storeFor, TEST_ACTOR } from '../../test/helpers/store.js';
import { newCheckpointKey } from '../../test/helpers/audit.js';
import { migrateToLatest, openStore } from '../store/open-store.js';
import { ConsumerRepository } from '../store/repositories.js';
import type { Store } from '../store/store.js';
import { archiveRecords, ArchiveRefused, buildArchiveBundle, DAY_MS, planArchive, recordsSha256, type ArchivePlan } from './archive.js';
import { AuditLog } from './audit-log.js';
import { buildBundle, readBundle, writeBundle } from './bundle.js';
import { AuditCheckpointer } from './checkpointer.js';
import { verifyChain, type FindingKind, type VerifyReport } from './verify.js';

const FAR_FUTURE = Date.UTC(2100, 0, 1);
const kinds = (report: VerifyReport): FindingKind[] => [...new Set(report.findings.map((finding) => finding.kind))].sort();

for (const backend of STORE_BACKENDS) {
  describe(`audit archiving: ${backend.name}`, { skip: backend.skip }, () => {
    let store: Store;
    let cleanup: () => Promise<void>;
    const clock = new ManualClock(Date.UTC(2026, 0, 1));
    let consumers: ConsumerRepository;
    let log: AuditLog;
    let checkpointer: AuditCheckpointer;
    const dirs: string[] = [];
    const write = async (n: number, prefix: string) => {
      for (let i = 0; i < n; i++) {
        clock.advance(1000);
        await store.write(TEST_ACTOR, 'consumer.create', (tx) => consumers.create(tx, { name: `${prefix}-${i}` }));
      }
    };
    const timeOf = async (seq: number) => Date.parse((await log.get(seq))!.time);
    const count = async () => Number((await store.db.selectFrom('audit_records').select((eb) => eb.fn.countAll().as('n')).executeTakeFirstOrThrow()).n);
    /** Exports the plan into a new folder, as the CLI does; returns the folder and its records.jsonl SHA-256. */
    const exported = async (plan: ArchivePlan, beforeTime: number) => {
      const dir = mkdtempSync(join(tmpdir(), 'portcullis-archive-'));
      dirs.push(dir);
      writeBundle(dir, await buildArchiveBundle(log, plan, { before: beforeTime, now: clock.now() }));
      return { dir, sha: recordsSha256(readFileSync(join(dir, 'records.jsonl'))) };
    };

    before(async () => {
      const opened = await backend.open();
      cleanup = opened.cleanup;
      const location = openStore(opened.location);
      await migrateToLatest(location);
      store = storeFor(location, clock);
      consumers = new ConsumerRepository(store.db);
      log = new AuditLog(store.db);
      checkpointer = new AuditCheckpointer(store, await newCheckpointKey(), { everyRecords: 5, everySeconds: 3600 }, { clock, logger: () => undefined as never });
      // Checkpoints over 1..5 and 6..10; 11..12 not yet anchored.
      await write(5, 'a');
      assert.ok(await checkpointer.checkpointIfDue());
      await write(5, 'b');
      assert.ok(await checkpointer.checkpointIfDue());
      await write(2, 'c');
      clock.advance(100 * DAY_MS);
    });
    after(async () => {
      await store?.close();
      await cleanup?.();
      for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
    });

    test('the cut is the newest checkpoint whose records are all older than --before; none: nothing to archive', async () => {
      const plan = await planArchive(log, await timeOf(8));
      assert.deepEqual([plan?.fromSeq, plan?.throughSeq, plan?.anchor.fromSeq], [1, 5, 1], 'record 8 is not older: the checkpoint 6..10 stays');
      assert.equal((await planArchive(log, FAR_FUTURE))?.throughSeq, 10, 'the unanchored 11..12 are never cut');
      assert.equal(await planArchive(log, await timeOf(5)), undefined, 'record 5 is not older than its own time');
    });

    test('removal is refused, and nothing removed, without that exact bundle, inside the retention, or off a checkpoint', async () => {
      const before5 = (await timeOf(5)) + 1;
      const plan = (await planArchive(log, before5))!;
      const { sha } = await exported(plan, before5);
      const refused = async (request: Parameters<typeof archiveRecords>[2], reason: string) => {
        await assert.rejects(archiveRecords(store, TEST_ACTOR, request), (error: unknown) => error instanceof ArchiveRefused && error.reason === reason);
        assert.equal(await count(), 12, 'nothing was removed');
      };
      await refused({ throughSeq: 5, bundleSha256: '0'.repeat(64), minimumDays: 90 }, 'bundle_mismatch');
      await refused({ throughSeq: 5, bundleSha256: sha, minimumDays: 101 }, 'retention');
      await refused({ throughSeq: 4, bundleSha256: sha, minimumDays: 90 }, 'not_at_checkpoint');
      const through10 = (await exported((await planArchive(log, FAR_FUTURE))!, FAR_FUTURE)).sha;
      await refused({ throughSeq: 5, bundleSha256: through10, minimumDays: 90 }, 'bundle_mismatch');
    });

    test('archiving exports a bundle that verifies, removes exactly its records and records audit.archived in the same transaction', async () => {
      const beforeTime = (await timeOf(7)) + 1;
      const plan = (await planArchive(log, beforeTime))!;
      const { dir, sha } = await exported(plan, beforeTime);
      const bundle = await verifyChain(readBundle(dir));
      assert.deepEqual([bundle.ok, bundle.firstSeq, bundle.lastSeq, bundle.anchoredThrough, bundle.startsAfterSeq], [true, 1, 5, 5, null]);
      const checkpointsBefore = await log.checkpoints();
      const keysBefore = await log.keys();
      const result = await archiveRecords(store, TEST_ACTOR, { throughSeq: 5, bundleSha256: sha, minimumDays: 90, before: new Date(beforeTime).toISOString() });
      assert.deepEqual([result.fromSeq, result.throughSeq, result.records, result.record.seq], [1, 5, 5, 13]);
      assert.deepEqual([result.record.action, result.record.actor.id, result.record.target], ['audit.archived', 'test', { kind: 'audit_trail', id: 'archive' }]);
      assert.deepEqual(result.record.detail, { fromSeq: 1, throughSeq: 5, records: 5, checkpoint: { fromSeq: 1, toSeq: 5 }, bundleSha256: sha, before: new Date(beforeTime).toISOString() });
      assert.equal(await log.firstSeq(), 6);
      assert.equal(await count(), 8);
      assert.deepEqual(await log.checkpoints(), checkpointsBefore, 'checkpoints are never removed');
      assert.deepEqual(await log.keys(), keysBefore, 'public keys are never removed');

      const live = await verifyChain(await log.liveChain());
      assert.deepEqual(kinds(live), ['not_anchored']);
      assert.deepEqual([live.firstSeq, live.startsAfterSeq, live.startCheckpoint, live.archivedThroughSeq], [6, 5, { fromSeq: 1, toSeq: 5 }, 5]);
      assert.ok(await checkpointer.checkpointIfDue(true));
      const anchored = await verifyChain(await log.liveChain());
      assert.deepEqual([anchored.ok, anchored.exitCode, anchored.anchoredThrough], [true, 0, 13]);

      const later = mkdtempSync(join(tmpdir(), 'portcullis-archive-'));
      dirs.push(later);
      writeBundle(later, await buildBundle(log, { now: clock.now() }));
      const exportedLater = await verifyChain(readBundle(later));
      assert.deepEqual([exportedLater.ok, exportedLater.firstSeq, exportedLater.startCheckpoint, exportedLater.archivedThroughSeq], [true, 6, { fromSeq: 1, toSeq: 5 }, 5]);
      assert.equal(await planArchive(log, beforeTime), undefined, 'nothing older is left');
    });

    test('after an archive, deleting the first remaining record, the records up to a later checkpoint, or a middle record is detected', async () => {
      await write(2, 'd');
      assert.equal((await checkpointer.checkpointIfDue(true))?.toSeq, 15);
      const rows = await store.db.selectFrom('audit_records').selectAll().orderBy('seq').execute();
      const tamper = async (where: (seq: number) => boolean) => {
        await store.db.deleteFrom('audit_records').where('seq', 'in', rows.map((row) => Number(row.seq)).filter(where)).execute();
        const report = await verifyChain(await log.liveChain());
        await store.db.deleteFrom('audit_records').execute();
        await store.db.insertInto('audit_records').values(rows).execute();
        return report;
      };
      const head = await tamper((seq) => seq === 6);
      assert.deepEqual(kinds(head), ['missing']);
      assert.deepEqual([head.findings[0]!.fromSeq, head.findings[0]!.toSeq, head.exitCode], [6, 6, 3]);
      // Up to the checkpoint 6..10: the remainder would start right after a checkpoint, but audit.archived says 5.
      const upToCheckpoint = await tamper((seq) => seq <= 10);
      assert.deepEqual(kinds(upToCheckpoint), ['missing']);
      assert.deepEqual([upToCheckpoint.findings[0]!.fromSeq, upToCheckpoint.findings[0]!.toSeq], [6, 10]);
      // Through the audit.archived record itself (up to the checkpoint 11..13; 14..15 remain): no record says they were archived.
      const throughArchived = await tamper((seq) => seq <= 13);
      assert.deepEqual(kinds(throughArchived), ['missing']);
      assert.ok(throughArchived.findings.some((f) => f.fromSeq === 1 && f.toSeq === 13 && /no audit\.archived/.test(f.message)));
      assert.deepEqual(kinds(await tamper((seq) => seq === 8)), ['missing']);
      assert.equal((await verifyChain(await log.liveChain())).exitCode, 0, 'restored');
    });

    test('a second archive moves the start on to the next checkpoint', async () => {
      const plan = (await planArchive(log, (await timeOf(11)) + 1))!;
      assert.deepEqual([plan.fromSeq, plan.throughSeq], [6, 10]);
      const { dir, sha } = await exported(plan, (await timeOf(11)) + 1);
      const bundle = await verifyChain(readBundle(dir));
      assert.deepEqual([bundle.ok, bundle.firstSeq, bundle.startsAfterSeq], [true, 6, 5]);
      const result = await archiveRecords(store, TEST_ACTOR, { throughSeq: 10, bundleSha256: sha, minimumDays: 90 });
      assert.equal(result.record.seq, 16);
      const live = await verifyChain(await log.liveChain());
      assert.deepEqual(kinds(live), ['not_anchored']);
      assert.deepEqual([live.firstSeq, live.startCheckpoint, live.archivedThroughSeq], [11, { fromSeq: 6, toSeq: 10 }, 10]);
    });
  });
}
