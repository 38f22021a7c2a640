/**
 * The `${secret:NAME}` references of an upstream credential's settings that the vault cannot give
 * (issue 24 §5): checked when a credential is created, so a typo in a secret name is refused at
 * once (422 admin.secret_unresolved) instead of surfacing later as a 503 on the first request
 * that needs it. Metadata only: no value is read or decrypted.
 */
import type { Db } from '../store/repositories.js';
import { SecretRepository } from '../vault/secret-repository.js';

const VAULT_REFERENCE = /^\$\{secret:([A-Za-z_][A-Za-z0-9_.-]*)\}$/;

/** One settings field whose vault secret is not there, and why (never a value). */
export interface UnresolvedCredentialSecret {
  /** The settings field, e.g. `clientSecret`. */
  readonly field: string;
  /** The reference as written, e.g. `${secret:payroll-client}`. */
  readonly reference: string;
  readonly why: string;
}

/**
 * Each `${secret:NAME}` of `settings` (top-level string fields, as every credential kind keeps
 * them) whose secret does not exist or has no promoted version; every one when `vaultOpen` is
 * false (no `vault` section: nothing can resolve it). `${env:NAME}` references are not checked:
 * the environment that counts is each gateway node's, not the one answering the admin call.
 * Read through `db`, which inside a unit of work (after `lockRevision`) orders the check against a
 * concurrent secret deletion.
 */
export async function unresolvedCredentialSecrets(db: Db, settings: Readonly<Record<string, unknown>>, vaultOpen: boolean): Promise<UnresolvedCredentialSecret[]> {
  const repository = new SecretRepository(db);
  const found: UnresolvedCredentialSecret[] = [];
  for (const [field, value] of Object.entries(settings).sort(([a], [b]) => a.localeCompare(b))) {
    if (typeof value !== 'string') continue;
    const name = VAULT_REFERENCE.exec(value)?.[1];
    if (name === undefined) continue;
    if (!vaultOpen) {
      found.push({ field, reference: value, why: 'no vault is configured' });
      continue;
    }
    const secret = await repository.findByName(name, db);
    if (!secret) found.push({ field, reference: value, why: 'the vault has no secret of that name' });
    else if (secret.currentVersion === null) found.push({ field, reference: value, why: 'the secret has no promoted version' });
  }
  return found;
}
