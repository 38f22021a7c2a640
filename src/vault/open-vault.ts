/**
 * Opens a node's vault: the KEK ring from the config, the repository, and the Vault projection
 * added to the node's change follower (loaded with the other projections, then followed), plus the
 * operator service the admin API uses.
 */
import type { VaultConfig } from '../config/vault-schema.js';
import type { Logger } from '../observability/logger.js';
import type { ChangeFollower } from '../store/change-follower.js';
import type { Db } from '../store/repositories.js';
import type { Store } from '../store/store.js';
import type { KekRing } from './kek.js';
import { kekRing } from './kek-sources.js';
import { NOT_IN_VAULT, SEALED_COLUMN_NAMES, sealedCensus } from './sealed-columns.js';
import { SecretRepository } from './secret-repository.js';
import { Vault } from './vault.js';
import { VaultService } from './vault-service.js';

export interface OpenedVault {
  readonly vault: Vault;
  readonly service: VaultService;
}

export async function openVault(config: VaultConfig, deps: { store: Store; follower: ChangeFollower; logger: Logger }): Promise<OpenedVault> {
  const ring = kekRing(config);
  const repository = new SecretRepository(deps.store.db);
  await requireKeks(deps.store.db, ring);
  const vault = new Vault(repository, ring, deps.logger);
  // Loaded now, before the follower starts: config references are bound to it before anything
  // else opens (the API-key pepper may be a vault secret). The follower loads it again with the
  // other projections and follows from there.
  (await vault.loadSnapshot())();
  await deps.follower.add(vault);
  return { vault, service: new VaultService(deps.store, repository, ring, deps.logger) };
}

/**
 * Refuses a node whose KEKs cannot unwrap every data key in the store (secret versions, and every
 * other sealed column: sealed-columns.ts): the store restored from a backup with another KEK
 * configured, or a rotation's old KEK removed too early. Starting would serve nothing those KEKs
 * wrapped (signing keys left out of the JWKS, tokens asked for again, a config naming a secret
 * failing later and less clearly).
 */
async function requireKeks(db: Db, ring: KekRing): Promise<void> {
  const census = await sealedCensus(db);
  const lacking: string[] = [];
  const missing = new Set<string>();
  for (const name of SEALED_COLUMN_NAMES) {
    for (const [kek, count] of Object.entries(census[name])) {
      if (kek === NOT_IN_VAULT || ring.byId(kek) !== undefined) continue;
      missing.add(kek);
      lacking.push(`${count} ${name.replaceAll('_', ' ')} wrapped by ${kek}`);
    }
  }
  if (lacking.length === 0) return;
  throw new VaultKeyMissingError(
    `the vault holds ${lacking.join(', ')}, which this node's vault.kek and vault.previousKeks do not hold (it has ${ring.ids.join(', ')}): configure ${[...missing].join(', ')} (after a restore: the KEK escrowed with the backup; during a rotation: keep the old KEK in vault.previousKeks until rotate-kek is done)`,
  );
}

/** The node lacks a KEK the store's data keys are wrapped by: the start stops (docs/vault.md#backup-and-escrow). */
export class VaultKeyMissingError extends Error {
  override readonly name = 'VaultKeyMissingError';
}
