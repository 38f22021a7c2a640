/**
 * The contract between `${secret:NAME}` config references (core/secret-value.ts's
 * VaultSecretReference) and the vault (vault/), which implements it: config and core may not
 * import a service.
 */
export interface SecretLookup {
  /** Why secret `name` cannot be read now (no such secret, no promoted version, not decryptable), or undefined when it can. */
  unavailable(name: string): string | undefined;
  /** The current promoted value of `name`; throws (naming no value) when it is gone. */
  current(name: string): string;
}
