/**
 * The private CA's records in the store: the certificates it issued and the newest CRL it signed,
 * per CA (`ca_id`, the CA certificate's SHA-256 fingerprint). Writes run in a unit of work
 * (store.ts) and record a change (`certificate`, `crl`), so issuance and revocation are
 * attributable and reach every node.
 */
import type { Kysely } from 'kysely';
import { describeActor } from '../core/actor.js';
import type { Db } from './repositories.js';
import { recordChange, type WriteTx } from './store.js';
import type { PkiCertificatesTable, PkiCrlsTable, StoreTables } from './tables.js';

export interface CertificateRecord {
  caId: string;
  serial: string;
  consumerId: string;
  subject: string;
  fingerprintSha256: string;
  notBefore: number;
  notAfter: number;
  status: 'active' | 'revoked';
  revokedAt: number | null;
  issuedBy: string;
}

export interface StoredCrl {
  caId: string;
  crlNumber: number;
  thisUpdate: number;
  nextUpdate: number;
  pem: string;
}

const toCertificate = (row: PkiCertificatesTable): CertificateRecord => ({
  caId: row.ca_id,
  serial: row.serial,
  consumerId: row.consumer_id,
  subject: row.subject,
  fingerprintSha256: row.fingerprint_sha256,
  notBefore: Number(row.not_before),
  notAfter: Number(row.not_after),
  status: row.status,
  revokedAt: row.revoked_at === null ? null : Number(row.revoked_at),
  issuedBy: row.issued_by,
});

const toCrl = (row: PkiCrlsTable): StoredCrl => ({ caId: row.ca_id, crlNumber: Number(row.crl_number), thisUpdate: Number(row.this_update), nextUpdate: Number(row.next_update), pem: row.pem });

/** Change ids name the CA too: serials are unique per CA only. */
export const certificateChangeId = (caId: string, serial: string) => `${caId}:${serial}`;

export class PkiRepository {
  constructor(private readonly db: Kysely<StoreTables>) {}

  /** Every certificate the CA issued, oldest first. `db`: a unit of work's transaction. */
  async list(caId: string, db: Db = this.db): Promise<CertificateRecord[]> {
    return (await db.selectFrom('pki_certificates').selectAll().where('ca_id', '=', caId).orderBy('created_at').orderBy('serial').execute()).map(toCertificate);
  }

  async get(caId: string, serial: string, db: Db = this.db): Promise<CertificateRecord | undefined> {
    const row = await db.selectFrom('pki_certificates').selectAll().where('ca_id', '=', caId).where('serial', '=', serial).executeTakeFirst();
    return row && toCertificate(row);
  }

  /**
   * Records an issued certificate, attributed to the unit's actor (`issuedBy` overrides it for
   * imported records). A serial already recorded is left as it is (an import run twice).
   */
  async insert(tx: WriteTx, record: Omit<CertificateRecord, 'issuedBy'> & { issuedBy?: string }): Promise<boolean> {
    if (await this.get(record.caId, record.serial, tx.db)) return false;
    await tx.db
      .insertInto('pki_certificates')
      .values({
        ca_id: record.caId,
        serial: record.serial,
        consumer_id: record.consumerId,
        subject: record.subject,
        fingerprint_sha256: record.fingerprintSha256,
        not_before: record.notBefore,
        not_after: record.notAfter,
        status: record.status,
        revoked_at: record.revokedAt,
        issued_by: record.issuedBy ?? describeActor(tx.actor),
        created_at: tx.now,
      })
      .execute();
    const created = await this.get(record.caId, record.serial, tx.db);
    await recordChange(tx, 'certificate', certificateChangeId(record.caId, record.serial), { changes: { after: created } });
    return true;
  }

  /** Marks the certificate revoked at `tx.now`; false if it was revoked already. */
  async revoke(tx: WriteTx, caId: string, serial: string): Promise<boolean> {
    const before = await this.get(caId, serial, tx.db);
    const result = await tx.db.updateTable('pki_certificates').set({ status: 'revoked', revoked_at: tx.now }).where('ca_id', '=', caId).where('serial', '=', serial).where('status', '=', 'active').executeTakeFirst();
    if (result.numUpdatedRows === 0n) return false;
    await recordChange(tx, 'certificate', certificateChangeId(caId, serial), { changes: { before, after: await this.get(caId, serial, tx.db) } });
    return true;
  }

  async latestCrl(caId: string, db: Db = this.db): Promise<StoredCrl | undefined> {
    const row = await db.selectFrom('pki_crls').selectAll().where('ca_id', '=', caId).executeTakeFirst();
    return row && toCrl(row);
  }

  /** Keeps `crl` as the CA's newest CRL. */
  async saveCrl(tx: WriteTx, crl: StoredCrl): Promise<void> {
    const values = { crl_number: crl.crlNumber, this_update: crl.thisUpdate, next_update: crl.nextUpdate, pem: crl.pem };
    const previous = await this.latestCrl(crl.caId, tx.db);
    const updated = await tx.db.updateTable('pki_crls').set(values).where('ca_id', '=', crl.caId).executeTakeFirst();
    if (updated.numUpdatedRows === 0n) await tx.db.insertInto('pki_crls').values({ ca_id: crl.caId, ...values }).execute();
    // The CRL's numbers and times; the PEM itself is public but long, and its number identifies it.
    const audited = (c: StoredCrl) => ({ crlNumber: c.crlNumber, thisUpdate: c.thisUpdate, nextUpdate: c.nextUpdate });
    await recordChange(tx, 'crl', crl.caId, { changes: { before: previous && audited(previous), after: audited(crl) } });
  }
}
