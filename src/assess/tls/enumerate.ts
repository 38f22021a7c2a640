/**
 * What a TLS endpoint offers, learnt the way testssl.sh does: per protocol version, offer every
 * suite this Node can speak and let the server pick; remove what it picked and ask again, until it
 * refuses. The order of its picks is its preference order when it enforces one (checked by offering
 * the accepted suites reversed). Key-exchange groups are offered one at a time.
 *
 * Node 20's OpenSSL offers TLS 1.0/1.1, static-RSA, CBC and NULL suites at `@SECLEVEL=0`, but not
 * SSLv3, 3DES, RC4 or export suites: those are reported as not tested (docs/assess.md).
 */
import type { SecureVersion } from 'node:tls';
import { handshake, type HandshakeOptions } from './handshake.js';

export const PROTOCOLS: readonly SecureVersion[] = ['TLSv1', 'TLSv1.1', 'TLSv1.2', 'TLSv1.3'];

/** TLS 1.3's suites (RFC 8446 §B.4), offered one by one. */
const TLS13_SUITES = ['TLS_AES_128_GCM_SHA256', 'TLS_AES_256_GCM_SHA384', 'TLS_CHACHA20_POLY1305_SHA256', 'TLS_AES_128_CCM_SHA256', 'TLS_AES_128_CCM_8_SHA256'];
/** Everything before TLS 1.3 that needs no pre-shared key or SRP password, weak ones included. */
const LEGACY_SUITES = 'ALL:COMPLEMENTOFALL:!PSK:!SRP';
/** Groups to offer one at a time (RFC 8446 §4.2.7, RFC 7919). */
export const GROUPS = ['X25519', 'X448', 'P-256', 'P-384', 'P-521', 'ffdhe2048', 'ffdhe3072', 'ffdhe4096'];
/** Bounds the suite enumeration (a server accepts far fewer; this stops a misbehaving one). */
const MAX_SUITES_PER_PROTOCOL = 64;

export interface SuiteOffer {
  /** OpenSSL and IANA names. */
  readonly name: string;
  readonly standardName: string;
  /** The ephemeral key of the handshake that picked it (empty for static RSA). */
  readonly ephemeral: { readonly type?: string; readonly name?: string; readonly size?: number };
}

export interface ProtocolOffer {
  readonly protocol: SecureVersion;
  readonly offered: boolean;
  /** Accepted suites in the order the server picked them. */
  readonly suites: SuiteOffer[];
  /** Whether the server picks by its own order (false: by the client's; undefined: one suite, cannot tell). */
  readonly serverOrder?: boolean;
}

export interface TlsOffer {
  readonly protocols: ProtocolOffer[];
  /** Groups the server accepted when offered alone. */
  readonly groups: string[];
}

type Endpoint = Pick<HandshakeOptions, 'host' | 'address' | 'port' | 'servername' | 'ca' | 'timeoutMs'>;

/** Enumerates protocols, suites and groups of `endpoint`, protocols concurrently. */
export async function enumerateTls(endpoint: Endpoint): Promise<TlsOffer> {
  const [protocols, groups] = await Promise.all([Promise.all(PROTOCOLS.map((protocol) => enumerateProtocol(endpoint, protocol))), enumerateGroups(endpoint)]);
  return { protocols, groups };
}

async function enumerateProtocol(endpoint: Endpoint, protocol: SecureVersion): Promise<ProtocolOffer> {
  const pinned = { ...endpoint, minVersion: protocol, maxVersion: protocol };
  const suites: SuiteOffer[] = [];
  if (protocol === 'TLSv1.3') {
    const results = await Promise.all(TLS13_SUITES.map((suite) => handshake({ ...pinned, ciphers: `${suite}:${LEGACY_SUITES}@SECLEVEL=0` })));
    // Offering one TLS 1.3 suite at a time needs the TLS 1.3 list itself: Node takes it from `ciphers` too.
    for (const result of results) if (result.ok && !suites.some((s) => s.name === result.cipher.name)) suites.push({ name: result.cipher.name, standardName: result.cipher.standardName, ephemeral: result.ephemeral });
    return { protocol, offered: suites.length > 0, suites };
  }
  const excluded: string[] = [];
  while (suites.length < MAX_SUITES_PER_PROTOCOL) {
    const result = await handshake({ ...pinned, ciphers: `${LEGACY_SUITES}${excluded.map((name) => `:!${name}`).join('')}@SECLEVEL=0` });
    if (!result.ok) break;
    suites.push({ name: result.cipher.name, standardName: result.cipher.standardName, ephemeral: result.ephemeral });
    excluded.push(result.cipher.name);
  }
  let serverOrder: boolean | undefined;
  if (suites.length > 1) {
    const reversed = [...suites].reverse().map((suite) => suite.name);
    const result = await handshake({ ...pinned, ciphers: `${reversed.join(':')}@SECLEVEL=0` });
    if (result.ok) serverOrder = result.cipher.name === suites[0]!.name;
  }
  return { protocol, offered: suites.length > 0, suites, ...(serverOrder === undefined ? {} : { serverOrder }) };
}

async function enumerateGroups(endpoint: Endpoint): Promise<string[]> {
  const results = await Promise.all(GROUPS.map(async (group) => ({ group, result: await handshake({ ...endpoint, minVersion: 'TLSv1.2', ciphers: `ECDHE:DHE:${TLS13_SUITES.join(':')}`, ecdhCurve: group }) })));
  return results.filter(({ result }) => result.ok).map(({ group }) => group);
}
