/**
 * Certificates and CRLs the deployment relies on: listener certificates (and their client CAs),
 * the admin listener's, upstream client certificates and the CAs upstreams are checked against,
 * our private CA with the partner certificates it issued (issued.json, or the store), expiring
 * within `certificateExpiry.warningDays` (30 by default); and CRLs past their nextUpdate: our
 * CA's (crl.pem and the newest in the store) and the listeners' CRL files. Files are read only when
 * secrets are resolved (without them, as `config validate --no-resolve-secrets`, the deployment's
 * files are not expected to be there).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { x509 } from '../../../auth/x509.js';
import type { GatewayConfig, ListenerTlsConfig } from '../../../config/schema.js';
import { SecretValue } from '../../../config/secret.js';
import { crlNumberOf } from '../../../pki/issue.js';
import { PrivateCa } from '../../../pki/private-ca.js';
import { parsePemBundle } from '../../../pki/revocation.js';
import { PkiRepository } from '../../../store/pki-repository.js';
import { CHECKLIST, defineCheck, finding, OWASP, type Finding, type Rule, type Severity } from '../check.js';

const DAY_MS = 86_400_000;

/** A certificate's place and validity, as the expiry rule reads it. */
export interface HeldCertificate {
  readonly what: string;
  readonly path: string;
  readonly subject: string;
  readonly notAfter: number;
  readonly entity?: string;
  /** A partner's certificate: expired locks that partner out, not the gateway, so it is never critical. */
  readonly partner?: boolean;
  /**
   * The trust set (a listener's client CAs, an upstream's CA files) this CA belongs to. An expired
   * CA beside one still valid in its set (a CA rollover, an old root kept in a bundle) verifies
   * nothing less than before, so it is high, not critical; only a set with no valid CA left is.
   */
  readonly trustSet?: string;
  /** Set by the check: another CA of its trust set is still valid. */
  readonly standIn?: boolean;
}

/** Severity by days left: expired critical, within a week high, else medium (a rollout window). */
export function expirySeverity(daysLeft: number): Severity {
  return daysLeft < 0 ? 'critical' : daysLeft <= 7 ? 'high' : 'medium';
}

/** The expiry finding of `certificate`, or none when it has more than `warningDays` left. */
export function expiryFinding(certificate: HeldCertificate, now: number, warningDays: number): Finding | undefined {
  const leftMs = certificate.notAfter - now;
  if (leftMs > warningDays * DAY_MS) return undefined;
  const daysLeft = Math.floor(leftMs / DAY_MS);
  const when = leftMs <= 0 ? `expired on ${new Date(certificate.notAfter).toISOString()}` : `expires on ${new Date(certificate.notAfter).toISOString()} (${daysLeft} days left)`;
  const severity = expirySeverity(leftMs <= 0 ? -1 : daysLeft);
  const standIn = certificate.standIn && leftMs <= 0 ? ' (another CA of the same set is still valid)' : '';
  return finding(CERTIFICATE_RULES.expiring, `${certificate.what} (${certificate.subject}) ${when}${standIn}`, { path: certificate.path, ...(certificate.entity ? { entity: certificate.entity } : {}) }, (certificate.partner || certificate.standIn) && severity === 'critical' ? 'high' : severity);
}

export const CERTIFICATE_RULES = {
  expiring: {
    id: 'PF-CERT-001',
    severity: 'high',
    title: 'A certificate (listener, client CA, upstream client or server, our CA, a partner certificate it issued) expires within certificateExpiry.warningDays (30) or has expired',
    why: `${OWASP.API8}; ${CHECKLIST.infrastructure}`,
    fix: 'Renew it before it expires (`portcullis certs issue` for partner certificates, `portcullis ca init` for a new CA) and deploy it; listeners reload certificate files without a restart. Expired is critical (high for a partner certificate: it locks out that partner only; high for a CA beside another still valid in the same client CA or upstream CA files, as in a CA rollover), 7 days or fewer high, else medium. `portcullis start` refuses a critical one.',
  },
  caUnreadable: {
    id: 'PF-CERT-002',
    severity: 'high',
    title: 'The private CA folder (pki.caDir) cannot be read: its CRL is not served and its certificates are not watched',
    why: `${OWASP.API2}; ${CHECKLIST.infrastructure}`,
    fix: 'Point `pki.caDir` at the folder `portcullis ca init` made (ca.json, ca.pem), readable by the gateway\'s user.',
  },
  crlStale: {
    id: 'PF-CRL-001',
    severity: 'high',
    title: 'A CRL past its nextUpdate (our private CA\'s, or one a listener checks client certificates against)',
    why: `${OWASP.API2}; ${CHECKLIST.infrastructure}`,
    fix: 'Sign a fresh CRL (`portcullis ca crl`) and run it on a schedule shorter than the CRL\'s validity; for a partner CA\'s CRL file, fetch it again. A stale CRL fails client certificates closed (or lets revoked ones in with whenUnavailable: fail-open).',
  },
} satisfies Record<string, Rule>;

export const certificatesCheck = defineCheck('certificates', CERTIFICATE_RULES, async ({ config, clock, store, secretsResolved }, rules) => {
  if (!secretsResolved) return [];
  const now = clock.now();
  const warningDays = config.certificateExpiry.warningDays;
  const held: HeldCertificate[] = [...configuredCertificates(config)];
  const findings: Finding[] = [];
  const pki = config.pki;
  let ca: ReturnType<typeof PrivateCa.readPublic> | undefined;
  try {
    ca = pki && PrivateCa.readPublic(pki.caDir);
  } catch (error) {
    findings.push(finding(rules.caUnreadable, `${pki!.caDir}: ${(error as Error).message.split('\n')[0]}`, { path: 'pki.caDir' }));
  }
  if (pki && ca) {
    const { certificate, caId, inStore, issued } = ca;
    held.push({ what: 'our private CA', path: 'pki.caDir', subject: certificate.subject, notAfter: certificate.notAfter.getTime() });
    const db = inStore ? await store() : undefined;
    const records = inStore ? (db ? (await new PkiRepository(db.db).list(caId)).map((record) => ({ serial: record.serial, consumerId: record.consumerId, subject: record.subject, notAfter: record.notAfter, active: record.status === 'active' })) : []) : issued.map((record) => ({ serial: record.serial, consumerId: record.consumerId, subject: record.subject, notAfter: Date.parse(record.notAfter), active: record.status === 'active' }));
    for (const record of records) {
      if (record.active) held.push({ what: `the partner certificate ${record.serial} of consumer ${record.consumerId}`, path: 'pki.caDir', subject: record.subject, notAfter: record.notAfter, entity: `certificate ${record.serial}`, partner: true });
    }
    const crls = [crlFile(join(pki.caDir, 'crl.pem'))];
    if (db) {
      const latest = await new PkiRepository(db.db).latestCrl(caId);
      if (latest) crls.push({ number: latest.crlNumber, nextUpdate: latest.nextUpdate });
    }
    // The CRL with the higher number is the one served (RFC 5280 §5.2.3; pki/crl-publication.ts).
    const newest = crls.filter((crl) => crl !== undefined).sort((a, b) => b.number - a.number)[0];
    if (newest && newest.nextUpdate !== undefined && newest.nextUpdate < now) findings.push(finding(rules.crlStale, `our CA's CRL (number ${newest.number}) was due again on ${new Date(newest.nextUpdate).toISOString()}`, { path: 'pki.caDir' }));
  }
  for (const { path, file } of listenerCrlFiles(config)) {
    const crl = crlFile(file);
    if (crl?.nextUpdate !== undefined && crl.nextUpdate < now) findings.push(finding(rules.crlStale, `the CRL ${file} was due again on ${new Date(crl.nextUpdate).toISOString()}`, { path }));
  }
  const validSets = new Set(held.filter((certificate) => certificate.trustSet !== undefined && certificate.notAfter > now).map((certificate) => certificate.trustSet));
  for (const certificate of held) {
    const standIn = certificate.trustSet !== undefined && validSets.has(certificate.trustSet);
    const found = expiryFinding(standIn ? { ...certificate, standIn } : certificate, now, warningDays);
    if (found) findings.push(found);
  }
  return findings;
}, { atStart: true });

/** Every certificate the config names by file or secret: listeners, client CAs, the admin listener, upstreams. */
function* configuredCertificates(config: GatewayConfig): Generator<HeldCertificate> {
  const listeners = [...config.listeners.map((listener, index) => ({ name: `listener ${listener.name}`, path: `listeners[${index}].tls`, tls: listener.tls })), { name: 'the admin listener', path: 'admin.tls', tls: config.admin.enabled ? config.admin.tls : undefined }];
  for (const { name, path, tls } of listeners) {
    if (!tls) continue;
    yield* bundle(`the certificate of ${name}`, tls.cert instanceof SecretValue ? tls.cert.reveal() : tls.certFile && readFileSync(tls.certFile, 'utf8'), tls.cert ? `${path}.cert` : `${path}.certFile`);
    yield* clientCas(name, path, tls);
  }
  for (const [name, upstream] of Object.entries(config.upstreams)) {
    const tls = upstream.tls;
    if (!tls) continue;
    if (tls.certFile) yield* bundle(`the client certificate of upstream ${name}`, readFileSync(tls.certFile, 'utf8'), `upstreams.${name}.tls.certFile`);
    for (const [index, file] of tls.caFiles.entries()) yield* bundle(`a CA of upstream ${name}`, readFileSync(file, 'utf8'), `upstreams.${name}.tls.caFiles[${index}]`, `upstreams.${name}.tls.caFiles`);
  }
}

function* clientCas(name: string, path: string, tls: ListenerTlsConfig): Generator<HeldCertificate> {
  if (tls.clientCertificates.mode === 'off') return;
  for (const [index, file] of tls.clientCertificates.caFiles.entries()) yield* bundle(`a client CA of ${name}`, readFileSync(file, 'utf8'), `${path}.clientCertificates.caFiles[${index}]`, `${path}.clientCertificates.caFiles`);
}

function* bundle(what: string, pem: string | undefined, path: string, trustSet?: string): Generator<HeldCertificate> {
  for (const certificate of parsePemBundle(pem ?? '')) yield { what, path, subject: certificate.subject, notAfter: certificate.notAfter.getTime(), ...(trustSet ? { trustSet } : {}) };
}

function listenerCrlFiles(config: GatewayConfig): Array<{ path: string; file: string }> {
  const places = [...config.listeners.map((listener, index) => ({ path: `listeners[${index}].tls`, tls: listener.tls })), { path: 'admin.tls', tls: config.admin.enabled ? config.admin.tls : undefined }];
  return places.flatMap(({ path, tls }) => (tls?.clientCertificates.mode === 'off' ? [] : (tls?.clientCertificates.crl?.files ?? []).map((file, index) => ({ path: `${path}.clientCertificates.crl.files[${index}]`, file }))));
}

/** A CRL file's number and nextUpdate; undefined when it is not there (a new CA before its first CRL). */
function crlFile(file: string): { number: number; nextUpdate: number | undefined } | undefined {
  let bytes: Buffer;
  try {
    bytes = readFileSync(file);
  } catch {
    return undefined;
  }
  const text = bytes.toString('latin1');
  const crl = new x509.X509Crl(text.includes('-----BEGIN') ? text : bytes);
  return { number: crlNumberOf(crl) ?? 0, nextUpdate: crl.nextUpdate?.getTime() };
}
