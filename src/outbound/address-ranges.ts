/**
 * Which kind of address an outbound connection would reach: public unicast, or one of the special
 * ranges the egress rules block unless a destination explicitly allows them. The classification
 * is ipaddr.js's (its `range()` follows the IANA special-purpose registries, RFC 6890), kept
 * here behind one function so the rules, the logs and the docs name the same classes.
 */
import ipaddr from 'ipaddr.js';

/**
 * Address classes blocked by default, with what they hold. Every class ipaddr.js reports other
 * than `unicast` is blocked; these are the names it uses (docs/outbound.md lists them).
 * - loopback: 127.0.0.0/8, ::1
 * - private: RFC 1918 (10/8, 172.16/12, 192.168/16)
 * - linkLocal: 169.254.0.0/16 (the cloud metadata address 169.254.169.254), fe80::/10
 * - carrierGradeNat: 100.64.0.0/10 (RFC 6598)
 * - uniqueLocal: fc00::/7 (RFC 4193)
 * - ipv4Mapped, rfc6145: ::ffff:0:0/96 and ::ffff:0:0:0/96 (an IPv4 address in IPv6 clothing)
 * - ipv4Compatible: ::/96 other than :: and ::1 (the deprecated IPv4-compatible form, RFC 4291
 *   §2.5.5.1, e.g. ::7f00:1 or ::a9fe:a9fe): ipaddr.js calls it unicast, but it embeds an IPv4
 *   address, and a host with automatic tunnelling (sit) or a translator sends it there
 * - rfc6052: 64:ff9b::/96 and 64:ff9b:1::/48 (NAT64, IPv4-embedded)
 * - 6to4: 2002::/16; teredo: 2001::/32
 * - multicast: 224.0.0.0/4, ff00::/8
 * - unspecified: 0.0.0.0/8, ::; broadcast: 255.255.255.255
 * - reserved: documentation (192.0.2/24, 198.51.100/24, 203.0.113/24, 2001:db8::/32),
 *   benchmarking (198.18/15), 240/4, 192.0.0/24 and the other IETF-reserved blocks
 * - discard (100::/64) and the other special IPv6 blocks ipaddr.js names (as112v6, amt, orchid2, …)
 */
export type AddressClass = string;

/** The class of a public address: the only one allowed without an explicit allowance. */
export const PUBLIC_ADDRESS_CLASS = 'unicast';

/**
 * The class of `address` (an IPv4 or IPv6 literal, without brackets). Anything unparsable is
 * `invalid`, which no rule allows.
 */
export function addressClass(address: string): AddressClass {
  let parsed: ipaddr.IPv4 | ipaddr.IPv6;
  try {
    parsed = ipaddr.parse(address);
  } catch {
    return 'invalid';
  }
  const range = parsed.range();
  // ipaddr.js has no class for ::/96; its `unicast` there is an IPv4 address in disguise.
  if (range === 'unicast' && parsed.kind() === 'ipv6' && (parsed as ipaddr.IPv6).parts.slice(0, 6).every((part) => part === 0)) return 'ipv4Compatible';
  return range;
}

/** `[::1]` → `::1`; anything else as it is. */
export function unbracket(host: string): string {
  return host.startsWith('[') && host.endsWith(']') ? host.slice(1, -1) : host;
}
