/**
 * A live probe of an endpoint: one connection (and for https:, a verified TLS handshake) made by a
 * connector of the gateway's outbound client (its egress rules, resolver and TLS profile), closed
 * at once; nothing is sent. Bounded by the connector's connect timeout. The outcome tells apart a
 * refusal by the egress rules, a failed certificate verification and an endpoint that does not
 * answer, since each has its own fix.
 */
import type { Socket } from 'node:net';
import type { TLSSocket } from 'node:tls';
import type { buildConnector } from 'undici';
import { EgressDeniedError } from '../../outbound/index.js';
import { within } from './live-store.js';

export type ProbeOutcome =
  | { readonly ok: true; readonly peerCertificate?: { readonly subject: string; readonly notAfter: number } | undefined }
  | { readonly ok: false; readonly kind: 'egress' | 'certificate' | 'unreachable'; readonly reason: string };

/**
 * Errors of a TLS handshake that come from verifying the peer's certificate (OpenSSL's
 * X509_V_ERR_* names as Node reports them, and Node's host name check).
 */
const CERTIFICATE_ERRORS = new Set([
  'UNABLE_TO_GET_ISSUER_CERT',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'CERT_HAS_EXPIRED',
  'CERT_NOT_YET_VALID',
  'CERT_REVOKED',
  'CERT_UNTRUSTED',
  'CERT_REJECTED',
  'CERT_SIGNATURE_FAILURE',
  'INVALID_CA',
  'PATH_LENGTH_EXCEEDED',
  'INVALID_PURPOSE',
  'HOSTNAME_MISMATCH',
  'ERR_TLS_CERT_ALTNAME_INVALID',
]);

/** Connects to `url` through `connector` and closes the connection; never throws. */
export async function probeEndpoint(connector: buildConnector.connector, url: URL, options: { readonly servername?: string | undefined; readonly timeoutMs: number }): Promise<ProbeOutcome> {
  const protocol = url.protocol === 'https:' ? 'https:' : 'http:';
  const hostname = url.hostname.replace(/^\[|\]$/g, '');
  const port = url.port || (protocol === 'https:' ? '443' : '80');
  try {
    // The connector's own timeout (the same) ends the attempt; this bound is only a safety net.
    const socket = await within(
      options.timeoutMs + 1000,
      url.origin,
      new Promise<Socket>((resolve, reject) =>
        connector({ protocol, hostname, host: url.host, port, servername: options.servername ?? hostname } as buildConnector.Options, (error, connected) => (error ? reject(error) : resolve(connected!))),
      ),
    );
    const certificate = protocol === 'https:' ? (socket as TLSSocket).getPeerCertificate() : undefined;
    socket.destroy();
    const peerCertificate = certificate?.valid_to ? { subject: certificate.subject ? Object.entries(certificate.subject).map(([key, value]) => `${key}=${String(value)}`).join(', ') : '', notAfter: Date.parse(certificate.valid_to) } : undefined;
    return { ok: true, peerCertificate };
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? '';
    const message = (error as Error).message.split('\n')[0] ?? '';
    if (error instanceof EgressDeniedError) return { ok: false, kind: 'egress', reason: message };
    if (CERTIFICATE_ERRORS.has(code)) return { ok: false, kind: 'certificate', reason: `${code}: ${message}` };
    return { ok: false, kind: 'unreachable', reason: code && !message.includes(code) ? `${code}: ${message}` : message };
  }
}
