/**
 * API key format: `<product>_<environment>_<id><secret>_<checksum>`, e.g.
 * `ptc_live_4fQ2xK9a…_7Hq1Zp`.
 * - `id`: 8 base62 characters, not secret: the lookup handle stored beside the hash.
 * - `secret`: 24 base62 characters, about 143 bits from the system's random source.
 * - `checksum`: the first 6 base62 characters of SHA-256 over everything before it, so a mistyped
 *   or truncated key is refused without a store lookup, and secret scanners can confirm a match.
 * The key is shown once; the store keeps only HMAC-SHA256(pepper, key), which the key index
 * compares in constant time.
 */
import { createHash, createHmac } from 'node:crypto';
import { encodeBase62, randomBase62 } from '../store/ids.js';

export const KEY_ID_LENGTH = 8;
export const KEY_SECRET_LENGTH = 24;
export const KEY_CHECKSUM_LENGTH = 6;

const KEY_PATTERN = new RegExp(`^([a-z]{2,8})_([a-z]{2,8})_([0-9A-Za-z]{${KEY_ID_LENGTH}})([0-9A-Za-z]{${KEY_SECRET_LENGTH}})_([0-9A-Za-z]{${KEY_CHECKSUM_LENGTH}})$`);

export interface IssuedKey {
  /** The whole key: give it to the partner once, never store or log it. */
  readonly key: string;
  readonly id: string;
}

export function generateApiKey(product: string, environment: string): IssuedKey {
  const id = randomBase62(KEY_ID_LENGTH);
  const body = `${product}_${environment}_${id}${randomBase62(KEY_SECRET_LENGTH)}`;
  return { key: `${body}_${checksum(body)}`, id };
}

export type ParsedKey = { ok: true; id: string; product: string; environment: string } | { ok: false };

/** Shape and checksum only: no store, no secret involved. */
export function parseApiKey(candidate: string): ParsedKey {
  if (candidate.length > 64) return { ok: false };
  const match = KEY_PATTERN.exec(candidate);
  if (!match) return { ok: false };
  const body = candidate.slice(0, candidate.length - KEY_CHECKSUM_LENGTH - 1);
  if (checksum(body) !== match[5]) return { ok: false };
  return { ok: true, product: match[1]!, environment: match[2]!, id: match[3]! };
}

export function hashApiKey(key: string, pepper: string): string {
  return hashApiKeyDigest(key, pepper).toString('hex');
}

export function hashApiKeyDigest(key: string, pepper: string): Buffer {
  return createHmac('sha256', pepper).update(key).digest();
}

function checksum(body: string): string {
  return encodeBase62(createHash('sha256').update(body).digest().subarray(0, 8), KEY_CHECKSUM_LENGTH);
}
