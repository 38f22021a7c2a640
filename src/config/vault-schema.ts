/**
 * The `vault` section: where the key-encryption keys (KEKs) of the vault come from (docs/vault.md).
 * The vault's secrets live in the store; the KEK never does, so a copy of the database (a backup,
 * a stolen dump) holds no secret in the clear and no key to one.
 */
import { Type, type Static } from '@sinclair/typebox';
import { StringEnum } from '../core/string-enum.js';
import type { SecretValue } from './secret.js';

const Secret = (description: string) => Type.Unsafe<SecretValue>(Type.String({ secret: true, description }));

export const KekSchema = Type.Object(
  {
    source: StringEnum(['env', 'file'], { description: 'env: `key` holds the KEK (a `${env:NAME}` reference); file: `file` holds it. Both: 32 random bytes in base64, from `openssl rand -base64 32`.' }),
    key: Type.Optional(Secret('source env: the KEK, base64 of 32 random bytes, by reference (`${env:PORTCULLIS_VAULT_KEK}`).')),
    file: Type.Optional(Type.String({ filePath: true, description: "source file: a file holding the KEK (base64 of 32 random bytes; readable by the gateway's user only), relative to the config file's folder." })),
  },
  { additionalProperties: false, description: 'A key-encryption key: it wraps the data key of every secret version; its id is derived from it.' },
);

export const VaultSchema = Type.Object(
  {
    kek: KekSchema,
    previousKeks: Type.Array(KekSchema, {
      default: [],
      maxItems: 4,
      description: 'KEKs that only decrypt: during a KEK rotation, the old KEK, until `portcullis vault rotate-kek` has re-wrapped every data key.',
    }),
  },
  { additionalProperties: false, description: 'The vault: named, versioned secrets in the store, envelope-encrypted (docs/vault.md). Needs a store.' },
);

export type VaultConfig = Static<typeof VaultSchema>;
export type KekConfig = Static<typeof KekSchema>;
