/**
 * Encryption of the authorization server's private signing keys at rest: AES-256-GCM (node:crypto)
 * with a key derived by HKDF-SHA256 from the configured secret (`oauth.signingKeySecret`, a
 * `${env:...}` reference). The store never holds a private key in the clear; a database dump
 * without the secret cannot sign tokens. Format: `v1.<iv>.<ciphertext>.<tag>` (base64url); the kid
 * is bound as additional authenticated data, so an encrypted key cannot be swapped to another row.
 * Admin TOTP seeds (admin/mfa/) are sealed the same way, with their own HKDF info and the user id.
 */
import { createCipheriv, createDecipheriv, hkdfSync, randomBytes } from 'node:crypto';

const INFO = 'portcullis oauth signing key encryption v1';
const IV_BYTES = 12;
const TAG_BYTES = 16;

export class KeyEncryption {
  readonly #key: Buffer;

  /** `info` separates the keys derived for different uses from one secret (RFC 5869 §3.2). */
  constructor(secret: string, info: string = INFO) {
    this.#key = Buffer.from(hkdfSync('sha256', Buffer.from(secret, 'utf8'), Buffer.alloc(0), info, 32));
  }

  encrypt(plaintext: string, kid: string): string {
    // A 96-bit random IV per key (NIST SP 800-38D §8.2.2); few keys are ever encrypted.
    const iv = randomBytes(IV_BYTES);
    const cipher = createCipheriv('aes-256-gcm', this.#key, iv, { authTagLength: TAG_BYTES });
    cipher.setAAD(Buffer.from(kid, 'utf8'));
    const ciphertext = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
    return ['v1', iv.toString('base64url'), ciphertext.toString('base64url'), cipher.getAuthTag().toString('base64url')].join('.');
  }

  decrypt(sealed: string, kid: string): string {
    const [version, iv, ciphertext, tag] = sealed.split('.');
    if (version !== 'v1' || !iv || !ciphertext || !tag) throw new Error('not an encrypted signing key');
    const ivBytes = Buffer.from(iv, 'base64url');
    const tagBytes = Buffer.from(tag, 'base64url');
    // The full 128-bit tag, pinned: without authTagLength, GCM accepts a tag cut to 4 bytes, and
    // a forgery then needs about 2^32 tries, not 2^128 (NIST SP 800-38D §5.2.1.2, Appendix C).
    if (ivBytes.length !== IV_BYTES || tagBytes.length !== TAG_BYTES) throw new Error('not an encrypted signing key (IV or tag length)');
    const decipher = createDecipheriv('aes-256-gcm', this.#key, ivBytes, { authTagLength: TAG_BYTES });
    decipher.setAAD(Buffer.from(kid, 'utf8'));
    decipher.setAuthTag(tagBytes);
    return Buffer.concat([decipher.update(Buffer.from(ciphertext, 'base64url')), decipher.final()]).toString('utf8');
  }
}
