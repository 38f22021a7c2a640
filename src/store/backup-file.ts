/**
 * The backup file (`portcullis backup`, docs/operations.md#backup-and-restore): JSON lines. The
 * first line is the manifest; every line after it is the content, whose SHA-256 the manifest
 * holds, so a file cut short or edited is refused before a restore touches the database:
 *
 *   {"format":"portcullis-backup","formatVersion":1,...,"contentSha256":"…"}
 *   {"table":"consumers","columns":["id","name",…],"rows":2}
 *   ["con_…","acme",…]
 *   ["con_…","globex",…]
 *   {"table":"api_keys",…}
 *
 * Values are what the database holds: text and integers (the schema has no other column types).
 * The vault's secrets are in it as their envelopes (KEK id, wrapped data key, ciphertext); the KEK
 * never is, nor any plaintext (the store holds none: API keys and client secrets are hashes).
 */
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { createInterface } from 'node:readline';

export const BACKUP_FORMAT = 'portcullis-backup';
export const BACKUP_FORMAT_VERSION = 1;

export interface BackupManifest {
  readonly format: typeof BACKUP_FORMAT;
  readonly formatVersion: number;
  /** ISO 8601, when the snapshot was taken. */
  readonly createdAt: string;
  readonly dialect: 'sqlite' | 'postgres';
  /** The last migration applied: the schema version a restore migrates the empty database to. */
  readonly schemaVersion: string;
  readonly migrations: readonly string[];
  /** The store revision (change-feed counter) of the snapshot. */
  readonly storeRevision: number;
  /** The audit chain's head in the snapshot (docs/audit.md): the last record's seq and hash. */
  readonly auditHead: { readonly seq: number; readonly hash: string };
  /** Rows per table. */
  readonly tables: Readonly<Record<string, number>>;
  /** The KEK ids the backup's sealed values are wrapped by: the escrowed KEKs a restore needs. */
  readonly kekIds: readonly string[];
  /** SHA-256 (hex) of every byte after the manifest line. */
  readonly contentSha256: string;
}

export interface TableHeader {
  readonly table: string;
  readonly columns: readonly string[];
  readonly rows: number;
}

export type BackupValue = string | number | null;

export class BackupFileError extends Error {
  override readonly name = 'BackupFileError';
}

/** Reads and checks the manifest and the content's hash (one pass over the file); throws BackupFileError. */
export async function readVerifiedManifest(file: string): Promise<BackupManifest> {
  let manifest: BackupManifest | undefined;
  const hash = createHash('sha256');
  for await (const line of lines(file)) {
    if (manifest === undefined) {
      manifest = parseManifest(line);
      continue;
    }
    hash.update(`${line}\n`);
  }
  if (manifest === undefined) throw new BackupFileError(`${file} is empty: not a portcullis backup`);
  const actual = hash.digest('hex');
  if (actual !== manifest.contentSha256) throw new BackupFileError(`${file}: the content's SHA-256 is ${actual}, the manifest says ${manifest.contentSha256}: the file is damaged or was changed`);
  return manifest;
}

/** The content of a verified file, table by table: its header and its rows, in file order. */
export async function* readTables(file: string): AsyncGenerator<{ header: TableHeader; rows: BackupValue[][] }> {
  let header: TableHeader | undefined;
  let rows: BackupValue[][] = [];
  let first = true;
  for await (const line of lines(file)) {
    if (first) {
      first = false;
      continue;
    }
    const value = JSON.parse(line) as TableHeader | BackupValue[];
    if (Array.isArray(value)) {
      if (!header) throw new BackupFileError('a row before any table header');
      rows.push(value);
      continue;
    }
    if (header) yield { header, rows };
    header = value;
    rows = [];
  }
  if (header) yield { header, rows };
}

function parseManifest(line: string): BackupManifest {
  let parsed: Partial<BackupManifest>;
  try {
    parsed = JSON.parse(line) as Partial<BackupManifest>;
  } catch {
    throw new BackupFileError('not a portcullis backup (its first line is not a JSON manifest)');
  }
  if (parsed.format !== BACKUP_FORMAT) throw new BackupFileError('not a portcullis backup (no manifest)');
  if (parsed.formatVersion !== BACKUP_FORMAT_VERSION) throw new BackupFileError(`backup format version ${String(parsed.formatVersion)}: this release reads version ${BACKUP_FORMAT_VERSION}`);
  if (typeof parsed.contentSha256 !== 'string' || !Array.isArray(parsed.migrations) || typeof parsed.schemaVersion !== 'string') throw new BackupFileError('the backup manifest is incomplete');
  return parsed as BackupManifest;
}

function lines(file: string): AsyncIterable<string> {
  return createInterface({ input: createReadStream(file, { encoding: 'utf8' }), crlfDelay: Infinity });
}
