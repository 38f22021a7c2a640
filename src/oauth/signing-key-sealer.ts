/**
 * How the authorization server's private signing keys are kept in the store (issue 19 §2: the
 * signing keys move into the vault). With a vault, each private JWK is sealed by the vault's
 * envelope encryption (its own data key, wrapped by the KEK; `pv1:…`), bound to the key's row by
 * its AAD, so `vault rotate-kek` and a KEK escrow cover them like every other secret. Without one,
 * as before the vault: AES-256-GCM under a key derived from `oauth.signingKeySecret`
 * (key-encryption.ts; `v1.…`). A vault sealer still opens `v1.` rows while `oauth.signingKeySecret`
 * is configured, and reseal-signing-keys.ts moves them into the vault at start.
 */
import type { KeyEncryption } from './key-encryption.js';

/** The vault's envelope encryption, as the sealer needs it (vault/vault.ts implements it). */
export interface SigningKeyVault {
  sealValue(plaintext: string, aad: string): Promise<string>;
  openValue(sealed: string, aad: string, reference?: string): Promise<{ reveal(): string }>;
  rewrapValue(sealed: string, aad: string): Promise<string>;
  isSealed(text: string): boolean;
  /** The KEK id a sealed value is wrapped by, and the ring's current one. */
  readonly ring: { readonly current: { readonly id: string } };
}

export interface SigningKeySealer {
  /** Seals the private JWK (JSON text) of key `kid`. */
  seal(privateJwk: string, kid: string): Promise<string>;
  /** Opens what `seal` (or, for a vault sealer, the legacy encryption) made for the same `kid`; rejects on any other. */
  open(sealed: string, kid: string): Promise<string>;
}

/** The AAD of a private signing key: the table, the key id and the field. */
export function signingKeyAad(kid: string): string {
  return `oauth_signing_keys|${kid}|private_jwk`;
}

/** Before the vault (and without one): `oauth.signingKeySecret`'s derived key. */
export class SecretKeySealer implements SigningKeySealer {
  constructor(private readonly encryption: KeyEncryption) {}

  async seal(privateJwk: string, kid: string): Promise<string> {
    return this.encryption.encrypt(privateJwk, kid);
  }

  async open(sealed: string, kid: string): Promise<string> {
    return this.encryption.decrypt(sealed, kid);
  }
}

export class VaultKeySealer implements SigningKeySealer {
  constructor(
    readonly vault: SigningKeyVault,
    /** Opens `v1.` rows sealed before the vault; undefined once `oauth.signingKeySecret` is removed. */
    readonly legacy: SecretKeySealer | undefined,
  ) {}

  async seal(privateJwk: string, kid: string): Promise<string> {
    return this.vault.sealValue(privateJwk, signingKeyAad(kid));
  }

  async open(sealed: string, kid: string): Promise<string> {
    if (this.vault.isSealed(sealed)) return (await this.vault.openValue(sealed, signingKeyAad(kid), `signing key ${kid}`)).reveal();
    if (!this.legacy) throw new Error('sealed with oauth.signingKeySecret, which is not configured: configure it until the key is resealed by the vault (docs/oauth.md#signing-keys-in-the-vault)');
    return this.legacy.open(sealed, kid);
  }
}
