/**
 * The admin plane's bearer secrets, in the API-key format (keys/api-key-format.ts): prefixed so a
 * secret scanner knows what it found, checksummed so a mistyped one is refused without a lookup.
 *   `ptc_adm_…` a scoped admin token · `ptc_inv_…` an invitation code · `ptc_rst_…` a password-reset code
 * Stored as SHA-256 (hex) only: ~143 random bits need no slow hash.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import { generateApiKey, parseApiKey } from '../keys/api-key-format.js';

export const ADMIN_TOKEN_KIND = 'adm';
export const INVITATION_KIND = 'inv';
export const RESET_KIND = 'rst';
export type SecretKind = typeof ADMIN_TOKEN_KIND | typeof INVITATION_KIND | typeof RESET_KIND;

const PRODUCT = 'ptc';

export function generateSecret(kind: SecretKind): { secret: string; id: string; hash: string } {
  const issued = generateApiKey(PRODUCT, kind);
  return { secret: issued.key, id: issued.id, hash: digestSecret(issued.key) };
}

/** The id of a well-formed secret of `kind` (checksum included), or undefined. */
export function secretId(candidate: string, kind: SecretKind): string | undefined {
  const parsed = parseApiKey(candidate);
  return parsed.ok && parsed.product === PRODUCT && parsed.environment === kind ? parsed.id : undefined;
}

export function isSecretOfKind(candidate: string, kind: SecretKind): boolean {
  return candidate.startsWith(`${PRODUCT}_${kind}_`);
}

export function digestSecret(secret: string): string {
  return createHash('sha256').update(secret).digest('hex');
}

/** Constant-time comparison of a presented secret with a stored digest. */
export function secretMatches(presented: string, storedHex: string): boolean {
  const a = createHash('sha256').update(presented).digest();
  const b = Buffer.from(storedHex, 'hex');
  return a.length === b.length && timingSafeEqual(a, b);
}
