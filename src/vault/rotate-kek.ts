/**
 * `portcullis vault rotate-kek`, for the secret versions (the other sealed columns:
 * server/kek-rotation.ts): re-wraps every secret version's data key with the ring's current KEK,
 * online. Batch by batch: the new wraps are made outside the transaction, then written in one
 * unit of work each, and a row is only replaced if it is still wrapped by the KEK it was read with
 * (compare-and-set), so two rotations at once, or a rotation and a new version, cannot lose a write.
 * Resumable: a rotation stopped half way re-reads what is still wrapped by another KEK and goes on.
 * Ciphertexts are never touched, so a read on any node (which holds both KEKs during the rotation)
 * succeeds before, during and after; the old KEK stays configured, decrypt-only, until this reports
 * nothing left (docs/vault.md#kek-rotation).
 */
import type { Actor } from '../core/actor.js';
import type { Logger } from '../observability/logger.js';
import type { Store } from '../store/store.js';
import { recordChange } from '../store/store.js';
import { rewrap } from './envelope.js';
import type { KekRing } from './kek.js';
import { versionBinding, type SecretRepository } from './secret-repository.js';

export interface RotationResult {
  readonly kekId: string;
  /** Data keys re-wrapped by this run. */
  readonly rewrapped: number;
  /** Versions per KEK id afterwards (only the current one when done). */
  readonly byKek: Record<string, number>;
}

export async function rotateKek(
  deps: { store: Store; repository: SecretRepository; ring: KekRing; logger: Logger },
  actor: Actor,
  options: { batchSize?: number } = {},
): Promise<RotationResult> {
  const { store, repository, ring, logger } = deps;
  const target = ring.current.id;
  const batchSize = options.batchSize ?? 100;
  let rewrapped = 0;
  for (;;) {
    const batch = await repository.wrappedByOther(target, batchSize);
    if (batch.length === 0) break;
    // Unwrapped with the old KEK and wrapped with the new one before the transaction: key work
    // (an HSM, one day) must not hold the writers' lock.
    const next = await Promise.all(batch.map(async (sealed) => ({ sealed, envelope: await rewrap(ring, sealed.envelope, versionBinding(sealed.secretId, sealed.version)) })));
    const replaced = await store.write(actor, 'secret.rewrap', async (tx) => {
      let count = 0;
      const secrets = new Map<string, { name: string; versions: number[]; from: string[] }>();
      for (const { sealed, envelope } of next) {
        if (!(await repository.replaceWrap(tx, sealed, envelope))) continue;
        count++;
        const entry = secrets.get(sealed.secretId) ?? { name: sealed.name, versions: [], from: [] };
        entry.versions.push(sealed.version);
        if (!entry.from.includes(sealed.envelope.kekId)) entry.from.push(sealed.envelope.kekId);
        secrets.set(sealed.secretId, entry);
      }
      // One change (and audit record) per secret: which versions moved from which KEK to which.
      for (const [id, entry] of secrets) await recordChange(tx, 'secret', id, { detail: { name: entry.name, versions: entry.versions, fromKek: entry.from, toKek: target } });
      return count;
    });
    rewrapped += replaced;
    const left = Object.entries(await repository.countByKek()).reduce((sum, [kek, n]) => (kek === target ? sum : sum + n), 0);
    logger.info({ event: 'vault.kek_rotation_progress', kekId: target, rewrapped, remaining: left }, 'data keys re-wrapped with the current KEK');
  }
  // The end of the whole rotation (every sealed column) is logged by server/kek-rotation.ts.
  return { kekId: target, rewrapped, byKek: await repository.countByKek() };
}
