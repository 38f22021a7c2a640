/**
 * Opens a node's vault: the KEK ring from the config, the repository, and the Vault projection
 * added to the node's change follower (loaded with the other projections, then followed), plus the
 * operator service the admin API uses.
 */
import type { VaultConfig } from '../config/vault-schema.js';
import type { Logger } from '../observability/logger.js';
import type { ChangeFollower } from '../store/change-follower.js';
import type { Store } from '../store/store.js';
import { kekRing } from './kek-sources.js';
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
  const vault = new Vault(repository, ring, deps.logger);
  // Loaded now, before the follower starts: config references are bound to it before anything
  // else opens (the API-key pepper may be a vault secret). The follower loads it again with the
  // other projections and follows from there.
  (await vault.loadSnapshot())();
  await deps.follower.add(vault);
  return { vault, service: new VaultService(deps.store, repository, ring, deps.logger) };
}
