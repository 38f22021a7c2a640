/**
 * The client's address. X-Forwarded-For is believed only when the socket peer is a configured
 * trusted proxy, and then only as far back as the chain stays within trusted proxies: the first
 * untrusted address from the right is the client (anything left of it was written by the client
 * and could be forged).
 */
import { isIP } from 'node:net';
import { CidrSet } from '../net/cidr.js';

/** The proxies allowed to say who the client is. */
export const TrustedProxies = CidrSet;
export type TrustedProxies = CidrSet;

export type ClientIpResult = { ok: true; clientIp: string; peerTrusted: boolean } | { ok: false };

/** IPv4 peers on a dual-stack socket show up as ::ffff:a.b.c.d. */
export function normalizeIp(address: string | undefined): string {
  if (address === undefined) return '';
  return address.startsWith('::ffff:') && isIP(address.slice(7)) === 4 ? address.slice(7) : address;
}

export function resolveClientIp(peerIp: string, forwardedFor: string | string[] | undefined, trusted: TrustedProxies): ClientIpResult {
  const peerTrusted = trusted.has(peerIp);
  if (!peerTrusted || forwardedFor === undefined) return { ok: true, clientIp: peerIp, peerTrusted };
  const hops = (Array.isArray(forwardedFor) ? forwardedFor.join(',') : forwardedFor).split(',');
  let client = peerIp;
  for (let i = hops.length - 1; i >= 0; i--) {
    const hop = normalizeIp(stripPort(hops[i]!.trim()));
    // A trusted proxy wrote this entry, so garbage here is a broken chain, not a client to guess at.
    if (isIP(hop) === 0) return { ok: false };
    client = hop;
    if (!trusted.has(hop)) break;
  }
  return { ok: true, clientIp: client, peerTrusted };
}

/** Some proxies write `1.2.3.4:5678` or `[2001:db8::1]:443`. */
function stripPort(hop: string): string {
  if (hop.startsWith('[')) return hop.slice(1, hop.indexOf(']'));
  const colon = hop.indexOf(':');
  return colon !== -1 && colon === hop.lastIndexOf(':') ? hop.slice(0, colon) : hop;
}

/** True for 127.0.0.0/8 and ::1 (also as ::ffff:127.x): an address only this host can reach. */
export function isLoopback(address: string): boolean {
  const ip = normalizeIp(address);
  return ip === '::1' || /^127\./.test(ip);
}
