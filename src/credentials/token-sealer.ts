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
  /** Seals the tokens of credential `credentialId` at token version `version`. */
  seal(tokens: StoredTokens, credentialId: string, version: number): Promise<string>;
  /** Opens what `seal` made for the same id and version; rejects on any other (a swapped row). */
  open(sealed: string, credentialId: string, version: number): Promise<StoredTokens>;
}

/** The vault's envelope encryption (src/vault: a data key per value, wrapped by the KEK), as the sealer needs it. */
export interface TokenVault {
  sealValue(plaintext: string, aad: string): Promise<string>;
  openValue(sealed: string, aad: string, reference?: string): Promise<{ reveal(): string }>;
  rewrapValue(sealed: string, aad: string): Promise<string>;
  isSealed(text: string): boolean;
}

const INFO = 'portcullis upstream credential tokens v1';

/** The additional authenticated data of one credential's tokens at one version. */
export function tokensAad(credentialId: string, version: number): string {
  return `upstream_credential|${credentialId}|tokens|v${version}`;
}

/**
 * Before the vault: AES-256-GCM with a key derived by HKDF-SHA256 (oauth/key-encryption.ts) from
 * `credentials.tokenEncryptionKey`. Kept to read rows sealed so (docs/outbound.md#key-hierarchy).
 */
export class KeyTokenSealer implements TokenSealer {
  readonly #encryption: KeyEncryption;

  constructor(secret: string) {
    this.#encryption = new KeyEncryption(secret, INFO);
  }

  async seal(tokens: StoredTokens, credentialId: string, version: number): Promise<string> {
    return this.#encryption.encrypt(JSON.stringify(tokens), tokensAad(credentialId, version));
  }

  async open(sealed: string, credentialId: string, version: number): Promise<StoredTokens> {
    return JSON.parse(this.#encryption.decrypt(sealed, tokensAad(credentialId, version))) as StoredTokens;
  }
}

/**
 * Seals with the vault's envelope encryption (so `vault rotate-kek` re-wraps the tokens' data keys
 * with the secrets'); opens envelopes with the vault and, while `credentials.tokenEncryptionKey` is
 * still configured, rows sealed with it before the vault was (`legacy`). `onLegacy` is told each
 * time such a row is opened: it is re-sealed by the vault at its next refresh or KEK rotation.
 */
export class VaultTokenSealer implements TokenSealer {
  constructor(
    private readonly vault: TokenVault,
    private readonly legacy: TokenSealer | undefined,
    private readonly onLegacy: (credentialId: string) => void = () => {},
  ) {}

  async seal(tokens: StoredTokens, credentialId: string, version: number): Promise<string> {
    return this.vault.sealValue(JSON.stringify(tokens), tokensAad(credentialId, version));
  }

  async open(sealed: string, credentialId: string, version: number): Promise<StoredTokens> {
    if (this.vault.isSealed(sealed)) return JSON.parse((await this.vault.openValue(sealed, tokensAad(credentialId, version), 'upstream credential tokens')).reveal()) as StoredTokens;
    if (!this.legacy) throw new Error('the tokens were sealed with credentials.tokenEncryptionKey, which is no longer configured');
    const tokens = await this.legacy.open(sealed, credentialId, version);
    this.onLegacy(credentialId);
    return tokens;
  }
}
