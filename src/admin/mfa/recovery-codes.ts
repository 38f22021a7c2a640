/**
 * Recovery codes: 10 single-use codes shown once, for a user who lost their authenticator. Each
 * has 80 random bits (16 base32 characters, printed in groups of four), so a fast digest
 * (SHA-256) is enough to keep them unusable from a database dump: unlike a password there is no
 * dictionary to try (NIST SP 800-63B §5.1.2.2 look-up secrets need only 64 bits when rate-limited).
 */
import { createHash, randomBytes } from 'node:crypto';

export const RECOVERY_CODE_COUNT = 10;
const ALPHABET = 'abcdefghijklmnopqrstuvwxyz234567';

export function newRecoveryCodes(): string[] {
  return Array.from({ length: RECOVERY_CODE_COUNT }, () => {
    const bytes = randomBytes(10);
    let bits = 0;
    let value = 0;
    let out = '';
    for (const byte of bytes) {
      value = (value << 8) | byte;
      bits += 8;
      while (bits >= 5) {
        out += ALPHABET[(value >>> (bits - 5)) & 31];
        bits -= 5;
      }
    }
    return out.match(/.{4}/g)!.join('-');
  });
}

/** The stored form: spaces, dashes and case do not matter when typing a code back. */
export function recoveryCodeHash(code: string): string {
  return createHash('sha256').update(code.toLowerCase().replace(/[^a-z2-7]/g, '')).digest('hex');
}
