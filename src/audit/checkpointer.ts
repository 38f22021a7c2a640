/**
 * Makes signed checkpoints (checkpoint.ts) over the newest records: once `everyRecords` records are
 * not yet anchored, or once the oldest of them is `everySeconds` old. It runs once per gateway (the
 * lead worker under --workers: server/services.ts opens it with the other schedules) and is safe
 * across nodes: each checkpoint is decided and written under the `store_revision` row lock, so two
 * nodes never sign two checkpoints over the same records (the second sees the first and stops).
 */
import { SYSTEM_ACTOR } from '../core/actor.js';
import type { Clock } from '../core/clock.js';
import type { Logger } from '../observability/logger.js';
import { lockRevision, type Store } from '../store/store.js';
import { signCheckpoint, CHECKPOINT_VERSION, type SignedCheckpoint } from './checkpoint.js';
import type { CheckpointKey } from './checkpoint-key.js';

export interface CheckpointPolicy {
  readonly everyRecords: number;
  readonly everySeconds: number;
}

export class AuditCheckpointer {
  #timer: NodeJS.Timeout | undefined;
  #unsubscribe: (() => void) | undefined;
  #running: Promise<unknown> | undefined;
  #pendingLocal = 0;

  constructor(
    private readonly store: Store,
    private readonly key: CheckpointKey,
    private readonly policy: CheckpointPolicy,
    private readonly deps: { clock: Clock; logger: () => Logger },
  ) {}

  /**
   * Signs a checkpoint over the records not yet anchored if one is due (`force`: if there is any
   * such record). Returns it, or undefined when none was due.
   */
  async checkpointIfDue(force = false): Promise<SignedCheckpoint | undefined> {
    return this.store.write(SYSTEM_ACTOR, 'audit.checkpoint', async (tx) => {
      // The writers' lock: records cannot be appended, nor another node checkpoint, meanwhile.
      await lockRevision(tx);
      const head = await tx.db.selectFrom('store_revision').select(['audit_seq', 'audit_hash']).where('id', '=', 1).executeTakeFirstOrThrow();
      const last = await tx.db.selectFrom('audit_checkpoints').select(['to_seq', 'signature']).orderBy('to_seq', 'desc').limit(1).executeTakeFirst();
      const lastTo = Number(last?.to_seq ?? 0);
      const headSeq = Number(head.audit_seq);
      if (headSeq <= lastTo) return undefined;
      if (!force && headSeq - lastTo < this.policy.everyRecords) {
        const oldest = await tx.db.selectFrom('audit_records').select('time').where('seq', '=', lastTo + 1).executeTakeFirst();
        // A missing oldest record is tampering or archival gone wrong: anchor what is there anyway.
        if (oldest && tx.now - Number(oldest.time) < this.policy.everySeconds * 1000) return undefined;
      }
      const signed = signCheckpoint(
        {
          v: CHECKPOINT_VERSION,
          fromSeq: lastTo + 1,
          toSeq: headSeq,
          lastHash: head.audit_hash,
          time: new Date(tx.now).toISOString(),
          keyId: this.key.keyId,
          previousSignature: last?.signature ?? '',
        },
        this.key,
      );
      const known = await tx.db.selectFrom('audit_keys').select('key_id').where('key_id', '=', this.key.keyId).executeTakeFirst();
      if (!known) await tx.db.insertInto('audit_keys').values({ key_id: this.key.keyId, public_key: this.key.publicKeyPem, first_used_at: tx.now }).execute();
      const { signature, ...body } = signed;
      await tx.db
        .insertInto('audit_checkpoints')
        .values({ to_seq: signed.toSeq, from_seq: signed.fromSeq, last_hash: signed.lastHash, time: tx.now, key_id: signed.keyId, body: JSON.stringify(body), signature })
        .execute();
      return signed;
    });
  }

  /** Checks every half `everySeconds`, and soon after `everyRecords` local records were committed. */
  start(): void {
    const intervalMs = Math.max(500, (this.policy.everySeconds * 1000) / 2);
    this.#timer = setInterval(() => this.#run(), intervalMs);
    this.#timer.unref();
    this.#unsubscribe = this.store.onAuditCommitted((records) => {
      this.#pendingLocal += records.length;
      if (this.#pendingLocal >= this.policy.everyRecords) this.#run();
    });
  }

  async stop(): Promise<void> {
    clearInterval(this.#timer);
    this.#unsubscribe?.();
    await this.#running;
  }

  /** One run at a time; a failure is logged and the next tick tries again. */
  #run(): void {
    if (this.#running) return;
    this.#pendingLocal = 0;
    this.#running = this.checkpointIfDue()
      .then((signed) => {
        if (signed) this.deps.logger().info({ event: 'audit.checkpoint_signed', fromSeq: signed.fromSeq, toSeq: signed.toSeq, keyId: signed.keyId }, 'audit checkpoint signed');
      })
      .catch((error: unknown) => this.deps.logger().error({ event: 'audit.checkpoint_failed', err: error }, 'audit checkpoint failed; tried again later'))
      .finally(() => (this.#running = undefined));
  }
}
