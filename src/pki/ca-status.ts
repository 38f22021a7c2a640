/**
 * What the admin API shows of the private CA without its key (GET /v1/ca, GET /v1/certificates):
 * the CA certificate, where its records are kept, the certificates it issued, and the state of its
 * newest CRL. Everything here reads public files of the CA folder (ca.json, ca.pem, crl.pem,
 * issued.json) or the store's records; nothing opens the key.
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { x509 } from '../auth/x509.js';
import type { PkiRepository } from '../store/pki-repository.js';
import { crlNumberOf } from './issue.js';
import { CRL_FILE, type IssuedRecord } from './ledger.js';
import { PrivateCa } from './private-ca.js';
import { normalizeSerial } from './revocation.js';

/** The CA certificate as the admin API shows it; times RFC 3339 UTC. */
export interface CaCertificateView {
  readonly subject: string;
  readonly serial: string;
  readonly notBefore: string;
  readonly notAfter: string;
  readonly fingerprintSha256: string;
  /** `store`: issued and revoked records in the gateway's store; `file`: the folder's issued.json. */
  readonly ledger: 'store' | 'file';
}

/**
 * The CA's newest CRL: the store's (a CA whose records are in the store) or the folder's crl.pem,
 * whichever has the higher CRL Number (RFC 5280 §5.2.3), as CrlPublication serves it. `stale`:
 * past its nextUpdate (RFC 5280 §5.1.2.5), when relying parties treat revocation as unknown.
 */
export interface CrlView {
  readonly crlNumber: number | null;
  readonly thisUpdate: string;
  readonly nextUpdate: string | null;
  readonly revokedCount: number;
  readonly stale: boolean;
}

export interface CaPublicState {
  readonly caId: string;
  readonly certificate: CaCertificateView;
  readonly crl: CrlView | null;
}

const iso = (ms: number) => new Date(ms).toISOString();

/**
 * Reads the CA folder's public state and its newest CRL.
 * @param now milliseconds since the epoch (the gateway's clock), for `stale`
 * @throws Error when the folder holds no readable CA (ca.json, ca.pem)
 */
export async function readCaState(caDir: string, repository: PkiRepository | undefined, now: number): Promise<CaPublicState> {
  const { certificate, caId, inStore } = PrivateCa.readPublic(caDir);
  const candidates: Array<{ crl: x509.X509Crl; number: number }> = [];
  const file = readCrl(() => readFileSync(join(caDir, CRL_FILE), 'utf8'));
  if (file) candidates.push(file);
  const stored = repository ? await repository.latestCrl(caId) : undefined;
  const fromStore = stored ? readCrl(() => stored.pem) : undefined;
  if (fromStore) candidates.push(fromStore);
  const newest = candidates.sort((a, b) => b.number - a.number)[0];
  return {
    caId,
    certificate: {
      subject: certificate.subject,
      serial: normalizeSerial(certificate.serialNumber),
      notBefore: certificate.notBefore.toISOString(),
      notAfter: certificate.notAfter.toISOString(),
      fingerprintSha256: createHash('sha256').update(Buffer.from(certificate.rawData)).digest('hex'),
      ledger: inStore ? 'store' : 'file',
    },
    crl: newest ? crlView(newest.crl, now) : null,
  };
}

function crlView(crl: x509.X509Crl, now: number): CrlView {
  const nextUpdate = crl.nextUpdate?.getTime();
  return {
    crlNumber: crlNumberOf(crl) ?? null,
    thisUpdate: crl.thisUpdate.toISOString(),
    nextUpdate: nextUpdate === undefined ? null : iso(nextUpdate),
    revokedCount: crl.entries.length,
    // A CRL without nextUpdate can never be judged fresh (RevocationChecker refuses it).
    stale: nextUpdate === undefined || nextUpdate <= now,
  };
}

function readCrl(read: () => string): { crl: x509.X509Crl; number: number } | undefined {
  try {
    const crl = new x509.X509Crl(read());
    return { crl, number: crlNumberOf(crl) ?? 0 };
  } catch {
    // No crl.pem yet, or one being replaced: the other source (or none) answers.
    return undefined;
  }
}

/**
 * Every certificate the CA issued, ordered by notBefore then serial (the order of issuance, and a
 * total order for keyset pages): the store's records for a CA kept there, else issued.json.
 */
export async function listIssuedCertificates(caDir: string, repository: PkiRepository | undefined): Promise<IssuedRecord[]> {
  const { caId, inStore, issued } = PrivateCa.readPublic(caDir);
  const records: IssuedRecord[] = inStore
    ? (await requireRepository(repository).list(caId)).map((record) => ({
        serial: record.serial,
        consumerId: record.consumerId,
        subject: record.subject,
        fingerprintSha256: record.fingerprintSha256,
        notBefore: iso(record.notBefore),
        notAfter: iso(record.notAfter),
        status: record.status,
        ...(record.revokedAt === null ? {} : { revokedAt: iso(record.revokedAt) }),
      }))
    : issued;
  return records.sort((a, b) => Date.parse(a.notBefore) - Date.parse(b.notBefore) || (a.serial < b.serial ? -1 : a.serial > b.serial ? 1 : 0));
}

/** The keyset of a certificate in listIssuedCertificates' order: `<notBefore ms>_<serial>`. */
export function certificatePageKey(record: IssuedRecord): string {
  return `${Date.parse(record.notBefore)}_${record.serial}`;
}

function requireRepository(repository: PkiRepository | undefined): PkiRepository {
  if (!repository) throw new Error('the CA keeps its records in the store, and this gateway has none');
  return repository;
}
