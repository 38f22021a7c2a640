/**
 * `${secret:NAME}` references, against the vault in the store the config names: each must name a
 * secret with a promoted version wrapped by a KEK the config holds (vault/reference-check.ts, as
 * `config validate` checks it). One that does not resolve is PF-SECRET-001, like an environment
 * variable that is not set: the gateway would refuse to start. Needs the store (not offline).
 */
import { vaultReferencePaths } from '../../../config/secret.js';
import { kekRing } from '../../../vault/kek-sources.js';
import { unresolvedVaultReferences } from '../../../vault/reference-check.js';
import { defineCheck, finding, type Finding } from '../check.js';
import { LOAD_RULES } from '../load.js';

export const vaultReferencesCheck = defineCheck('vault-references', {}, async ({ config, store, secretsResolved }) => {
  const references = vaultReferencePaths(config);
  if (references.size === 0 || !config.vault || !secretsResolved) return [];
  const db = await store();
  if (!db) return [];
  let kekIds: string[];
  try {
    kekIds = kekRing(config.vault).ids;
  } catch (error) {
    // A KEK that cannot be read is a secret that does not resolve: nothing in the vault can be opened.
    return [finding(LOAD_RULES.secretUnresolved, `the vault's KEK cannot be read: ${(error as Error).message}`, { path: 'vault.kek' })];
  }
  const unresolved = await unresolvedVaultReferences(db.db, references, kekIds);
  return unresolved.map((reference): Finding => finding(LOAD_RULES.secretUnresolved, reference.message, { path: reference.path }));
});
