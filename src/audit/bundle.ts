/**
 * The export bundle (docs/audit.md#export-and-verify): a folder of manifest.json, records.jsonl,
 * checkpoints.jsonl, keys.json and a README of the algorithm. An export runs from just after a
 * checkpoint to the first checkpoint at or after the asked range (or the newest record), so every
 * record in it can be checked against a signature. Reading a bundle back gives the verifier's input.
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { canonicalJson, type AuditRecord } from '../store/audit-record.js';
import type { AuditLog } from './audit-log.js';
import { BUNDLE_README } from './bundle-readme.js';
import type { PublicCheckpointKey, SignedCheckpoint } from './checkpoint.js';
import type { ChainInput, Finding, StoredRecord } from './verify.js';

export const BUNDLE_FORMAT = 'portcullis-audit-bundle';

export interface BundleManifest {
  readonly format: typeof BUNDLE_FORMAT;
  readonly version: 1;
  readonly exportedAt: string;
  /** The time range asked for (RFC 3339), when one was. */
  readonly since: string | null;
  readonly until: string | null;
  /** The seq range held (null when the range held no record). */
  readonly fromSeq: number | null;
  readonly toSeq: number | null;
  readonly records: number;
}

export interface AuditBundle {
  readonly manifest: BundleManifest;
  readonly records: readonly AuditRecord[];
  readonly checkpoints: readonly SignedCheckpoint[];
  readonly keys: readonly PublicCheckpointKey[];
}

/**
 * The seqs of the records with `time` in [since, until) (ms), widened to checkpoint boundaries: from
 * just after the last checkpoint before the first record, to the first checkpoint that covers the
 * last one (or the chain's head when none does yet). Undefined when no record is in the range.
 */
export async function checkpointedRange(log: AuditLog, checkpoints: readonly SignedCheckpoint[], since: number | undefined, until: number | undefined): Promise<{ fromSeq: number; toSeq: number } | undefined> {
  const asked = await log.seqRange(since, until);
  if (!asked) return undefined;
  const fromSeq = Math.max(0, ...checkpoints.filter((c) => c.toSeq < asked.first).map((c) => c.toSeq)) + 1;
  const closing = checkpoints.find((c) => c.toSeq >= asked.last);
  return { fromSeq, toSeq: closing ? closing.toSeq : (await log.head()).seq };
}

/** The records of [since, until) widened to checkpoint boundaries, with every checkpoint and key. */
export async function buildBundle(log: AuditLog, options: { since?: number | undefined; until?: number | undefined; now: number }): Promise<AuditBundle> {
  const checkpoints = await log.checkpoints();
  const keys = await log.keys();
  const range = await checkpointedRange(log, checkpoints, options.since, options.until);
  const records: AuditRecord[] = [];
  const fromSeq = range?.fromSeq ?? null;
  const toSeq = range?.toSeq ?? null;
  if (range) for await (const stored of log.walk(range.fromSeq, range.toSeq)) records.push(JSON.parse(stored.text) as AuditRecord);
  const iso = (ms: number | undefined) => (ms === undefined ? null : new Date(ms).toISOString());
  return {
    manifest: { format: BUNDLE_FORMAT, version: 1, exportedAt: new Date(options.now).toISOString(), since: iso(options.since), until: iso(options.until), fromSeq, toSeq, records: records.length },
    records,
    checkpoints,
    keys,
  };
}

/** Writes the bundle's files into `dir` (created if need be). */
export function writeBundle(dir: string, bundle: AuditBundle): void {
  mkdirSync(dir, { recursive: true });
  const lines = (items: readonly unknown[]) => items.map((item) => `${canonicalJson(item)}\n`).join('');
  writeFileSync(join(dir, 'manifest.json'), `${JSON.stringify(bundle.manifest, null, 2)}\n`);
  writeFileSync(join(dir, 'records.jsonl'), lines(bundle.records));
  writeFileSync(join(dir, 'checkpoints.jsonl'), lines(bundle.checkpoints));
  writeFileSync(join(dir, 'keys.json'), `${JSON.stringify({ keys: bundle.keys }, null, 2)}\n`);
  writeFileSync(join(dir, 'README.md'), BUNDLE_README);
}

export class BundleError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'BundleError';
  }
}

/**
 * Reads a bundle folder as the verifier's input. Records out of seq order are reported as
 * `reordered` and then checked in seq order, so a move is told apart from a deletion.
 * `trustedKeys`: public keys from elsewhere, used instead of the bundle's keys.json.
 */
export function readBundle(dir: string, trustedKeys?: readonly PublicCheckpointKey[]): ChainInput {
  const manifest = readJson(join(dir, 'manifest.json')) as Partial<BundleManifest>;
  if (manifest.format !== BUNDLE_FORMAT) throw new BundleError(`${dir}/manifest.json is not a ${BUNDLE_FORMAT} manifest`);
  const findings: Finding[] = [];
  const records = readLines(join(dir, 'records.jsonl')).map((text, index) => ({ text, where: `records.jsonl line ${index + 1}`, seq: seqOf(text) }));
  let highest = Number.NEGATIVE_INFINITY;
  for (const record of records) {
    if (record.seq === undefined) continue;
    if (record.seq <= highest) findings.push({ kind: 'reordered', fromSeq: record.seq, toSeq: record.seq, message: `${record.where}: record ${record.seq} comes after record ${highest}` });
    highest = Math.max(highest, record.seq);
  }
  // Stable: an unparsable line keeps its neighbour's place (the verifier reports it as modified).
  let lastSeq = 0;
  const ordered = records.map((record) => ({ ...record, key: (lastSeq = record.seq ?? lastSeq) })).sort((a, b) => a.key - b.key);
  const checkpoints = readLines(join(dir, 'checkpoints.jsonl')).map((text, index) => {
    try {
      return JSON.parse(text) as SignedCheckpoint;
    } catch {
      throw new BundleError(`checkpoints.jsonl line ${index + 1} is not JSON`);
    }
  });
  const keys = trustedKeys ?? ((readJson(join(dir, 'keys.json')) as { keys?: PublicCheckpointKey[] }).keys ?? []);
  return {
    records: ordered.map((record): StoredRecord => ({ text: record.text, where: record.where })),
    checkpoints,
    keys,
    rangeEnd: typeof manifest.toSeq === 'number' ? manifest.toSeq : undefined,
    findings,
  };
}

function seqOf(text: string): number | undefined {
  try {
    const seq = (JSON.parse(text) as { seq?: unknown }).seq;
    return typeof seq === 'number' && Number.isSafeInteger(seq) ? seq : undefined;
  } catch {
    return undefined;
  }
}

function readLines(file: string): string[] {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch {
    throw new BundleError(`cannot read ${file}`);
  }
  return text.split('\n').filter((line) => line.trim() !== '');
}

function readJson(file: string): unknown {
  try {
    return JSON.parse(readFileSync(file, 'utf8'));
  } catch {
    throw new BundleError(`cannot read ${file} as JSON`);
  }
}
