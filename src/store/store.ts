/**
 * The store's unit of work: every state change is `store.write(actor, action, tx => …)`. One
 * transaction holds the entity rows and their change rows; `recordChange` is the one chokepoint that
 * writes a change row, naming who (the actor) and why (the action), ordered by the `store_revision`
 * row lock. After commit, one log line names the actor, the action and what changed, and
 * `onCommitted` listeners (the change-feed follower) hear the new revision.
 */
import type { Kysely } from 'kysely';
import { describeActor, type Actor } from '../core/actor.js';
import type { Clock } from '../core/clock.js';
import type { Logger } from '../observability/logger.js';
import type { StoreAction } from './actions.js';
import type { OpenedStore } from './open-store.js';
import type { Dialect } from './migrations.js';
import type { ChangeEntity } from './tables.js';
import type { StoreTables } from './tables.js';
import { appendAuditRecord } from './audit-chain.js';
import type { AuditDetail, AuditRecord, AuditTarget } from './audit-record.js';
import { WriteTx, type RecordedChange } from './write-tx.js';

export { WriteTx, type RecordedChange } from './write-tx.js';

/**
 * The chokepoint: takes the next store revision (locking its row until commit, so revisions become
 * visible in order), writes the change row with the unit's actor and action, and appends the audit
 * record of the change (store/audit-chain.ts) in the same transaction: if either write fails, the
 * change does not happen. Ids and names only: never a secret.
 *
 * `audit`: what the record says besides who, what and which entity: `changes` (whole before/after
 * objects: only the differing fields are kept, fields named like a secret are masked; never pass a
 * secret, put SECRET_MARKER where one changed) and, rarely, `detail` or an `outcome`.
 */
export async function recordChange(tx: WriteTx, entity: ChangeEntity, entityId: string, audit?: AuditDetail): Promise<void> {
  const { value } = await tx.db.updateTable('store_revision').set((eb) => ({ value: eb('value', '+', 1) })).where('id', '=', 1).returning('value').executeTakeFirstOrThrow();
  const revision = Number(value);
  await tx.db
    .insertInto('changes')
    .values({ revision, entity, entity_id: entityId, changed_at: tx.now, actor_kind: tx.actor.kind, actor_id: tx.actor.id, action: tx.action })
    .execute();
  await appendAuditRecord(tx, { action: tx.action, target: { kind: entity, id: entityId }, detail: audit });
  tx.noteChange({ revision, entity, entityId });
}

/**
 * Takes the revision row lock without a change: for a unit of work that must decide under the
 * writers' lock whether to change anything (two nodes rotating a signing key at once).
 */
export async function lockRevision(tx: WriteTx): Promise<void> {
  await tx.db.updateTable('store_revision').set((eb) => ({ value: eb.ref('value') })).where('id', '=', 1).execute();
}

export type CommittedListener = (revision: number) => void;

/** Hears the audit records a local unit of work committed, in seq order (audit sinks). */
export type AuditCommittedListener = (records: readonly AuditRecord[]) => void;

/** At most this many changed entities are named in the log line (a bulk write says how many). */
const LOGGED_CHANGES = 20;

export class Store implements OpenedStore {
  readonly #opened: OpenedStore;
  readonly #listeners = new Set<CommittedListener>();
  readonly #auditListeners = new Set<AuditCommittedListener>();

  constructor(
    opened: OpenedStore,
    private readonly deps: { clock: Clock; logger: () => Logger },
  ) {
    this.#opened = opened;
  }

  /** For reads (and migrations); writes go through `write`. */
  get db(): Kysely<StoreTables> {
    return this.#opened.db;
  }

  get dialect(): Dialect {
    return this.#opened.dialect;
  }

  get schema(): string | undefined {
    return this.#opened.schema;
  }

  /**
   * Runs `work` in one transaction as `actor` doing `action`. Whatever `work` throws rolls back every
   * row it wrote, change rows included, and is rethrown. After commit: one `store.changed` log line
   * and the `onCommitted` listeners, when the unit recorded a change.
   */
  async write<T>(actor: Actor, action: StoreAction, work: (tx: WriteTx) => Promise<T>): Promise<T> {
    let unit: WriteTx | undefined;
    const result = await this.db.transaction().execute(async (transaction) => {
      unit = new WriteTx(transaction, actor, action, this.deps.clock.now());
      // SQLite (WAL): a transaction that reads first and writes later fails at once with "database
      // is locked" if another process (a CLI, another worker) committed in between: busy_timeout
      // cannot help a stale read snapshot. Taking the write lock first makes it wait its turn
      // instead; SQLite has one writer at a time anyway, so this costs no concurrency.
      if (this.dialect === 'sqlite') await lockRevision(unit);
      return work(unit);
    });
    const changes = unit!.changes;
    if (changes.length > 0) this.#committed(unit!, changes);
    if (unit!.auditRecords.length > 0) this.#auditCommitted(unit!.auditRecords);
    return result;
  }

  /**
   * Records an audited event that changes no entity (a denied admin attempt, a secret revealed,
   * break-glass use, a key used after revocation, config applied on a node) as one audit record in
   * its own transaction, and returns it. `target` is what the event is about; `detail.detail` holds
   * its facts (ids, counts, reasons: never a secret); `detail.outcome` defaults to `success`.
   */
  async audit(actor: Actor, action: StoreAction, target: AuditTarget, detail?: AuditDetail): Promise<AuditRecord> {
    return this.write(actor, action, (tx) => appendAuditRecord(tx, { action, target, detail }));
  }

  /**
   * Calls `listener` with the audit records of each local unit of work, after it committed (records
   * written by other nodes are not heard here: read them from the store). Returns the unsubscribe
   * function. A listener that throws is logged and does not fail the write.
   */
  onAuditCommitted(listener: AuditCommittedListener): () => void {
    this.#auditListeners.add(listener);
    return () => this.#auditListeners.delete(listener);
  }

  /**
   * Calls `listener` with the newest revision after each local unit of work that recorded a change
   * (other nodes' writes arrive through the change feed). Returns the unsubscribe function.
   */
  onCommitted(listener: CommittedListener): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  close(): Promise<void> {
    this.#listeners.clear();
    this.#auditListeners.clear();
    return this.#opened.close();
  }

  #committed(unit: WriteTx, changes: readonly RecordedChange[]): void {
    const revision = changes[changes.length - 1]!.revision;
    this.deps.logger().info(
      {
        event: 'store.changed',
        actor: describeActor(unit.actor),
        ...(unit.actor.ip === undefined ? {} : { actorIp: unit.actor.ip }),
        action: unit.action,
        revision,
        changed: changes.length,
        changes: changes.slice(0, LOGGED_CHANGES).map((change) => `${change.entity}:${change.entityId}`),
      },
      'store change committed',
    );
    for (const listener of this.#listeners) {
      try {
        listener(revision);
      } catch (error) {
        // A listener's bug must not turn a committed write into a failed request.
        this.deps.logger().error({ event: 'store.listener_failed', err: error }, 'an after-commit listener threw');
      }
    }
  }

  #auditCommitted(records: readonly AuditRecord[]): void {
    for (const listener of this.#auditListeners) {
      try {
        listener(records);
      } catch (error) {
        this.deps.logger().error({ event: 'store.listener_failed', err: error }, 'an after-commit audit listener threw');
      }
    }
  }
}
