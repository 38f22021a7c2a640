/**
 * Which targets selftest may attack: loopback only, unless the operator says the target is theirs
 * (`--target-is-mine`). Probes send attacks (forged tokens, smuggling, floods): pointed by mistake
 * at someone else's host, that is an attack on them. The check is on the URL's host as written,
 * resolved once; a name that resolves to a non-loopback address counts as non-loopback.
 */
import { lookup } from 'node:dns/promises';
import { isIP } from 'node:net';

export function isLoopbackAddress(address: string): boolean {
  const bare = address.replace(/^\[|\]$/g, '');
  if (isIP(bare) === 4) return bare.startsWith('127.');
  if (isIP(bare) === 6) return bare === '::1' || /^::ffff:127\./i.test(bare);
  return false;
}

/** Parses `--target` and refuses what selftest must not attack; throws with the reason. */
export async function checkTarget(raw: string, targetIsMine: boolean): Promise<URL> {
  let target: URL;
  try {
    target = new URL(raw);
  } catch {
    throw new Error(`--target ${raw} is not a URL`);
  }
  if (target.protocol !== 'http:' && target.protocol !== 'https:') throw new Error('--target must be an http:// or https:// URL');
  if (target.pathname !== '/' || target.search !== '' || target.username !== '' || target.password !== '') throw new Error('--target is the listener only (scheme, host and port): the routes come from --config or --admin-url');
  if (targetIsMine) return target;
  const host = target.hostname.replace(/^\[|\]$/g, '');
  const addresses = isIP(host) ? [host] : (await lookup(host, { all: true })).map((entry) => entry.address);
  if (!addresses.every(isLoopbackAddress)) throw new Error(`--target ${target.host} is not a loopback address: selftest attacks its target; pass --target-is-mine if this gateway is yours to test`);
  return target;
}
