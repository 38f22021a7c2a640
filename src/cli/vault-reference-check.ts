/**
 * `portcullis config validate`: the config's `${secret:NAME}` references checked against the store
 * the config names (issue 19 §2: an unresolvable reference fails validation, as it fails a start
 * and a reload). Each named secret must exist with a promoted version wrapped by a KEK the config's
 * vault holds; metadata only, no value is decrypted. When the store cannot be reached the
 * references are not checked: one warning says so (start and reload still refuse an unknown name).
 * A KEK in an HSM (source pkcs11) is opened whenever configured, references or not.
 */
import { existsSync } from 'node:fs';
import type { GatewayConfig } from '../config/schema.js';
import { vaultReferencePaths } from '../config/secret.js';
import type { ConfigIssue } from '../core/policy.js';
import { openStore } from '../store/open-store.js';
import { kekRing } from '../vault/kek-sources.js';
import { unresolvedVaultReferences } from '../vault/reference-check.js';

export async function checkVaultReferences(config: GatewayConfig): Promise<{ issues: ConfigIssue[]; warnings: ConfigIssue[] }> {
  const references = vaultReferencePaths(config);
  if (!config.vault) return { issues: [], warnings: [] };
  // An HSM KEK is opened even without references: a wrong module, token, PIN or key label fails
  // validation rather than the first start.
  const usesHsm = [config.vault.kek, ...config.vault.previousKeks].some((kek) => kek.source === 'pkcs11');
  if (references.size === 0 && !usesHsm) return { issues: [], warnings: [] };
  let ring: string[];
  try {
    ring = kekRing(config.vault).ids;
  } catch (error) {
    return { issues: [{ path: 'vault.kek', message: (error as Error).message }], warnings: [] };
  }
  if (references.size === 0 || !config.store) return { issues: [], warnings: [] };
  const store = config.store;
  // Opening a SQLite file that is not there would create it: a validation writes nothing.
  if (store.driver !== 'postgres' && !existsSync(store.path)) return { issues: [], warnings: [{ path: 'store.path', message: `\${secret:…} references not checked: ${store.path} does not exist yet; start and reload refuse a name the vault cannot give` }] };
  const opened = openStore(store.driver === 'postgres' ? { driver: 'postgres', url: store.url!.reveal(), connectTimeoutMs: store.connectTimeoutMs } : { driver: 'sqlite', path: store.path });
  let issues: ConfigIssue[];
  try {
    issues = await unresolvedVaultReferences(opened.db, references, ring);
  } catch (error) {
    return { issues: [], warnings: [{ path: 'store', message: `\${secret:…} references not checked: the store cannot be read (${(error as Error).message.split('\n')[0]}); start and reload refuse a name the vault cannot give` }] };
  } finally {
    await opened.close();
  }
  return { issues, warnings: [] };
}
