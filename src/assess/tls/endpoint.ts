/** Where a target's TLS endpoint is: host, port and SNI name from its URL, and the CAs to trust (trust.ts). */
import { isIP } from 'node:net';
import type { AssessTarget } from '../finding.js';

export interface TlsEndpoint {
  readonly host: string;
  readonly port: number;
  /** SNI (RFC 6066 §3): the host name, never an IP literal. */
  readonly servername?: string;
  /** PEM texts to trust instead of Node's default store (trust.ts: the default roots plus the CA file). */
  readonly ca?: readonly string[];
  readonly timeoutMs: number;
}

/** The endpoint of `target.url` (port 443 unless given); IPv6 literals lose their brackets. */
export function tlsEndpoint(target: AssessTarget, ca: readonly string[] | undefined): TlsEndpoint {
  const host = target.url.hostname.replace(/^\[|\]$/g, '');
  return { host, port: Number(target.url.port || 443), ...(isIP(host) ? {} : { servername: host }), timeoutMs: target.timeoutMs, ...(ca === undefined ? {} : { ca }) };
}
