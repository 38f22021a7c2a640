/**
 * Verification of an audit chain (docs/audit.md#the-algorithm), the same for an exported bundle and
 * for the live store: every record's hash is recomputed, every link checked, every checkpoint's
 * signature verified with the published keys, and what is wrong is reported by kind: a modified
 * record, a missing range, reordered records, a truncated tail, an unknown key, a bad signature, and
 * the records no checkpoint anchors yet (never reported as valid).
 */
import { AUDIT_RECORD_VERSION, auditRecordHash, GENESIS_HASH, type AuditRecord } from '../store/audit-record.js';
import { checkpointSignatureValid, CHECKPOINT_VERSION, type PublicCheckpointKey, type SignedCheckpoint } from './checkpoint.js';

export type FindingKind = 'modified' | 'missing' | 'reordered' | 'truncated' | 'unknown_key' | 'bad_signature' | 'not_anchored';

/** The exit code of `portcullis audit verify` per finding; with several, the lowest wins (docs/audit.md). */
export const EXIT_CODES: Readonly<Record<FindingKind, number>> = {
  modified: 2,
  missing: 3,
  reordered: 4,
  truncated: 5,
  unknown_key: 6,
  bad_signature: 7,
  not_anchored: 8,
};

export interface Finding {
  readonly kind: FindingKind;
  /** The records (or checkpoint range) concerned. */
  readonly fromSeq: number;
  readonly toSeq: number;
  readonly message: string;
}

/** One stored record: its text, and (live store) the columns stored beside it, which must agree. */
export interface StoredRecord {
  readonly text: string;
  /** Where it was read: `line 12`, `seq 12`. */
  readonly where: string;
  readonly columns?: { readonly seq: number; readonly hash: string; readonly action: string; readonly actorType: string; readonly actorId: string; readonly targetKind: string; readonly targetId: string; readonly outcome: string; readonly time: number } | undefined;
}

export interface ChainInput {
  /** In seq order (a reader that finds them otherwise reports `reordered` in `findings` and sorts). */
  readonly records: AsyncIterable<StoredRecord> | Iterable<StoredRecord>;
  readonly checkpoints: readonly SignedCheckpoint[];
  readonly keys: readonly PublicCheckpointKey[];
  /** Live store: the chain's head as the `store_revision` row holds it. */
  readonly head?: { readonly seq: number; readonly hash: string } | undefined;
  /**
   * The live store: the records are all that is stored, so where they start must be where the
   * newest `audit.archived` record says the archive ended (or record 1 when none): removing the
   * oldest records without archiving them is `missing`, even up to a checkpoint.
   */
  readonly complete?: boolean | undefined;
  /** A bundle: the last seq it was meant to hold (checkpoints past it are out of range). */
  readonly rangeEnd?: number | undefined;
  /** What the reader found already (reordering, unreadable lines). */
  readonly findings?: readonly Finding[] | undefined;
}

export interface VerifyReport {
  readonly ok: boolean;
  readonly records: number;
  readonly firstSeq: number | null;
  readonly lastSeq: number | null;
  /** The chain starts after this checkpoint (an export range or archived records); null: from record 1. */
  readonly startsAfterSeq: number | null;
  /** The checkpoint that anchors the chain's start (its `toSeq` is `startsAfterSeq`); null: from record 1. */
  readonly startCheckpoint: { readonly fromSeq: number; readonly toSeq: number } | null;
  /** The newest `audit.archived` record read says records through this seq were archived; null: none read. */
  readonly archivedThroughSeq: number | null;
  /** The last record a valid checkpoint anchors (0: none). */
  readonly anchoredThrough: number;
  readonly checkpoints: number;
  readonly findings: readonly Finding[];
  readonly exitCode: number;
}

export async function verifyChain(input: ChainInput): Promise<VerifyReport> {
  const findings: Finding[] = [...(input.findings ?? [])];
  const add = (kind: FindingKind, fromSeq: number, toSeq: number, message: string) => findings.push({ kind, fromSeq, toSeq, message });
  const checkpoints = verifyCheckpoints(input.checkpoints, input.keys, add);
  const anchorAt = new Map(checkpoints.valid.map((checkpoint) => [checkpoint.toSeq, checkpoint]));
  let count = 0;
  let firstSeq: number | null = null;
  let last: { seq: number; hash: string | undefined } | undefined;
  let startsAfterSeq: number | null = null;
  let anchoredThrough = 0;
  let archivedThroughSeq: number | null = null;

  for await (const stored of input.records) {
    count++;
    const record = parseRecord(stored.text);
    if (!record) {
      const seq = stored.columns?.seq ?? (last ? last.seq + 1 : 0);
      add('modified', seq, seq, `${stored.where}: not a version-${AUDIT_RECORD_VERSION} audit record`);
      last = { seq, hash: undefined };
      continue;
    }
    const seq = record.seq;
    if (firstSeq === null) {
      firstSeq = seq;
      startsAfterSeq = checkStart(record, checkpoints.all, add);
    } else if (last && seq <= last.seq) {
      add('reordered', seq, seq, `${stored.where}: record ${seq} comes after record ${last.seq}`);
      continue;
    } else if (last && seq > last.seq + 1) {
      add('missing', last.seq + 1, seq - 1, `records ${range(last.seq + 1, seq - 1)} are missing`);
    } else if (last?.hash !== undefined && record.prevHash !== last.hash) {
      add('modified', seq, seq, `record ${seq} does not link to record ${last.seq} (prevHash differs: one of them was changed)`);
    }
    const archived = record.action === 'audit.archived' ? record.detail?.['throughSeq'] : undefined;
    if (typeof archived === 'number' && Number.isSafeInteger(archived)) archivedThroughSeq = archived;
    const computed = auditRecordHash(record);
    if (computed !== record.hash) add('modified', seq, seq, `record ${seq}: its content does not match its hash`);
    const columns = stored.columns;
    if (columns && !columnsAgree(record, columns)) add('modified', seq, seq, `record ${seq}: the stored columns (seq, hash, actor, action, target, outcome or time) disagree with the record`);
    const anchor = anchorAt.get(seq);
    if (anchor) {
      if (anchor.lastHash !== record.hash || computed !== record.hash) add('modified', seq, seq, `record ${seq} differs from what checkpoint ${anchor.fromSeq}..${anchor.toSeq} signed`);
      else anchoredThrough = seq;
    }
    last = { seq, hash: record.hash };
  }

  const lastSeq = last?.seq ?? null;
  const lastKnown = lastSeq ?? startsAfterSeq ?? 0;
  // Checkpoints and the head say how far the chain went: records gone from the end are truncation.
  const signedEnd = Math.max(0, ...checkpoints.all.filter((c) => input.rangeEnd === undefined || c.toSeq <= input.rangeEnd).map((c) => c.toSeq));
  const expectedEnd = Math.max(signedEnd, input.head?.seq ?? 0, input.rangeEnd ?? 0);
  if (expectedEnd > lastKnown) add('truncated', lastKnown + 1, expectedEnd, `records ${range(lastKnown + 1, expectedEnd)} are gone from the end (${input.head && input.head.seq === expectedEnd ? "the chain's head" : 'a checkpoint or the export range'} says the chain reached ${expectedEnd})`);
  else if (input.head && last && input.head.seq === last.seq && input.head.hash !== last.hash) add('modified', last.seq, last.seq, `record ${last.seq} is not the chain's head (the head's hash differs)`);
  if (lastSeq !== null && lastSeq > anchoredThrough) {
    const from = Math.max(anchoredThrough, startsAfterSeq ?? 0) + 1;
    add('not_anchored', from, lastSeq, `records ${range(from, lastSeq)} are not yet anchored by a checkpoint: their hashes agree, but no signature covers them`);
  }
  if (input.complete && firstSeq !== null) checkArchivedStart(firstSeq, startsAfterSeq, archivedThroughSeq, add);
  const start = startsAfterSeq === null ? undefined : checkpoints.all.find((c) => c.toSeq === startsAfterSeq);
  const startCheckpoint = start ? { fromSeq: start.fromSeq, toSeq: start.toSeq } : null;
  const worst = findings.length === 0 ? 0 : Math.min(...findings.map((finding) => EXIT_CODES[finding.kind]));
  return { ok: findings.length === 0, records: count, firstSeq, lastSeq, startsAfterSeq, startCheckpoint, archivedThroughSeq, anchoredThrough, checkpoints: checkpoints.all.length, findings: sortFindings(findings), exitCode: worst };
}

/** Signatures, keys and the checkpoints' own chain; returns those that verify. */
function verifyCheckpoints(list: readonly SignedCheckpoint[], keys: readonly PublicCheckpointKey[], add: (kind: FindingKind, from: number, to: number, message: string) => void) {
  const byId = new Map(keys.map((key) => [key.keyId, key]));
  const all = [...list].sort((a, b) => a.toSeq - b.toSeq);
  const valid: SignedCheckpoint[] = [];
  let previous: SignedCheckpoint | undefined;
  for (const checkpoint of all) {
    const name = `checkpoint ${checkpoint.fromSeq}..${checkpoint.toSeq}`;
    const key = byId.get(checkpoint.keyId);
    let good = true;
    if (checkpoint.v !== CHECKPOINT_VERSION) {
      add('bad_signature', checkpoint.fromSeq, checkpoint.toSeq, `${name}: unknown version ${String(checkpoint.v)}`);
      good = false;
    } else if (!key) {
      add('unknown_key', checkpoint.fromSeq, checkpoint.toSeq, `${name} is signed by key ${checkpoint.keyId}, which is not among the public keys`);
      good = false;
    } else if (!checkpointSignatureValid(checkpoint, key.publicKey)) {
      add('bad_signature', checkpoint.fromSeq, checkpoint.toSeq, `${name}: the signature does not verify with key ${checkpoint.keyId}`);
      good = false;
    }
    const expectedFrom = previous ? previous.toSeq + 1 : 1;
    const expectedPrevious = previous?.signature ?? '';
    if (checkpoint.fromSeq !== expectedFrom || checkpoint.previousSignature !== expectedPrevious || checkpoint.toSeq < checkpoint.fromSeq) {
      add('bad_signature', checkpoint.fromSeq, checkpoint.toSeq, `${name} does not follow ${previous ? `checkpoint ${previous.fromSeq}..${previous.toSeq}` : 'the start of the trail'} (a checkpoint is missing or was replaced)`);
      good = false;
    }
    if (good) valid.push(checkpoint);
    previous = checkpoint;
  }
  return { all, valid };
}

/**
 * The first record must be record 1 (after the genesis hash) or follow a checkpoint exactly (an
 * export range or archived records start there). Returns the checkpoint's toSeq it follows.
 */
function checkStart(record: AuditRecord, checkpoints: readonly SignedCheckpoint[], add: (kind: FindingKind, from: number, to: number, message: string) => void): number | null {
  if (record.seq === 1) {
    if (record.prevHash !== GENESIS_HASH) add('modified', 1, 1, 'record 1 does not start the chain (its prevHash is not the genesis hash)');
    return null;
  }
  const before = checkpoints.find((checkpoint) => checkpoint.toSeq === record.seq - 1);
  if (!before) {
    // From just after the last checkpoint before it: what precedes that may have been archived.
    const from = Math.max(0, ...checkpoints.filter((checkpoint) => checkpoint.toSeq < record.seq).map((checkpoint) => checkpoint.toSeq)) + 1;
    add('missing', from, record.seq - 1, `records ${range(from, record.seq - 1)} are missing (the chain does not start right after a checkpoint)`);
    return null;
  }
  if (before.lastHash !== record.prevHash) add('modified', record.seq, record.seq, `record ${record.seq} does not link to checkpoint ${before.fromSeq}..${before.toSeq}`);
  return before.toSeq;
}

/**
 * The live store's start against the newest `audit.archived` record: records before it may be gone
 * only through an archive, which says where it ended. A start that does not follow a checkpoint was
 * reported already (missing).
 */
function checkArchivedStart(firstSeq: number, startsAfterSeq: number | null, archivedThrough: number | null, add: (kind: FindingKind, from: number, to: number, message: string) => void): void {
  if (firstSeq !== 1 && startsAfterSeq === null) return;
  const startsAfter = startsAfterSeq ?? 0;
  const archived = archivedThrough ?? 0;
  if (startsAfter > archived) {
    add('missing', archived + 1, startsAfter, `records ${range(archived + 1, startsAfter)} are gone from the start of the chain, and no audit.archived record says they were archived${archivedThrough === null ? '' : ` (the newest archive ended at seq ${archivedThrough})`}`);
  } else if (startsAfter < archived) {
    add('modified', firstSeq, archived, `an audit.archived record says records through seq ${archived} were archived, but the chain still starts at seq ${firstSeq}`);
  }
}

function parseRecord(text: string): AuditRecord | undefined {
  try {
    const value = JSON.parse(text) as AuditRecord;
    if (value === null || typeof value !== 'object' || value.v !== AUDIT_RECORD_VERSION || !Number.isSafeInteger(value.seq) || typeof value.hash !== 'string' || typeof value.prevHash !== 'string') return undefined;
    return value;
  } catch {
    return undefined;
  }
}

function columnsAgree(record: AuditRecord, columns: NonNullable<StoredRecord['columns']>): boolean {
  return (
    columns.seq === record.seq &&
    columns.hash === record.hash &&
    columns.action === record.action &&
    columns.actorType === record.actor?.type &&
    columns.actorId === record.actor?.id &&
    columns.targetKind === record.target?.kind &&
    columns.targetId === record.target?.id &&
    columns.outcome === record.outcome &&
    columns.time === Date.parse(record.time)
  );
}

function range(from: number, to: number): string {
  return from === to ? String(from) : `${from}..${to}`;
}

function sortFindings(findings: Finding[]): Finding[] {
  return findings.sort((a, b) => a.fromSeq - b.fromSeq || EXIT_CODES[a.kind] - EXIT_CODES[b.kind]);
}
