/**
 * Where a private CA keeps what it issued and revoked, and its newest CRL: the `IssuedLedger`.
 * Two kinds: a CA folder without a store keeps `issued.json` and `crl.pem` on disk, changed under
 * the folder's lock file (FileLedger, here); a CA used with a store keeps them in the store, each
 * change a unit of work with its actor (store-ledger.ts), and writes `crl.pem` as a copy.
 */
import { closeSync, openSync, readFileSync, renameSync, rmSync, statSync, unlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { crlNumberOf } from './issue.js';
import { x509 } from '../auth/x509.js';

export class CaError extends Error {}

export interface IssuedRecord {
  serial: string;
  consumerId: string;
  subject: string;
  fingerprintSha256: string;
  notBefore: string;
  notAfter: string;
  status: 'active' | 'revoked';
  revokedAt?: string;
}

/** A CRL signed from the ledger's revocations, with the number it carries (RFC 5280 §5.2.3). */
export interface SignedCrl {
  readonly pem: string;
  readonly crlNumber: number;
  readonly thisUpdate: number;
  readonly nextUpdate: number;
}

/**
 * Signs a CRL of `revoked`, numbered after `previousNumber` (the ledger's newest CRL, if any).
 * Called by the ledger while it holds its lock, so no other CRL is signed in between.
 */
export type CrlSigner = (revoked: ReadonlyArray<{ serial: string; revokedAt: Date }>, previousNumber: number | undefined) => Promise<SignedCrl>;

export interface IssuedLedger {
  readonly kind: 'file' | 'store';
  /** Every certificate issued, oldest first. */
  list(): Promise<IssuedRecord[]>;
  add(record: IssuedRecord): Promise<void>;
  /**
   * Marks `serial` revoked at `now` (unless it is already) and keeps the CRL `sign` makes, as one
   * change. Throws CaError for a serial this CA did not issue.
   */
  revoke(serial: string, now: number, sign: CrlSigner): Promise<{ record: IssuedRecord; crl: SignedCrl }>;
  /** Signs and keeps a fresh CRL of every revocation. */
  signCrl(sign: CrlSigner): Promise<SignedCrl>;
}

export const ISSUED_FILE = 'issued.json';
export const CRL_FILE = 'crl.pem';

/** The revoked entries of a record list, as a CRL lists them. */
export function revokedEntries(records: readonly IssuedRecord[]): Array<{ serial: string; revokedAt: Date }> {
  return records.filter((entry) => entry.status === 'revoked').map((entry) => ({ serial: entry.serial, revokedAt: new Date(entry.revokedAt!) }));
}

/** The CRL Number of the folder's crl.pem, or undefined when it is missing or unreadable. */
export function crlFileNumber(dir: string): number | undefined {
  try {
    return crlNumberOf(new x509.X509Crl(readFileSync(join(dir, CRL_FILE), 'utf8')));
  } catch {
    return undefined;
  }
}

/** A CA folder without a store: issued.json and crl.pem, changed under the folder lock. */
export class FileLedger implements IssuedLedger {
  readonly kind = 'file';

  constructor(private readonly dir: string) {}

  async list(): Promise<IssuedRecord[]> {
    return readIssued(this.dir);
  }

  add(record: IssuedRecord): Promise<void> {
    return withFolderLock(this.dir, () => writeAtomic(join(this.dir, ISSUED_FILE), `${JSON.stringify([...readIssued(this.dir), record], null, 2)}\n`));
  }

  revoke(serial: string, now: number, sign: CrlSigner): Promise<{ record: IssuedRecord; crl: SignedCrl }> {
    return withFolderLock(this.dir, async () => {
      const issued = readIssued(this.dir);
      const record = issued.find((entry) => entry.serial === serial);
      if (!record) throw new CaError(`no certificate with serial ${serial} was issued by this CA`);
      if (record.status !== 'revoked') {
        record.status = 'revoked';
        record.revokedAt = new Date(now).toISOString();
        writeAtomic(join(this.dir, ISSUED_FILE), `${JSON.stringify(issued, null, 2)}\n`);
      }
      return { record, crl: await this.#sign(issued, sign) };
    });
  }

  signCrl(sign: CrlSigner): Promise<SignedCrl> {
    return withFolderLock(this.dir, () => this.#sign(readIssued(this.dir), sign));
  }

  async #sign(issued: readonly IssuedRecord[], sign: CrlSigner): Promise<SignedCrl> {
    const crl = await sign(revokedEntries(issued), crlFileNumber(this.dir));
    writeAtomic(join(this.dir, CRL_FILE), crl.pem);
    return crl;
  }
}

export function readIssued(dir: string): IssuedRecord[] {
  return JSON.parse(readFileSync(join(dir, ISSUED_FILE), 'utf8')) as IssuedRecord[];
}

/** A lock older than this is taken to be left by a command that died, and is taken over. */
const STALE_LOCK_MS = 60_000;
const LOCK_WAIT_MS = 15_000;

/**
 * Runs `change` holding the folder's lock file (created with O_EXCL, so only one process can hold
 * it). Waits for another holder up to LOCK_WAIT_MS, then says so rather than proceeding unlocked.
 */
export async function withFolderLock<T>(dir: string, change: () => T | Promise<T>): Promise<T> {
  const lock = join(dir, '.lock');
  const deadline = Date.now() + LOCK_WAIT_MS;
  for (;;) {
    try {
      closeSync(openSync(lock, 'wx'));
      break;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      const age = Date.now() - (statSync(lock, { throwIfNoEntry: false })?.mtimeMs ?? Date.now());
      if (age > STALE_LOCK_MS) {
        rmSync(lock, { force: true });
        continue;
      }
      if (Date.now() > deadline) throw new CaError(`the CA folder is locked by another command (${lock}); if none runs, remove that file`);
      await new Promise((resolve) => setTimeout(resolve, 20 + Math.random() * 30));
    }
  }
  try {
    return await change();
  } finally {
    unlinkSync(lock);
  }
}

/** Written to a temporary name and renamed, so a reader never sees half a file. */
export function writeAtomic(path: string, content: string, mode = 0o644): void {
  const temporary = `${path}.${process.pid}.tmp`;
  writeFileSync(temporary, content, { mode });
  renameSync(temporary, path);
}
