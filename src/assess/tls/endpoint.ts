/** Where a target's TLS endpoint is: host, port and SNI name from its URL, and the CA to trust. */
import { readFileSync } from 'node:fs';
import { isIP } from 'node:net';
import type { AssessTarget } from '../finding.js';

export interface TlsEndpoint {
  readonly host: string;
  readonly port: number;
  /** SNI (RFC 6066 §3): the host name, never an IP literal. */
  readonly servername?: string;
  readonly ca?: string;
  readonly timeoutMs: number;
}

/** The PEM of `target.caFile`, or undefined for the system store. Throws when the file cannot be read. */
export function readCaFile(target: AssessTarget): string | undefined {
  return target.caFile === undefined ? undefined : readFileSync(target.caFile, 'utf8');
}

/** The endpoint of `target.url` (port 443 unless given); IPv6 literals lose their brackets. */
export function tlsEndpoint(target: AssessTarget, ca: string | undefined): TlsEndpoint {
  const host = target.url.hostname.replace(/^\[|\]$/g, '');
  return { host, port: Number(target.url.port || 443), ...(isIP(host) ? {} : { servername: host }), timeoutMs: target.timeoutMs, ...(ca === undefined ? {} : { ca }) };
}
