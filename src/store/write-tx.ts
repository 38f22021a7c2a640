/**
 * The transaction a unit of work runs in (store.ts `store.write(actor, action, tx => …)`), with what
 * it wrote so far: change rows for the change feed and audit records for the after-commit hook.
 */
import type { Transaction } from 'kysely';
import type { Actor } from '../core/actor.js';
import type { AuditRecord } from './audit-record.js';
import type { StoreAction } from './actions.js';
import type { ChangeEntity, StoreTables } from './tables.js';

/** One change row written by a unit of work. */
export interface RecordedChange {
  readonly revision: number;
  readonly entity: ChangeEntity;
  readonly entityId: string;
}

/**
 * Repositories write through `db` and call `recordChange(tx, …)` for each entity other nodes must
 * follow. `now` is the one time (ms since the epoch) of every row the unit writes.
 */
export class WriteTx {
  readonly #changes: RecordedChange[] = [];
  readonly #audit: AuditRecord[] = [];

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

  /** The audit records appended so far, in seq order (delivered after commit). */
  get auditRecords(): readonly AuditRecord[] {
    return this.#audit;
  }

  /** @internal recordChange's bookkeeping. */
  noteChange(change: RecordedChange): void {
    this.#changes.push(change);
  }

  /** @internal the audit chain's bookkeeping. */
  noteAudit(record: AuditRecord): void {
    this.#audit.push(record);
  }
}
