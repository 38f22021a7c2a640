/**
 * Checkpoints and verification on every dialect: a trail written through the unit of work and
 * anchored by signed checkpoints verifies; each kind of tampering, in an export bundle and in the
 * database itself, is detected and named; key rotation keeps old checkpoints verifiable.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync, cpSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { ManualClock } from '../core/clock.js';
import { STORE_BACKENDS, storeFor, TEST_ACTOR } from '../../test/helpers/store.js';
import { migrateToLatest, openStore } from '../store/open-store.js';
import { ConsumerRepository } from '../store/repositories.js';
import type { Store } from '../store/store.js';
import { AuditLog } from './audit-log.js';
import { buildBundle, readBundle, writeBundle } from './bundle.js';
import type { CheckpointKey } from './checkpoint-key.js';
import { newCheckpointKey } from '../../test/helpers/audit.js';
import { AuditCheckpointer } from './checkpointer.js';
import { verifyChain, type FindingKind, type VerifyReport } from './verify.js';


const kinds = (report: VerifyReport): FindingKind[] => [...new Set(report.findings.map((finding) => finding.kind))].sort();

for (const backend of STORE_BACKENDS) {
  describe(`audit verification: ${backend.name}`, { skip: backend.skip }, () => {
    let store: Store;
    let cleanup: () => Promise<void>;
    const clock = new ManualClock(Date.UTC(2026, 10, 1));
    let consumers: ConsumerRepository;
    let log: AuditLog;
    let key: CheckpointKey;
    let checkpointer: AuditCheckpointer;
    const dirs: string[] = [];

    const write = (n: number, prefix: string) => (async () => {
      for (let i = 0; i < n; i++) {
        clock.advance(10);
        await store.write(TEST_ACTOR, 'consumer.create', (tx) => consumers.create(tx, { name: `${prefix}-${i}` }));
      }
    })();
    const tempDir = () => {
      const dir = mkdtempSync(join(tmpdir(), 'portcullis-audit-'));
      dirs.push(dir);
      return dir;
    };
    /** A fresh copy of a bundle of the whole trail, for one tampering. */
    let pristine: string;
    const copy = () => {
      const dir = tempDir();
      cpSync(pristine, dir, { recursive: true });
      return dir;
    };
    const lines = (dir: string) => readFileSync(join(dir, 'records.jsonl'), 'utf8').trimEnd().split('\n');
    const setLines = (dir: string, next: string[]) => writeFileSync(join(dir, 'records.jsonl'), `${next.join('\n')}\n`);

    before(async () => {
      const opened = await backend.open();
      cleanup = opened.cleanup;
      const location = openStore(opened.location);
      await migrateToLatest(location);
      store = storeFor(location, clock);
      consumers = new ConsumerRepository(store.db);
      log = new AuditLog(store.db);
      key = await newCheckpointKey();
      checkpointer = new AuditCheckpointer(store, key, { everyRecords: 5, everySeconds: 60 }, { clock, logger: () => undefined as never });
      // 12 records: checkpoints over 1..5 and 6..10 (every 5 records), 11..12 not yet anchored.
      await write(5, 'a');
      assert.ok(await checkpointer.checkpointIfDue());
      await write(5, 'b');
      assert.ok(await checkpointer.checkpointIfDue());
      await write(2, 'c');
      assert.equal(await checkpointer.checkpointIfDue(), undefined, 'two records are not due yet');
      pristine = tempDir();
      writeBundle(pristine, await buildBundle(log, { now: clock.now() }));
    });
    after(async () => {
      await store?.close();
      await cleanup?.();
      for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
    });

    test('an untouched trail verifies; the records after the last checkpoint are reported as not yet anchored, not as valid', async () => {
      for (const report of [await verifyChain(await log.liveChain()), await verifyChain(readBundle(pristine))]) {
        assert.deepEqual(kinds(report), ['not_anchored']);
        assert.deepEqual([report.records, report.anchoredThrough, report.checkpoints, report.exitCode], [12, 10, 2, 8]);
        assert.deepEqual([report.findings[0]!.fromSeq, report.findings[0]!.toSeq], [11, 12]);
      }
    });

    test('a checkpoint made when the oldest unanchored record is everySeconds old anchors the tail; then the trail is valid', async () => {
      clock.advance(59_000);
      assert.equal(await checkpointer.checkpointIfDue(), undefined, 'not yet 60 s');
      clock.advance(2_000);
      const signed = await checkpointer.checkpointIfDue();
      assert.deepEqual([signed?.fromSeq, signed?.toSeq], [11, 12]);
      const report = await verifyChain(await log.liveChain());
      assert.deepEqual([report.ok, report.exitCode, report.anchoredThrough], [true, 0, 12]);
      pristine = tempDir();
      writeBundle(pristine, await buildBundle(log, { now: clock.now() }));
      assert.equal((await verifyChain(readBundle(pristine))).exitCode, 0);
    });

    test('bundle: a modified record is detected (exit 2)', async () => {
      const dir = copy();
      const next = lines(dir);
      next[3] = next[3]!.replace('"a-3"', '"a-X"');
      setLines(dir, next);
      const report = await verifyChain(readBundle(dir));
      assert.deepEqual(kinds(report), ['modified']);
      assert.equal(report.exitCode, 2);
      assert.ok(report.findings.some((f) => f.fromSeq === 4));
    });

    test('bundle: a modified record whose hash was recomputed still breaks the link and the checkpoint', async () => {
      const { auditRecordHash } = await import('../store/audit-record.js');
      const dir = copy();
      const next = lines(dir);
      const record = JSON.parse(next[4]!) as Record<string, unknown>;
      (record.actor as Record<string, unknown>).id = 'someone-else';
      record.hash = auditRecordHash(record as never);
      next[4] = JSON.stringify(record);
      setLines(dir, next);
      const report = await verifyChain(readBundle(dir));
      assert.deepEqual(kinds(report), ['modified']);
      assert.ok(report.findings.some((f) => f.fromSeq === 5 && /checkpoint/.test(f.message)), 'record 5 is what checkpoint 1..5 signed');
      assert.ok(report.findings.some((f) => f.fromSeq === 6 && /link/.test(f.message)));
    });

    test('bundle: a deleted record is a missing range (exit 3)', async () => {
      const dir = copy();
      setLines(dir, lines(dir).filter((_, index) => index !== 6));
      const report = await verifyChain(readBundle(dir));
      assert.deepEqual(kinds(report), ['missing']);
      assert.equal(report.exitCode, 3);
      assert.deepEqual([report.findings[0]!.fromSeq, report.findings[0]!.toSeq], [7, 7]);
    });

    test('bundle: swapped records are reordered (exit 4)', async () => {
      const dir = copy();
      const next = lines(dir);
      [next[7], next[8]] = [next[8]!, next[7]!];
      setLines(dir, next);
      const report = await verifyChain(readBundle(dir));
      assert.deepEqual(kinds(report), ['reordered']);
      assert.equal(report.exitCode, 4);
    });

    test('bundle: a cut tail is truncated (exit 5)', async () => {
      const dir = copy();
      setLines(dir, lines(dir).slice(0, 8));
      const report = await verifyChain(readBundle(dir));
      assert.ok(kinds(report).includes('truncated'));
      assert.equal(report.exitCode, 5);
      assert.ok(report.findings.some((f) => f.kind === 'truncated' && f.fromSeq === 9 && f.toSeq === 12));
    });

    test('bundle: a checkpoint signed by a key not among the public keys is an unknown key (exit 6), and trusted keys replace the bundle\'s', async () => {
      const dir = copy();
      writeFileSync(join(dir, 'keys.json'), JSON.stringify({ keys: [] }));
      const report = await verifyChain(readBundle(dir));
      assert.ok(kinds(report).includes('unknown_key'));
      assert.equal(report.exitCode, 6);
      const other = await newCheckpointKey();
      const withOther = await verifyChain(readBundle(pristine, [{ keyId: other.keyId, algorithm: 'Ed25519', publicKey: other.publicKeyPem }]));
      assert.ok(kinds(withOther).includes('unknown_key'), 'only the trusted keys count');
    });

    test('bundle: a checkpoint whose body was changed fails its signature (exit 7)', async () => {
      const dir = copy();
      const checkpoints = readFileSync(join(dir, 'checkpoints.jsonl'), 'utf8').trimEnd().split('\n');
      const first = JSON.parse(checkpoints[0]!) as Record<string, unknown>;
      first.time = '2020-01-01T00:00:00.000Z';
      checkpoints[0] = JSON.stringify(first);
      writeFileSync(join(dir, 'checkpoints.jsonl'), `${checkpoints.join('\n')}\n`);
      const report = await verifyChain(readBundle(dir));
      assert.ok(kinds(report).includes('bad_signature'));
    });

    test('database: an UPDATE of a row, a DELETE of a row and a DELETE of the tail are each detected', async () => {
      const original = await store.db.selectFrom('audit_records').selectAll().where('seq', '=', 3).executeTakeFirstOrThrow();
      await store.db.updateTable('audit_records').set({ record: original.record.replace('"a-2"', '"a-Z"') }).where('seq', '=', 3).execute();
      assert.deepEqual(kinds(await verifyChain(await log.liveChain())), ['modified']);
      await store.db.updateTable('audit_records').set({ record: original.record, actor_id: 'forged' }).where('seq', '=', 3).execute();
      assert.deepEqual(kinds(await verifyChain(await log.liveChain())), ['modified'], 'a filter column that disagrees with the record');
      await store.db.updateTable('audit_records').set({ actor_id: original.actor_id }).where('seq', '=', 3).execute();
      assert.equal((await verifyChain(await log.liveChain())).exitCode, 0, 'restored');

      const row7 = await store.db.selectFrom('audit_records').selectAll().where('seq', '=', 7).executeTakeFirstOrThrow();
      await store.db.deleteFrom('audit_records').where('seq', '=', 7).execute();
      const missing = await verifyChain(await log.liveChain());
      assert.deepEqual(kinds(missing), ['missing']);
      await store.db.insertInto('audit_records').values(row7).execute();

      const tail = await store.db.selectFrom('audit_records').selectAll().where('seq', '>', 10).execute();
      await store.db.deleteFrom('audit_records').where('seq', '>', 10).execute();
      const truncated = await verifyChain(await log.liveChain());
      assert.ok(kinds(truncated).includes('truncated'));
      assert.ok(truncated.findings.some((f) => f.kind === 'truncated' && f.fromSeq === 11));
      await store.db.insertInto('audit_records').values(tail).execute();
      assert.equal((await verifyChain(await log.liveChain())).exitCode, 0);
    });

    test('after a key rotation, old checkpoints verify with the old public key, new ones with the new', async () => {
      const rotated = await newCheckpointKey();
      const next = new AuditCheckpointer(store, rotated, { everyRecords: 1, everySeconds: 60 }, { clock, logger: () => undefined as never });
      await write(2, 'd');
      const signed = await next.checkpointIfDue();
      assert.equal(signed?.keyId, rotated.keyId);
      const keys = await log.keys();
      assert.deepEqual(keys.map((k) => k.keyId).sort(), [key.keyId, rotated.keyId].sort());
      const report = await verifyChain(await log.liveChain());
      assert.deepEqual([report.ok, report.checkpoints], [true, 4]);
    });

    test('a bundle of a time range starts right after a checkpoint and runs to the next one, and verifies', async () => {
      const records = await log.page({}, { limit: 1000 });
      const seven = records.find((record) => record.seq === 7)!;
      const bundle = await buildBundle(log, { since: Date.parse(seven.time), until: Date.parse(seven.time) + 1, now: clock.now() });
      assert.deepEqual([bundle.manifest.fromSeq, bundle.manifest.toSeq], [6, 10]);
      const dir = tempDir();
      writeBundle(dir, bundle);
      const report = await verifyChain(readBundle(dir));
      assert.deepEqual([report.ok, report.startsAfterSeq, report.firstSeq, report.lastSeq], [true, 5, 6, 10]);
    });
  });
}
