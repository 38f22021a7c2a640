/**
 * The upstream credentials' part of `portcullis vault rotate-kek`: the stored tokens are sealed by
 * the vault's envelope encryption (a data key per value, wrapped by the KEK), so a KEK rotation
 * re-wraps their data keys too (the ciphertext is untouched; docs/vault.md#kek-rotation). Rows
 * still sealed with `credentials.tokenEncryptionKey` (from before the vault) are opened with it
 * and sealed by the vault. One row per unit of work, compare-and-set on (version, sealed text):
 * a refresh that lands meanwhile wins and is already sealed under the current KEK. Resumable:
 * a run stopped half way re-reads what is left. Nodes keep reading throughout: they hold the old
 * KEK (decrypt-only) until the rotation is done, and the tokens they have opened stay in memory.
 */
import type { Actor } from '../core/actor.js';
import type { Logger } from '../observability/logger.js';
import type { Store } from '../store/store.js';
import type { UpstreamCredentialRepository } from '../store/upstream-credentials.js';
import { tokensAad, type TokenSealer, type TokenVault } from './token-sealer.js';

export interface ResealResult {
  /** Envelopes whose data key was re-wrapped with the current KEK. */
  readonly rewrapped: number;
  /** Legacy rows (credentials.tokenEncryptionKey) now sealed by the vault. */
  readonly resealed: number;
  /** Rows left as they were: legacy rows without the key to open them, or rows that failed to open. */
  readonly remaining: number;
}

export async function resealCredentialTokens(
  deps: { store: Store; repository: UpstreamCredentialRepository; vault: TokenVault; legacy: TokenSealer | undefined; logger: Logger },
  actor: Actor,
): Promise<ResealResult> {
  let rewrapped = 0;
  let resealed = 0;
  let remaining = 0;
  for (const row of await deps.repository.list()) {
    const sealed = row.tokensSealed;
    if (sealed === null) continue;
    const aad = tokensAad(row.id, row.tokenVersion);
    let next: string;
    let from: string;
    try {
      if (deps.vault.isSealed(sealed)) {
        next = await deps.vault.rewrapValue(sealed, aad);
        if (next === sealed) continue;
        from = 'previous_kek';
      } else {
        if (!deps.legacy) {
          remaining++;
          continue;
        }
        next = await deps.vault.sealValue(JSON.stringify(await deps.legacy.open(sealed, row.id, row.tokenVersion)), aad);
        from = 'token_encryption_key';
      }
    } catch (error) {
      remaining++;
      deps.logger.warn({ event: 'credentials.refresh_failed', credential: row.name, reason: 'sealed_tokens_unreadable', err: error instanceof Error ? error.message : String(error) }, 'stored tokens of an upstream credential cannot be opened to re-seal');
      continue;
    }
    const replaced = await deps.store.write(actor, 'upstream_credential.reseal_tokens', (tx) => deps.repository.replaceSealed(tx, row.id, row.tokenVersion, sealed, next, { name: row.name, tokenVersion: row.tokenVersion, from }));
    // Not replaced: a refresh stored newer tokens meanwhile, sealed under the current KEK already.
    if (replaced && from === 'previous_kek') rewrapped++;
    else if (replaced) resealed++;
  }
  deps.logger.info({ event: 'credentials.tokens_resealed', rewrapped, resealed, remaining }, 'upstream credential tokens re-wrapped with the current KEK');
  return { rewrapped, resealed, remaining };
}
