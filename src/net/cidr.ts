/**
 * IP addresses and CIDR ranges: parsing (config checks) and set membership (trusted proxies, IP
 * rules, geo overrides). A leaf: it imports nothing of ours, so config, server and policies can
 * all use it without an import cycle.
 */
import { BlockList, isIP } from 'node:net';

/** An address (`192.0.2.1`, `2001:db8::1`) or CIDR (`10.0.0.0/8`); undefined when it is neither. */
export function parseCidr(value: string): { address: string; prefix: number; family: 'ipv4' | 'ipv6' } | undefined {
  const [address, prefixText, extra] = value.split('/');
  const version = isIP(address ?? '');
  if (extra !== undefined || version === 0) return undefined;
  const max = version === 4 ? 32 : 128;
  const prefix = prefixText === undefined ? max : Number(prefixText);
  if (!Number.isInteger(prefix) || prefix < 0 || prefix > max || (prefixText !== undefined && !/^\d+$/.test(prefixText))) return undefined;
  return { address: address!, prefix, family: version === 4 ? 'ipv4' : 'ipv6' };
}

const ANSWER_CACHE_SIZE = 10000;

/** A set of IP addresses and CIDR ranges, IPv4 and IPv6 (node:net BlockList underneath). */
export class CidrSet {
  readonly #list = new BlockList();
  readonly #empty: boolean;
  /**
   * Answers by address, bounded: BlockList parses the address on every check, and the same few
   * client and proxy addresses come back request after request. The set never changes, so the
   * cache never goes stale; it is simply dropped when full.
   */
  readonly #answers = new Map<string, boolean>();

  constructor(cidrs: readonly string[]) {
    for (const cidr of cidrs) {
      const parsed = parseCidr(cidr);
      if (parsed) this.#list.addSubnet(parsed.address, parsed.prefix, parsed.family);
    }
    this.#empty = cidrs.length === 0;
  }

  has(address: string): boolean {
    if (this.#empty) return false;
    let answer = this.#answers.get(address);
    if (answer === undefined) {
      const family = isIP(address);
      answer = family !== 0 && this.#list.check(address, family === 4 ? 'ipv4' : 'ipv6');
      if (this.#answers.size >= ANSWER_CACHE_SIZE) this.#answers.clear();
      this.#answers.set(address, answer);
    }
    return answer;
  }
}
