/**
 * The unit a client is counted in by per-client limits (failed authentications, rate limits
 * partitioned by IP): one address for IPv4, the /64 for IPv6.
 */
import { isIP } from 'node:net';

/**
 * IPv6 clients are counted per /64: one host usually holds a whole /64, so counting single
 * addresses would let it rotate through 2^64 of them.
 */
export function clientBucket(ip: string): string {
  if (isIP(ip) !== 6) return ip;
  const [head = '', tail = ''] = ip.split('::');
  const left = head === '' ? [] : head.split(':');
  const right = tail === '' ? [] : tail.split(':');
  const groups = ip.includes('::') ? [...left, ...Array(8 - left.length - right.length).fill('0'), ...right] : left;
  return `${groups.slice(0, 4).map((g) => g.toLowerCase().replace(/^0+(?=.)/, '')).join(':')}::/64`;
}
