/**
 * Moves the authorization server's private signing keys into the vault, at start (openOAuth, when
 * the config has a vault) and in `vault rotate-kek` (server/kek-rotation.ts, as the operator):
 * every key still encrypted with `oauth.signingKeySecret` (`v1.…`, a deployment from before the
 * vault) is sealed by the vault, and every vault-sealed key wrapped by
 * a previous KEK is re-wrapped with the current one (so the previous KEK can go after a rotation).
 * Each row is replaced with a compare-and-set in its own unit of work, audited as
 * `signing_key.reseal` (which key, from what, to which KEK: never key material). A key that
 * cannot be opened is left as it is and logged; the server leaves it out of the JWKS as before.
 */
import { SYSTEM_ACTOR, type Actor } from '../core/actor.js';
import type { Logger } from '../observability/logger.js';
import type { SigningKeyRepository } from '../store/oauth-repositories.js';
import { recordChange, type Store } from '../store/store.js';
import { signingKeyAad, type VaultKeySealer } from './signing-key-sealer.js';

export interface ResealResult {
  /** Keys moved from oauth.signingKeySecret's encryption into the vault. */
  readonly sealed: number;
  /** Vault-sealed keys re-wrapped with the current KEK. */
  readonly rewrapped: number;
  /** Keys left as they were (could not be opened: see oauth.signing_key_unusable). */
  readonly failed: number;
}

export async function resealSigningKeys(deps: { store: Store; repository: SigningKeyRepository; sealer: VaultKeySealer; logger: Logger }, actor: Actor = SYSTEM_ACTOR): Promise<ResealResult> {
  const { store, repository, sealer, logger } = deps;
  const vault = sealer.vault;
  const target = vault.ring.current.id;
  let sealed = 0;
  let rewrapped = 0;
  let failed = 0;
  for (const key of await repository.list()) {
    const before = key.privateJwkEncrypted;
    const inVault = vault.isSealed(before);
    const from = inVault ? kekOf(before) : 'oauth.signingKeySecret';
    if (inVault && from === target) continue;
    let after: string;
    try {
      // Made outside the transaction: key work must not hold the writers' lock.
      after = inVault ? await vault.rewrapValue(before, signingKeyAad(key.id)) : await sealer.seal(await sealer.open(before, key.id), key.id);
    } catch (error) {
      failed++;
      logger.error({ event: 'oauth.signing_key_unusable', kid: key.id, error: (error as Error).message }, 'a signing key cannot be decrypted to be resealed by the vault: it is left as it is');
      continue;
    }
    const replaced = await store.write(actor, 'signing_key.reseal', async (tx) => {
      if (!(await repository.replaceSealedPrivateKey(tx, key.id, before, after))) return false;
      await recordChange(tx, 'signing_key', key.id, { detail: { from, toKek: target } });
      return true;
    });
    if (!replaced) continue;
    if (inVault) rewrapped++;
    else sealed++;
  }
  if (sealed + rewrapped > 0) logger.info({ event: 'oauth.signing_keys_resealed', sealed, rewrapped, kekId: target }, 'OAuth signing keys resealed by the vault with the current KEK');
  return { sealed, rewrapped, failed };
}

/** `pv1:<kekId>:…` → the KEK id. */
function kekOf(sealed: string): string {
  return sealed.split(':')[1] ?? '';
}
