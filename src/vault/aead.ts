/**
 * AES-256-GCM through node:crypto, the one cipher of the vault: a fresh random 96-bit nonce per
 * encryption (NIST SP 800-38D §8.2.2: every key here seals few messages, a data key exactly one),
 * the full 128-bit tag pinned on decryption, and additional authenticated data that binds the
 * ciphertext to where it belongs. Packed as `<nonce>.<ciphertext>.<tag>`, each base64url.
 */
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';

const NONCE_BYTES = 12;
const TAG_BYTES = 16;
export const KEY_BYTES = 32;

export function aeadSeal(key: Buffer, plaintext: Buffer, aad: Buffer): string {
  const nonce = randomBytes(NONCE_BYTES);
  const cipher = createCipheriv('aes-256-gcm', key, nonce, { authTagLength: TAG_BYTES });
  cipher.setAAD(aad);
  const ciphertext = Buffer.concat([cipher.update(plaintext), cipher.final()]);
  return [nonce, ciphertext, cipher.getAuthTag()].map((part) => part.toString('base64url')).join('.');
}

/** Throws VaultIntegrityError when the sealed text is malformed, or the key or the AAD is not the one it was sealed with. */
export function aeadOpen(key: Buffer, sealed: string, aad: Buffer): Buffer {
  const parts = sealed.split('.');
  if (parts.length !== 3) throw new VaultIntegrityError('not a sealed value');
  const [nonce, ciphertext, tag] = parts.map((part) => Buffer.from(part, 'base64url')) as [Buffer, Buffer, Buffer];
  // Pinned: without authTagLength, GCM accepts a tag cut to 4 bytes (SP 800-38D §5.2.1.2, App. C).
  if (nonce.length !== NONCE_BYTES || tag.length !== TAG_BYTES) throw new VaultIntegrityError('not a sealed value (nonce or tag length)');
  const decipher = createDecipheriv('aes-256-gcm', key, nonce, { authTagLength: TAG_BYTES });
  decipher.setAAD(aad);
  decipher.setAuthTag(tag);
  try {
    return Buffer.concat([decipher.update(ciphertext), decipher.final()]);
  } catch {
    // One message for every cause: which part failed is no help to an attacker and none to a log.
    throw new VaultIntegrityError('authentication failed: wrong key, or the ciphertext is not the one stored for this record');
  }
}

/** A ciphertext that does not open: tampered with, moved to another row, or sealed under a key this node does not have. */
export class VaultIntegrityError extends Error {
  override readonly name = 'VaultIntegrityError';
}
