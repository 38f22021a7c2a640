/**
 * A private CA whose records live in the store: issuance, revocation and CRL signing are units of
 * work of the command's actor (`certificate.issue`, `certificate.revoke`, `crl.sign`), replicated
 * to every node like keys. `crl.pem` in the CA folder stays a copy of the newest CRL, for listeners
 * that read it as a file. The first use of a folder that kept `issued.json` moves its records (and
 * its CRL) into the store (`certificate.import`) and marks `ca.json` with `"ledger": "store"`.
 */
import { existsSync, readFileSync, renameSync } from 'node:fs';
import { join } from 'node:path';
import type { Actor } from '../core/actor.js';
import { PkiRepository, type CertificateRecord } from '../store/pki-repository.js';
import { lockRevision, type Store, type WriteTx } from '../store/store.js';
import { crlNumberOf } from './issue.js';
import { CaError, CRL_FILE, crlFileNumber, ISSUED_FILE, readIssued, revokedEntries, withFolderLock, writeAtomic, type CrlSigner, type IssuedLedger, type IssuedRecord, type SignedCrl } from './ledger.js';
import { x509 } from '../auth/x509.js';

/** The store and who acts: what a CA command needs to keep its records in the store. */
export interface CaStoreAccess {
  readonly store: Store;
  readonly actor: Actor;
}

const toIssued = (record: CertificateRecord): IssuedRecord => ({
  serial: record.serial,
  consumerId: record.consumerId,
  subject: record.subject,
  fingerprintSha256: record.fingerprintSha256,
  notBefore: new Date(record.notBefore).toISOString(),
  notAfter: new Date(record.notAfter).toISOString(),
  status: record.status,
  ...(record.revokedAt === null ? {} : { revokedAt: new Date(record.revokedAt).toISOString() }),
});

export class StoreLedger implements IssuedLedger {
  readonly kind = 'store';
  readonly #repository: PkiRepository;

  constructor(
    private readonly dir: string,
    /** The CA certificate's SHA-256 fingerprint, hex. */
    private readonly caId: string,
    private readonly access: CaStoreAccess,
  ) {
    this.#repository = new PkiRepository(access.store.db);
  }

  async list(): Promise<IssuedRecord[]> {
    return (await this.#repository.list(this.caId)).map(toIssued);
  }

  async add(record: IssuedRecord): Promise<void> {
    await this.access.store.write(this.access.actor, 'certificate.issue', (tx) => this.#repository.insert(tx, this.#row(record)));
  }

  async revoke(serial: string, _now: number, sign: CrlSigner): Promise<{ record: IssuedRecord; crl: SignedCrl }> {
    const done = await this.access.store.write(this.access.actor, 'certificate.revoke', async (tx) => {
      // Under the writers' lock: no other CRL of this CA can be signed between reading and saving.
      await lockRevision(tx);
      if (!(await this.#repository.get(this.caId, serial, tx.db))) throw new CaError(`no certificate with serial ${serial} was issued by this CA`);
      await this.#repository.revoke(tx, this.caId, serial);
      const record = toIssued((await this.#repository.get(this.caId, serial, tx.db))!);
      return { record, crl: await this.#signIn(tx, sign) };
    });
    await this.#copyCrl(done.crl);
    return done;
  }

  async signCrl(sign: CrlSigner): Promise<SignedCrl> {
    const crl = await this.access.store.write(this.access.actor, 'crl.sign', async (tx) => {
      await lockRevision(tx);
      return this.#signIn(tx, sign);
    });
    await this.#copyCrl(crl);
    return crl;
  }

  /**
   * Moves a folder's issued.json (and its CRL's number) into the store once, then marks ca.json.
   * Serials already in the store are kept as they are, so an import cut short can run again.
   */
  async importFolder(markStore: () => void): Promise<number> {
    return withFolderLock(this.dir, async () => {
      const issuedPath = join(this.dir, ISSUED_FILE);
      const records = existsSync(issuedPath) ? readIssued(this.dir) : [];
      const crlPem = readCrlFile(this.dir);
      const imported = await this.access.store.write(this.access.actor, 'certificate.import', async (tx) => {
        let count = 0;
        for (const record of records) if (await this.#repository.insert(tx, { ...this.#row(record), issuedBy: 'imported' })) count++;
        if (crlPem && !(await this.#repository.latestCrl(this.caId, tx.db))) {
          const crl = new x509.X509Crl(crlPem);
          await this.#repository.saveCrl(tx, { caId: this.caId, crlNumber: crlNumberOf(crl) ?? 0, thisUpdate: crl.thisUpdate.getTime(), nextUpdate: crl.nextUpdate?.getTime() ?? 0, pem: crlPem });
        }
        return count;
      });
      markStore();
      // Kept, renamed, as a record of what was imported; nothing reads it any more.
      if (existsSync(issuedPath)) renameSync(issuedPath, `${issuedPath}.imported`);
      return imported;
    });
  }

  async #signIn(tx: WriteTx, sign: CrlSigner): Promise<SignedCrl> {
    const revoked = revokedEntries((await this.#repository.list(this.caId, tx.db)).map(toIssued));
    const previous = await this.#repository.latestCrl(this.caId, tx.db);
    const crl = await sign(revoked, previous?.crlNumber);
    await this.#repository.saveCrl(tx, { caId: this.caId, ...crl });
    return crl;
  }

  /** The folder's crl.pem follows the store, never stepping back to an older CRL. */
  #copyCrl(crl: SignedCrl): Promise<void> {
    return withFolderLock(this.dir, () => {
      const current = crlFileNumber(this.dir);
      if (current === undefined || current < crl.crlNumber) writeAtomic(join(this.dir, CRL_FILE), crl.pem);
    });
  }

  #row(record: IssuedRecord): Omit<CertificateRecord, 'issuedBy'> {
    return {
      caId: this.caId,
      serial: record.serial,
      consumerId: record.consumerId,
      subject: record.subject,
      fingerprintSha256: record.fingerprintSha256,
      notBefore: Date.parse(record.notBefore),
      notAfter: Date.parse(record.notAfter),
      status: record.status,
      revokedAt: record.revokedAt === undefined ? null : Date.parse(record.revokedAt),
    };
  }
}

function readCrlFile(dir: string): string | undefined {
  try {
    return readFileSync(join(dir, CRL_FILE), 'utf8');
  } catch {
    return undefined;
  }
}
