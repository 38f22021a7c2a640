/** The vault's tables (migration 0011, vault-migration.ts; the code that uses them: src/vault/). */
/** A named secret of the vault (vault/); its values are in vault_secret_versions. */
export interface VaultSecretsTable {
  id: string;
  /** The name `${secret:NAME}` references; unique. */
  name: string;
  /** The promoted version (what reads and references get); null while only staged versions exist. */
  current_version: number | null;
  description: string;
  created_by: string;
  created_at: number;
  updated_at: number;
}

/** One version of a secret: envelope-encrypted (vault/envelope.ts), never in the clear. */
export interface VaultSecretVersionsTable {
  secret_id: string;
  version: number;
  /** The KEK that wrapped the data key; bound into the wrap's AAD. */
  kek_id: string;
  /** The version's own data key, AES-256-GCM-wrapped by the KEK. */
  wrapped_key: string;
  /** The value, AES-256-GCM under the data key; AAD binds secret id, version and field. */
  ciphertext: string;
  created_by: string;
  created_at: number;
}

export interface VaultTables {
  vault_secrets: VaultSecretsTable;
  vault_secret_versions: VaultSecretVersionsTable;
}
