/** Where a target's TLS endpoint is: host, port and SNI name from its URL, and the CAs to trust (trust.ts). */
import { isIP } from 'node:net';
import type { AssessTarget } from '../finding.js';
import { ProviderUnreachableError } from '../run-assessment.js';

export interface TlsEndpoint {
  readonly host: string;
  readonly port: number;
  /** The address to connect to, approved by `target.admit` (undefined: `host`, resolved by the system). */
  readonly address?: string;
  /** SNI (RFC 6066 §3): the host name, never an IP literal. */
  readonly servername?: string;
  /** PEM texts to trust instead of Node's default store (trust.ts: the default roots plus the CA file). */
  readonly ca?: readonly string[];
  readonly timeoutMs: number;
}

/**
 * The endpoint of `target` with the CAs `ca`, its address approved by `target.admit` when there is
 * one (continuous mode: the gateway's egress rules). Throws ProviderUnreachableError, naming the
 * refusal, when admit refuses: no probe connects then.
 */
export async function admittedEndpoint(target: AssessTarget, ca: readonly string[] | undefined): Promise<TlsEndpoint> {
  const endpoint = tlsEndpoint(target, ca);
  if (!target.admit) return endpoint;
  try {
    return { ...endpoint, address: await target.admit({ host: endpoint.host, port: endpoint.port, protocol: 'https:' }) };
  } catch (error) {
    throw new ProviderUnreachableError(`${endpoint.host}:${endpoint.port}: ${error instanceof Error ? error.message : String(error)}`);
  }
}

/** The endpoint of `target.url` (port 443 unless given); IPv6 literals lose their brackets. */
export function tlsEndpoint(target: AssessTarget, ca: readonly string[] | undefined): TlsEndpoint {
  const host = target.url.hostname.replace(/^\[|\]$/g, '');
  return { host, port: Number(target.url.port || 443), ...(isIP(host) ? {} : { servername: host }), timeoutMs: target.timeoutMs, ...(ca === undefined ? {} : { ca }) };
}
