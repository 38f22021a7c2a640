/**
 * Seals the tokens the gateway obtained before they reach the store, bound to their row: the
 * additional authenticated data names the credential id and the token version, so a sealed value
 * copied to another row, or an older version put back, does not open.
 */
import { KeyEncryption } from '../oauth/key-encryption.js';

/** The tokens of one credential, as stored (sealed). */
export interface StoredTokens {
  readonly accessToken?: string | undefined;
  /** ms since the epoch. */
  readonly expiresAt?: number | undefined;
  readonly refreshToken?: string | undefined;
  readonly tokenType?: string | undefined;
}

export interface TokenSealer {
  seal(tokens: StoredTokens, credentialId: string, version: number): string;
  open(sealed: string, credentialId: string, version: number): StoredTokens;
}

const INFO = 'portcullis upstream credential tokens v1';

/** The additional authenticated data of one credential's tokens at one version. */
export function tokensAad(credentialId: string, version: number): string {
  return `upstream_credential|${credentialId}|tokens|v${version}`;
}

/** AES-256-GCM with a key derived by HKDF-SHA256 (oauth/key-encryption.ts) from `credentials.tokenEncryptionKey`. */
export class KeyTokenSealer implements TokenSealer {
  readonly #encryption: KeyEncryption;

  constructor(secret: string) {
    this.#encryption = new KeyEncryption(secret, INFO);
  }

  seal(tokens: StoredTokens, credentialId: string, version: number): string {
    return this.#encryption.encrypt(JSON.stringify(tokens), tokensAad(credentialId, version));
  }

  open(sealed: string, credentialId: string, version: number): StoredTokens {
    return JSON.parse(this.#encryption.decrypt(sealed, tokensAad(credentialId, version))) as StoredTokens;
  }
}
