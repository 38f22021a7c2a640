/**
 * Where an issuer's keys may be fetched from. Keys decide who is authenticated, so their URLs
 * follow three rules:
 * - HTTPS; plain HTTP only on loopback (tests, a sidecar on this host);
 * - no credentials in the URL (they would travel to whoever the URL names, and into logs);
 * - an address on this host or its private network (loopback, private, link-local, unspecified)
 *   only when the operator's own URL is local too: a discovery document from a remote provider
 *   that names `http://127.0.0.1:…/jwks` (or a name that resolves there) would let whoever
 *   controls that document choose a local service as the key source.
 * For a discovered jwks_uri the last rule is checked on the URL's host and again, by the outbound
 * connect hook (refuseLocalAddress), on the address each connection is made to, so DNS cannot move
 * a remote name onto a local one.
 */
import { promises as dnsPromises } from 'node:dns';
import { BlockList, isIP } from 'node:net';
import { OutboundRefusedError, type ConnectHook } from '../outbound/index.js';

const LOCAL = new BlockList();
for (const [network, prefix] of [
  ['127.0.0.0', 8],
  ['10.0.0.0', 8],
  ['172.16.0.0', 12],
  ['192.168.0.0', 16],
  ['169.254.0.0', 16],
  ['100.64.0.0', 10],
  ['0.0.0.0', 8],
] as const) {
  LOCAL.addSubnet(network, prefix, 'ipv4');
}
for (const [network, prefix] of [
  ['::1', 128],
  ['::', 128],
  ['fc00::', 7],
  ['fe80::', 10],
] as const) {
  LOCAL.addSubnet(network, prefix, 'ipv6');
}

/** An address of this host or its private network (IPv4-mapped IPv6 addresses included). */
export function isLocalAddress(address: string): boolean {
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address)?.[1];
  if (mapped) return LOCAL.check(mapped, 'ipv4');
  const family = isIP(address);
  return family === 4 ? LOCAL.check(address, 'ipv4') : family === 6 ? LOCAL.check(address, 'ipv6') : false;
}

/** The URL's host names this host or a local network: a local IP literal, `localhost` or `*.localhost`. */
export function isLocalHost(url: URL): boolean {
  const host = url.hostname.replace(/^\[|\]$/g, '').toLowerCase().replace(/\.$/, '');
  return host === 'localhost' || host.endsWith('.localhost') || isLocalAddress(host);
}

function isLoopbackHost(url: URL): boolean {
  const host = url.hostname.replace(/^\[|\]$/g, '').toLowerCase().replace(/\.$/, '');
  return host === 'localhost' || host.endsWith('.localhost') || host === '::1' || /^127\./.test(host);
}

/** A configured discovery or JWKS URL: a problem to report, or undefined. */
export function checkKeyUrl(value: string): string | undefined {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return 'is not a URL';
  }
  if (url.username !== '' || url.password !== '') return 'must not hold credentials';
  if (url.protocol === 'https:') return undefined;
  if (url.protocol === 'http:' && isLoopbackHost(url)) return undefined;
  return 'must be an https:// URL (http:// only on loopback)';
}

/**
 * The `jwks_uri` of a discovery document (OpenID Connect Discovery 1.0 §3). The rules of
 * checkKeyUrl; and unless it is on the discovery document's own host, or the discovery document is
 * itself local (by its URL or by what its name resolves to, like an IdP on the private network),
 * no plain HTTP and no local address, neither in the URL nor, at connect time, in what its name
 * resolves to. Resolves to a problem to report, or the connect check to fetch the keys with
 * (refuseLocalAddress, or undefined for none beyond the gateway's own).
 */
export async function checkDiscoveredJwksUri(value: string, discoveryUrl: string): Promise<{ problem: string } | { check: ConnectHook | undefined }> {
  const problem = checkKeyUrl(value);
  if (problem) return { problem };
  const url = new URL(value);
  const discovery = new URL(discoveryUrl);
  if (url.hostname === discovery.hostname || isLocalHost(discovery) || (await resolvesToLocal(discovery.hostname))) return { check: undefined };
  if (url.protocol !== 'https:') return { problem: 'must be an https:// URL (http:// only when the discovery document is on loopback too)' };
  if (isLocalHost(url)) return { problem: 'names a local address, but the discovery document is not local' };
  return { check: refuseLocalAddress };
}

/**
 * Who chose a discovered jwks_uri, for the egress rules (outbound.egress.declare): the operator
 * when it is on the discovery document's own host or the operator's discovery URL is itself local
 * by what it says (a local IP literal, localhost); else the remote identity provider, whose URL
 * then reaches public addresses only. Not by what the discovery host resolves to: that answer is
 * a second lookup, which whoever controls the name's DNS can point at a local address for this
 * check alone.
 */
export function jwksUriWrittenBy(jwksUri: string, discoveryUrl: string): 'operator' | 'remote' {
  const discovery = new URL(discoveryUrl);
  return new URL(jwksUri).hostname === discovery.hostname || isLocalHost(discovery) ? 'operator' : 'remote';
}

async function resolvesToLocal(hostname: string): Promise<boolean> {
  try {
    return (await dnsPromises.lookup(hostname, { all: true })).some((entry) => isLocalAddress(entry.address));
  } catch {
    return false;
  }
}

/**
 * The connect check for a jwks_uri a remote discovery document chose: refuses a connection to a
 * local address (see isLocalAddress), whatever name led there, with an OutboundRefusedError.
 */
export const refuseLocalAddress: ConnectHook = function refuseLocalAddress(connection) {
  if (isLocalAddress(connection.address)) throw new OutboundRefusedError(connection, 'a key URL from a remote discovery document must not reach a local address');
};
