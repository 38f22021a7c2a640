/**
 * Archiving the oldest audit records out of the store (docs/audit.md#retention-and-archiving):
 * records are cut only at a checkpoint boundary, exported as a normal bundle first, and removed in
 * one unit of work that proves the caller holds that exact export (the SHA-256 of its
 * `records.jsonl`) and appends an `audit.archived` record saying what went where. Checkpoints and
 * public keys are never removed: the remaining chain starts right after the checkpoint that anchors
 * the last archived record, and the verifier checks the start against that `audit.archived` record.
 */
import { createHash } from 'node:crypto';
import type { Actor } from '../core/actor.js';
import { appendAuditRecord } from '../store/audit-chain.js';
import type { AuditRecord } from '../store/audit-record.js';
import { lockRevision, type Store } from '../store/store.js';
import type { AuditLog } from './audit-log.js';
import { BUNDLE_FORMAT, type AuditBundle } from './bundle.js';
import type { SignedCheckpoint } from './checkpoint.js';

export const DAY_MS = 86_400_000;

/** What one archive would remove: the records `fromSeq..throughSeq`, anchored by `anchor` (toSeq = throughSeq). */
export interface ArchivePlan {
  readonly fromSeq: number;
  readonly throughSeq: number;
  readonly anchor: SignedCheckpoint;
}

export type ArchiveRefusal = 'retention' | 'not_at_checkpoint' | 'bundle_mismatch' | 'nothing_to_archive';

/** Why an archive was refused; nothing was removed. */
export class ArchiveRefused extends Error {
  constructor(
    readonly reason: ArchiveRefusal,
    message: string,
  ) {
    super(message);
    this.name = 'ArchiveRefused';
  }
}

/** Records at or after this time (ms since the epoch) are kept: `now − minimumDays`. */
export function retentionCutoff(now: number, minimumDays: number): number {
  return now - minimumDays * DAY_MS;
}

/**
 * The newest archive that removes only records older than `before` (ms since the epoch): from the
 * first record still stored through the newest checkpoint none of whose records (nor any before
 * them) is at or after `before`. Undefined: nothing can be archived (no such checkpoint).
 */
export async function planArchive(log: AuditLog, before: number): Promise<ArchivePlan | undefined> {
  const first = await log.firstSeq();
  if (first === undefined) return undefined;
  const young = await log.firstSeqAtOrAfter(before);
  const limit = young === undefined ? Number.MAX_SAFE_INTEGER : young - 1;
  const anchor = (await log.checkpoints()).filter((c) => c.toSeq >= first && c.toSeq <= limit).at(-1);
  return anchor && { fromSeq: first, throughSeq: anchor.toSeq, anchor };
}

/** The bundle of exactly the plan's records (with every checkpoint and key), as `audit export` writes it. */
export async function buildArchiveBundle(log: AuditLog, plan: ArchivePlan, options: { before: number; now: number }): Promise<AuditBundle> {
  const records: AuditRecord[] = [];
  for await (const stored of log.walk(plan.fromSeq, plan.throughSeq)) records.push(JSON.parse(stored.text) as AuditRecord);
  return {
    manifest: { format: BUNDLE_FORMAT, version: 1, exportedAt: new Date(options.now).toISOString(), since: null, until: new Date(options.before).toISOString(), fromSeq: plan.fromSeq, toSeq: plan.throughSeq, records: records.length },
    records,
    checkpoints: await log.checkpoints(),
    keys: await log.keys(),
  };
}

/** Hex SHA-256 of a bundle's `records.jsonl` content (what `sha256sum records.jsonl` prints). */
export function recordsSha256(recordsJsonl: string | Buffer): string {
  return createHash('sha256').update(recordsJsonl).digest('hex');
}

export interface ArchiveRequest {
  /** The last record to remove: the `toSeq` of a checkpoint. */
  readonly throughSeq: number;
  /** Hex SHA-256 of the exported `records.jsonl` that holds every stored record up to `throughSeq`. */
  readonly bundleSha256: string;
  /** `audit.retention.minimumDays`: a record younger than this is never removed. */
  readonly minimumDays: number;
  /** The `--before` asked for, recorded (RFC 3339), when there was one. */
  readonly before?: string | undefined;
}

export interface ArchiveResult {
  readonly fromSeq: number;
  readonly throughSeq: number;
  readonly records: number;
  /** The `audit.archived` record appended in the same transaction. */
  readonly record: AuditRecord;
}

/** Rows are hashed in pages of this many inside the archive's transaction. */
const PAGE = 1000;

/**
 * Removes every stored record up to `throughSeq` and appends `audit.archived` (as `actor`), in one
 * unit of work under the writers' lock, after checking that `throughSeq` is a checkpoint's `toSeq`,
 * that no record is younger than the retention, and that the records hash (as `records.jsonl`
 * lines) to `bundleSha256`. Throws ArchiveRefused (nothing removed) otherwise.
 */
export async function archiveRecords(store: Store, actor: Actor, request: ArchiveRequest): Promise<ArchiveResult> {
  return store.write(actor, 'audit.archived', async (tx) => {
    await lockRevision(tx);
    const anchor = await tx.db.selectFrom('audit_checkpoints').select(['from_seq', 'to_seq']).where('to_seq', '=', request.throughSeq).executeTakeFirst();
    if (!anchor) throw new ArchiveRefused('not_at_checkpoint', `seq ${request.throughSeq} is not the end of a checkpoint: records are archived only up to a checkpoint, which then anchors what remains`);
    const cutoff = retentionCutoff(tx.now, request.minimumDays);
    const digest = createHash('sha256');
    let fromSeq: number | undefined;
    let expected: number | undefined;
    let count = 0;
    for (let after = 0; ; ) {
      const rows = await tx.db.selectFrom('audit_records').select(['seq', 'time', 'record']).where('seq', '>', after).where('seq', '<=', request.throughSeq).orderBy('seq').limit(PAGE).execute();
      for (const row of rows) {
        const seq = Number(row.seq);
        fromSeq ??= seq;
        // A gap means the store was tampered with: archiving must not hide it inside a bundle.
        if (expected !== undefined && seq !== expected) throw new ArchiveRefused('bundle_mismatch', `the stored records have a gap before seq ${seq}: run portcullis audit verify`);
        if (Number(row.time) >= cutoff) throw new ArchiveRefused('retention', `record ${seq} is younger than audit.retention.minimumDays (${request.minimumDays} days): it is kept`);
        digest.update(`${row.record}\n`);
        expected = seq + 1;
        count++;
        after = seq;
      }
      if (rows.length < PAGE) break;
    }
    if (fromSeq === undefined) throw new ArchiveRefused('nothing_to_archive', `no stored record is at or before seq ${request.throughSeq}: it was archived already`);
    if (digest.digest('hex') !== request.bundleSha256.toLowerCase()) {
      throw new ArchiveRefused('bundle_mismatch', `the records up to seq ${request.throughSeq} are not those of the export (its records.jsonl SHA-256 differs): export again, verify, then archive`);
    }
    const removed = await tx.db.deleteFrom('audit_records').where('seq', '<=', request.throughSeq).executeTakeFirst();
    if (Number(removed.numDeletedRows) !== count) throw new Error(`archive removed ${String(removed.numDeletedRows)} records, expected ${count}`);
    const record = await appendAuditRecord(tx, {
      action: 'audit.archived',
      target: { kind: 'audit_trail', id: 'archive' },
      detail: {
        detail: {
          fromSeq,
          throughSeq: request.throughSeq,
          records: count,
          checkpoint: { fromSeq: Number(anchor.from_seq), toSeq: Number(anchor.to_seq) },
          bundleSha256: request.bundleSha256.toLowerCase(),
          ...(request.before === undefined ? {} : { before: request.before }),
        },
      },
    });
    return { fromSeq, throughSeq: request.throughSeq, records: count, record };
  });
}
