/**
 * Whether the vault can give each `${secret:NAME}` a config names: the secret exists, has a
 * promoted version, and that version is wrapped by a KEK the config's vault holds. Metadata only:
 * no value is decrypted. Shared by `config validate` (cli/vault-reference-check.ts) and
 * `portcullis preflight` (PF-SECRET-001), which open the store each their own way.
 */
import type { Db } from '../store/repositories.js';
import { SecretRepository } from './secret-repository.js';

/** One reference the vault cannot give: where the config names it, and why. */
export interface UnresolvedReference {
  readonly path: string;
  readonly message: string;
}

/** `references`: secret name → config paths (config/secret.ts vaultReferencePaths); `kekIds`: the ring's KEK ids. */
export async function unresolvedVaultReferences(db: Db, references: ReadonlyMap<string, readonly string[]>, kekIds: readonly string[]): Promise<UnresolvedReference[]> {
  const repository = new SecretRepository(db);
  const found: UnresolvedReference[] = [];
  for (const [name, paths] of references) {
    const secret = await repository.findByName(name);
    const versions = secret?.currentVersion == null ? [] : await repository.versions(secret.id);
    const promoted = versions.find((version) => version.version === secret?.currentVersion);
    const why = !secret
      ? 'the vault has no secret of that name'
      : !promoted
        ? 'the secret has no promoted version'
        : !kekIds.includes(promoted.kekId)
          ? `its promoted version is wrapped by ${promoted.kekId}, which vault.kek and vault.previousKeks do not hold`
          : undefined;
    if (why) for (const path of paths) found.push({ path, message: `\${secret:${name}}: ${why}` });
  }
  return found;
}
