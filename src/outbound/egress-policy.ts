/**
 * The egress rules: which destinations the gateway may connect to, checked for every new outbound
 * connection with the address it is about to reach. A destination is declared by scheme, host
 * (exact, or `*.` for any name under a domain) and port; everything not declared is refused
 * (default deny). A declared destination reaches public unicast addresses only, unless it
 * explicitly allows an address class (loopback, private, …) or CIDR ranges: so a public name that
 * DNS points at 127.0.0.1 or 169.254.169.254 is refused, however it got there (DNS rebinding
 * included: the check runs on the resolved address, and the connection goes to that address).
 */
import { isIP } from 'node:net';
import { CidrSet } from '../net/cidr.js';
import { addressClass, PUBLIC_ADDRESS_CLASS as PUBLIC, unbracket, type AddressClass } from './address-ranges.js';
import type { OutboundConnection } from './connect-hook.js';

export type EgressMode = 'enforce' | 'report';

/** One declared destination, as the config (or a component at run time) names it. */
export interface EgressDestination {
  /** Exact host (a name or an IP literal), or `*.example.com` for every name under example.com. */
  readonly host: string;
  readonly ports: readonly number[];
  readonly schemes: ReadonlyArray<'http:' | 'https:'>;
  /** Special address classes (address-ranges.ts) this destination may resolve to. */
  readonly classes?: readonly AddressClass[] | undefined;
  /** Address ranges (CIDR) this destination may resolve to, whatever their class. */
  readonly cidrs?: readonly string[] | undefined;
  /** Where it was declared, for the log: `upstreams.payments`, `egress.allow[0]`, … */
  readonly source: string;
}

/** Why a connection is refused: a bounded set, used as a metric label. */
export type EgressDenialReason = 'host_not_declared' | 'port_not_declared' | 'scheme_not_allowed' | 'address_blocked';

export interface EgressDenial {
  readonly reason: EgressDenialReason;
  /** For the log: the address class for `address_blocked`, else the host:port asked for. */
  readonly detail: string;
}

interface CompiledDestination {
  readonly exact: string | undefined;
  /** `.example.com` for `*.example.com`. */
  readonly suffix: string | undefined;
  readonly ports: ReadonlySet<number>;
  readonly schemes: ReadonlySet<string>;
  readonly classes: ReadonlySet<string>;
  readonly cidrs: CidrSet | undefined;
}

/** Lower case, no trailing dot, no brackets: how hosts are compared. */
export function canonicalHost(host: string): string {
  return unbracket(host.toLowerCase()).replace(/\.$/, '');
}

function compile(destination: EgressDestination): CompiledDestination {
  const host = canonicalHost(destination.host);
  const wildcard = host.startsWith('*.');
  return {
    exact: wildcard ? undefined : host,
    suffix: wildcard ? host.slice(1) : undefined,
    ports: new Set(destination.ports),
    schemes: new Set(destination.schemes),
    classes: new Set(destination.classes ?? []),
    cidrs: destination.cidrs && destination.cidrs.length > 0 ? new CidrSet(destination.cidrs) : undefined,
  };
}

function hostMatches(destination: CompiledDestination, host: string): boolean {
  // A `*.` wildcard names DNS names under a domain, never an IP literal (`*.1` is not 127.0.0.1).
  return destination.exact !== undefined ? destination.exact === host : isIP(host) === 0 && host.endsWith(destination.suffix!);
}

/** A compiled set of destinations; immutable, so a reload swaps in a new one. */
export class EgressRules {
  readonly #destinations: CompiledDestination[];

  constructor(destinations: readonly EgressDestination[]) {
    this.#destinations = destinations.map(compile);
  }

  /**
   * Undefined when the connection is allowed, else why not. The most specific reason wins: a host
   * declared for another port says port_not_declared rather than host_not_declared.
   */
  check(connection: Pick<OutboundConnection, 'host' | 'port' | 'protocol' | 'address'>): EgressDenial | undefined {
    const host = canonicalHost(connection.host);
    let reason: EgressDenialReason = 'host_not_declared';
    let cls: AddressClass | undefined;
    for (const destination of this.#destinations) {
      if (!hostMatches(destination, host)) continue;
      if (!destination.ports.has(connection.port)) continue;
      if (!destination.schemes.has(connection.protocol)) {
        reason = 'scheme_not_allowed';
        continue;
      }
      cls ??= addressClass(connection.address);
      if (cls === PUBLIC || destination.classes.has(cls) || destination.cidrs?.has(connection.address)) return undefined;
      reason = 'address_blocked';
    }
    if (reason === 'host_not_declared' && this.#destinations.some((destination) => hostMatches(destination, host))) reason = 'port_not_declared';
    return { reason, detail: reason === 'address_blocked' ? (cls ?? addressClass(connection.address)) : `${connection.protocol}//${host}:${connection.port}` };
  }
}

/** The default port of a scheme. */
export function defaultPort(protocol: string): number {
  return protocol === 'https:' ? 443 : 80;
}

/**
 * The destination a URL written by the operator (or named by a document the operator declared)
 * stands for: its scheme, host and port. A host that is itself a special address (an IP literal
 * such as 127.0.0.1 or 10.0.0.5) or `localhost` allows that class for this destination: whoever
 * wrote a local address meant a local address (`ownClass: false` when no operator wrote it). Undefined
 * for anything but an http(s) URL.
 */
export function destinationOfUrl(
  value: string,
  source: string,
  extra: { schemes?: ReadonlyArray<'http:' | 'https:'>; classes?: readonly string[]; cidrs?: readonly string[]; ownClass?: boolean } = {},
): EgressDestination | undefined {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return undefined;
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') return undefined;
  const host = canonicalHost(url.hostname);
  const classes = [...(extra.classes ?? []), ...(extra.ownClass === false ? [] : localClassesOf(host))];
  return {
    host,
    ports: [url.port === '' ? defaultPort(url.protocol) : Number(url.port)],
    schemes: extra.schemes ?? [url.protocol],
    classes,
    cidrs: extra.cidrs,
    source,
  };
}

/** The special classes a host names by itself: an IP literal's own class, loopback for `localhost`. */
export function localClassesOf(host: string): string[] {
  const bare = canonicalHost(host);
  if (bare === 'localhost' || bare.endsWith('.localhost')) return ['loopback'];
  const cls = /^[0-9a-f:.]+$/.test(bare) && (bare.includes(':') || /^\d+\.\d+\.\d+\.\d+$/.test(bare)) ? addressClass(bare) : undefined;
  return cls === undefined || cls === PUBLIC || cls === 'invalid' ? [] : [cls];
}
