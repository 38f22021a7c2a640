/**
 * Random identifiers and key material in base62 (no separators, so `_` can delimit key parts).
 * Each character is drawn by rejection sampling from random bytes: uniform, no modulo bias.
 */
import { randomBytes } from 'node:crypto';

const ALPHABET = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';
/** The largest multiple of 62 below 256: bytes at or above it are discarded. */
const LIMIT = 248;

export function randomBase62(length: number): string {
  let out = '';
  while (out.length < length) {
    for (const byte of randomBytes(length * 2)) {
      if (byte < LIMIT) out += ALPHABET[byte % 62];
      if (out.length === length) break;
    }
  }
  return out;
}

export function encodeBase62(bytes: Buffer, length: number): string {
  let value = BigInt(`0x${bytes.toString('hex')}`);
  let out = '';
  for (let i = 0; i < length; i++) {
    out = ALPHABET[Number(value % 62n)]! + out;
    value /= 62n;
  }
  return out;
}

export const newConsumerId = () => `con_${randomBase62(16)}`;
export const newRateLimitOverrideId = () => `rlo_${randomBase62(16)}`;
export const newAdminUserId = () => `adu_${randomBase62(16)}`;
export const newAdminSessionId = () => `ses_${randomBase62(16)}`;
export const newPasskeyId = () => `wak_${randomBase62(16)}`;
