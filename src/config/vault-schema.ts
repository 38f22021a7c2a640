/**
 * The `vault` section: where the key-encryption keys (KEKs) of the vault come from (docs/vault.md).
 * The vault's secrets live in the store; the KEK never does, so a copy of the database (a backup,
 * a stolen dump) holds no secret in the clear and no key to one.
 */
import { Type, type Static } from '@sinclair/typebox';
import { StringEnum } from '../core/string-enum.js';
import { Secret } from './secret-schema.js';

export const KekSchema = Type.Object(
  {
    source: StringEnum(['env', 'file', 'pkcs11'], {
      description: 'env: `key` holds the KEK (a `${env:NAME}` reference); file: `file` holds it (both: 32 random bytes in base64, from `openssl rand -base64 32`); pkcs11: an AES-256 key inside an HSM token (`module`, `tokenLabel`, `pin`, `keyLabel`), never leaving it.',
    }),
    key: Type.Optional(Secret('source env: the KEK, base64 of 32 random bytes, by reference (`${env:PORTCULLIS_VAULT_KEK}`).')),
    file: Type.Optional(Type.String({ filePath: true, description: "source file: a file holding the KEK (base64 of 32 random bytes; readable by the gateway's user only), relative to the config file's folder." })),
    module: Type.Optional(Type.String({ minLength: 1, description: "source pkcs11: the token's PKCS#11 library, an absolute path (SoftHSM2: `/usr/lib/softhsm/libsofthsm2.so`)." })),
    tokenLabel: Type.Optional(Type.String({ minLength: 1, maxLength: 32, description: "source pkcs11: the token's label." })),
    pin: Type.Optional(Secret('source pkcs11: the user PIN, by reference (`${env:PORTCULLIS_HSM_PIN}`; not `${secret:…}`: the vault cannot hold what unlocks it); never logged.')),
    keyLabel: Type.Optional(Type.String({ minLength: 1, description: 'source pkcs11: the CKA_LABEL of the AES-256 key (sensitive, not extractable) that wraps the data keys.' })),
  },
  { additionalProperties: false, description: 'A key-encryption key: it wraps the data key of every secret version; its id is derived from it (pkcs11: from the token serial and key label).' },
);

export const VaultSchema = Type.Object(
  {
    kek: KekSchema,
    previousKeks: Type.Array(KekSchema, {
      default: [],
      maxItems: 4,
      description: 'KEKs that only decrypt: during a KEK rotation, the old KEK, until `portcullis vault rotate-kek` has re-wrapped every data key.',
    }),
    secretMaxAgeDays: Type.Optional(
      Type.Integer({ minimum: 1, maximum: 3650, description: 'Age policy of the secrets: `portcullis credentials report` lists a secret whose promoted version is older than this as over_policy (and as expiring within its horizon). Nothing is enforced. Unset: no policy (the default: a secret may be a third party\'s, rotated on its schedule).' }),
    ),
  },
  { additionalProperties: false, description: 'The vault: named, versioned secrets in the store, envelope-encrypted (docs/vault.md). Needs a store.' },
);

export type VaultConfig = Static<typeof VaultSchema>;
export type KekConfig = Static<typeof KekSchema>;
