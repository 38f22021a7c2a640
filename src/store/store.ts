/**
 * The store's unit of work: every state change is `store.write(actor, action, tx => …)`. One
 * transaction holds the entity rows and their change rows; `recordChange` is the one chokepoint that
 * writes a change row, naming who (the actor) and why (the action), ordered by the `store_revision`
 * row lock. After commit, one log line names the actor, the action and what changed, and
 * `onCommitted` listeners (the change-feed follower) hear the new revision.
 */
import type { Kysely, Transaction } from 'kysely';
import { describeActor, type Actor } from '../core/actor.js';
import type { Clock } from '../core/clock.js';
import type { Logger } from '../observability/logger.js';
import type { StoreAction } from './actions.js';
import type { OpenedStore } from './open-store.js';
import type { Dialect } from './migrations.js';
import type { ChangeEntity } from './tables.js';
import type { StoreTables } from './tables.js';

/** One change row written by a unit of work. */
export interface RecordedChange {
  readonly revision: number;
  readonly entity: ChangeEntity;
  readonly entityId: string;
}

/**
 * The transaction a unit of work runs in: repositories write through `db` and call
 * `recordChange(tx, …)` for each entity other nodes must follow. `now` is the one time (ms since
 * the epoch) of every row the unit writes.
 */
export class WriteTx {
  readonly #changes: RecordedChange[] = [];

  constructor(
    readonly db: Transaction<StoreTables>,
    readonly actor: Actor,
    readonly action: StoreAction,
    readonly now: number,
  ) {}

  /** What recordChange wrote so far, in revision order. */
  get changes(): readonly RecordedChange[] {
    return this.#changes;
  }

  /** @internal recordChange's bookkeeping. */
  noteChange(change: RecordedChange): void {
    this.#changes.push(change);
  }
}

/**
 * The chokepoint: takes the next store revision (locking its row until commit, so revisions become
 * visible in order) and writes the change row with the unit's actor and action. Ids and names only:
 * never a secret.
 */
export async function recordChange(tx: WriteTx, entity: ChangeEntity, entityId: string): Promise<void> {
  const { value } = await tx.db.updateTable('store_revision').set((eb) => ({ value: eb('value', '+', 1) })).where('id', '=', 1).returning('value').executeTakeFirstOrThrow();
  const revision = Number(value);
  await tx.db
    .insertInto('changes')
    .values({ revision, entity, entity_id: entityId, changed_at: tx.now, actor_kind: tx.actor.kind, actor_id: tx.actor.id, action: tx.action })
    .execute();
  // Seam for the audit trail (audit issue): its hash-chained record is appended here, in this
  // transaction, from the same actor, action, entity and revision, so it commits or rolls back
  // with the change it describes.
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

/** At most this many changed entities are named in the log line (a bulk write says how many). */
const LOGGED_CHANGES = 20;

export class Store implements OpenedStore {
  readonly #opened: OpenedStore;
  readonly #listeners = new Set<CommittedListener>();

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
      return work(unit);
    });
    const changes = unit!.changes;
    if (changes.length > 0) this.#committed(unit!, changes);
    return result;
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
}
