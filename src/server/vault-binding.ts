/**
 * Binds a config's `${secret:NAME}` references (core/secret-value.ts) to the node's vault: at start
 * (a name the vault cannot give stops the start) and before each reload (it refuses the reload, and
 * the previous config keeps serving). Only then may a config's secrets be revealed.
 */
import type { ConfigIssue } from '../core/policy.js';
import type { SecretLookup } from '../core/secret-lookup.js';
import { vaultReferences } from '../config/secret.js';
import type { GatewayConfig } from '../config/schema.js';

/** Every reference bound, or the first problem (with every unavailable name). */
export function bindVaultReferences(config: GatewayConfig, vault: SecretLookup | undefined): ConfigIssue | undefined {
  const references = vaultReferences(config);
  if (references.length === 0) return undefined;
  if (!vault) return { path: 'vault', message: `the config names vault secrets (${references.map((ref) => ref.reference).join(', ')}) but no vault is open: configure store and vault` };
  const problems = references.map((reference) => reference.bind(vault)).filter((problem): problem is string => problem !== undefined);
  if (problems.length === 0) return undefined;
  return { path: 'vault', message: `cannot resolve ${[...new Set(problems)].join('; ')}` };
}
