/**
 * Every certificate the gateway holds or has seen, for the expiry watch: listener certificates and
 * client CAs, upstream client certificates, upstream server certificates seen on connect, and the
 * private CA with the certificates it issued, and its CRL (by nextUpdate).
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Logger } from '../observability/logger.js';
import type { KnownCertificate } from '../pki/expiry-watch.js';
import { normalizeSerial, parsePemBundle } from '../pki/revocation.js';
import { PrivateCa } from '../pki/private-ca.js';
import { x509 } from '../auth/x509.js';
import type { ListenerTls } from './listener-tls.js';
import type { Runtime } from './runtime.js';
import type { SeenCertificate, UpstreamTarget } from './upstream.js';

/** A listener by name with the TLS state in force (undefined for plain HTTP). */
export interface ListenerCertificates {
  readonly name: string;
  readonly tls: ListenerTls | undefined;
}

/**
 * Lists what `listeners` and `runtime` hold now. A private CA folder that cannot be read is logged
 * (`certificate.watch_failed`) and left out; the rest is still listed.
 */
export function knownCertificates(listeners: Iterable<ListenerCertificates>, runtime: Runtime, logger: Logger): KnownCertificate[] {
  const known: KnownCertificate[] = [];
  for (const listener of listeners) for (const { kind, certificate } of listener.tls?.certificates ?? []) known.push(fromX509(kind, listener.name, certificate));
  for (const upstream of runtime.upstreams.values()) {
    if (upstream.tls.cert) for (const certificate of parsePemBundle(upstream.tls.cert)) known.push(fromX509('upstream_client', upstream.name, certificate));
    for (const target of upstream.targets) if (target.seenCertificate) known.push(upstreamServerCertificate(upstream.name, target, target.seenCertificate));
  }
  const pki = runtime.config.pki;
  if (pki) {
    try {
      const { certificate, issued } = PrivateCa.readPublic(pki.caDir);
      known.push(fromX509('ca', pki.caDir, certificate));
      const crl = ourCrl(pki.caDir);
      if (crl) known.push(crl);
      for (const record of issued) {
        if (record.status === 'active') known.push({ kind: 'issued', name: record.consumerId, subject: record.subject, serial: record.serial, notAfter: Date.parse(record.notAfter) });
      }
    } catch (error) {
      logger.error({ event: 'certificate.watch_failed', caDir: pki.caDir, reason: (error as Error).message }, 'cannot read the private CA folder: its certificates are not watched');
    }
  }
  return known;
}

/**
 * Our CA's CRL (crl.pem, also kept as a copy when the ledger is in the store) as the expiry watch
 * sees it: `notAfter` is its nextUpdate (RFC 5280 §5.1.2.5), past which relying parties treat it
 * as stale. A CRL without nextUpdate, or no crl.pem yet, is not listed.
 */
function ourCrl(caDir: string): KnownCertificate | undefined {
  const file = join(caDir, 'crl.pem');
  if (!existsSync(file)) return undefined;
  const crl = new x509.X509Crl(readFileSync(file, 'utf8'));
  if (!crl.nextUpdate) return undefined;
  return { kind: 'crl', name: caDir, subject: crl.issuer, serial: '', notAfter: crl.nextUpdate.getTime() };
}

/** An upstream target's server certificate, as the expiry watch names it (`<upstream> <origin>`). */
export function upstreamServerCertificate(upstream: string, target: UpstreamTarget, certificate: SeenCertificate): KnownCertificate {
  return { kind: 'upstream_server', name: `${upstream} ${target.origin}`, subject: certificate.subject, serial: normalizeSerial(certificate.serial), notAfter: certificate.notAfter };
}

function fromX509(kind: KnownCertificate['kind'], name: string, certificate: x509.X509Certificate): KnownCertificate {
  return { kind, name, subject: certificate.subject, serial: normalizeSerial(certificate.serialNumber), notAfter: certificate.notAfter.getTime() };
}
