/**
 * What the admin API's certificate routes (admin/routes/certificates.ts) read from the running
 * gateway: the config's private CA in force (a reload changes it), the certificates the expiry watch
 * lists, and a way to make every listener load its CRLs again after a revocation made through the API.
 */
import type { AdminCertificates } from '../admin/route.js';
import type { GatewayConfig } from '../config/schema.js';
import type { KnownCertificate } from '../pki/expiry-watch.js';
import type { ListenerTls } from './listener-tls.js';

export function adminCertificates(config: () => GatewayConfig, known: () => KnownCertificate[], listenerTls: () => Array<ListenerTls | undefined>): AdminCertificates {
  return {
    pki() {
      const pki = config().pki;
      if (!pki) return undefined;
      const issuing = pki.issuing;
      // The secret is revealed only when a route opens the CA with it, never kept here.
      return { caDir: pki.caDir, issuing: issuing && { caKey: () => issuing.caKey.reveal() } };
    },
    known,
    warningDays: () => config().certificateExpiry.warningDays,
    crlChanged: () => reloadCrls(listenerTls()),
  };
}

/** Makes each listener load its CRLs again now (after a revocation or a fresh CRL of our CA). */
export async function reloadCrls(listenerTls: ReadonlyArray<ListenerTls | undefined>): Promise<void> {
  await Promise.all(listenerTls.map((tls) => tls?.refreshRevocation()));
}
