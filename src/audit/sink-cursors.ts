/**
 * Each audit sink's row in `audit_sink_cursors`: the highest `seq` it has taken (so delivery
 * resumes from the chain itself after a restart, and a sink in `buffer` mode loses nothing), the
 * lease that makes one process of all nodes and workers its only deliverer, and whether it is
 * failing (what the `block` guard of every node reads).
 *
 * These rows are written directly, not through the unit of work: they change on every delivery,
 * and an audit record per delivery would itself need delivering. Every update but `ensure` names
 * the lease owner, so a process whose lease lapsed (paused, cut off) cannot move a cursor that
 * another process now owns (a fencing condition).
 */
import { sql, type Kysely } from 'kysely';
import type { StoreTables } from '../store/tables.js';

export interface HeldCursor {
  /** The highest seq delivered. */
  readonly deliveredSeq: number;
  /** Since when the sink fails, or undefined. */
  readonly failingSince: number | undefined;
}

export class SinkCursors {
  constructor(private readonly db: Kysely<StoreTables>) {}

  /** Creates the sink's row at `startSeq` (a new sink starts at the chain's head) unless it has one. */
  async ensure(sink: string, startSeq: number, now: number): Promise<void> {
    await this.db
      .insertInto('audit_sink_cursors')
      .values({ sink, delivered_seq: startSeq, lease_owner: null, lease_until: null, failing_since: null, last_error: null, updated_at: now })
      .onConflict((conflict) => conflict.column('sink').doNothing())
      .execute();
  }

  /**
   * Takes or renews the lease for `leaseMs` when it is free, lapsed or already `owner`'s; one
   * UPDATE, so two processes asking at once cannot both win. Undefined: another process holds it.
   */
  async acquire(sink: string, owner: string, now: number, leaseMs: number): Promise<HeldCursor | undefined> {
    const row = await this.db
      .updateTable('audit_sink_cursors')
      .set({ lease_owner: owner, lease_until: now + leaseMs })
      .where('sink', '=', sink)
      .where((eb) => eb.or([eb('lease_owner', 'is', null), eb('lease_owner', '=', owner), eb('lease_until', '<', now)]))
      .returning(['delivered_seq', 'failing_since'])
      .executeTakeFirst();
    if (!row) return undefined;
    return { deliveredSeq: Number(row.delivered_seq), failingSince: row.failing_since === null ? undefined : Number(row.failing_since) };
  }

  /** Moves the cursor forward to `seq` and clears a failure; false when `owner` no longer holds the lease. */
  async advance(sink: string, owner: string, seq: number, now: number): Promise<boolean> {
    const result = await this.db
      .updateTable('audit_sink_cursors')
      .set({ delivered_seq: seq, failing_since: null, last_error: null, updated_at: now })
      .where('sink', '=', sink)
      .where('lease_owner', '=', owner)
      .where('delivered_seq', '<', seq)
      .executeTakeFirst();
    return Number(result.numUpdatedRows) === 1;
  }

  /** Notes a failed delivery (the first one's time is kept). */
  async markFailing(sink: string, owner: string, now: number, reason: string): Promise<void> {
    await this.db
      .updateTable('audit_sink_cursors')
      .set({ failing_since: sql<number>`coalesce(failing_since, ${now})`, last_error: reason.slice(0, 200), updated_at: now })
      .where('sink', '=', sink)
      .where('lease_owner', '=', owner)
      .execute();
  }

  /** Clears a failure without moving the cursor (nothing was waiting when the sink came back). */
  async markWorking(sink: string, owner: string, now: number): Promise<void> {
    await this.db.updateTable('audit_sink_cursors').set({ failing_since: null, last_error: null, updated_at: now }).where('sink', '=', sink).where('lease_owner', '=', owner).execute();
  }

  /** Gives the lease up (at shutdown), so another process takes over at once instead of after it lapses. */
  async release(sink: string, owner: string): Promise<void> {
    await this.db.updateTable('audit_sink_cursors').set({ lease_owner: null, lease_until: null }).where('sink', '=', sink).where('lease_owner', '=', owner).execute();
  }

  /** Of `sinks`, those failing now, with since when. */
  async failing(sinks: readonly string[]): Promise<Array<{ sink: string; since: number }>> {
    if (sinks.length === 0) return [];
    const rows = await this.db.selectFrom('audit_sink_cursors').select(['sink', 'failing_since']).where('sink', 'in', [...sinks]).where('failing_since', 'is not', null).execute();
    return rows.map((row) => ({ sink: row.sink, since: Number(row.failing_since) }));
  }

  /** Every sink's row, for `audit sinks` status and the retention check. */
  async list(): Promise<Array<{ sink: string; deliveredSeq: number; leaseOwner: string | null; failingSince: number | null; lastError: string | null }>> {
    const rows = await this.db.selectFrom('audit_sink_cursors').selectAll().orderBy('sink').execute();
    return rows.map((row) => ({ sink: row.sink, deliveredSeq: Number(row.delivered_seq), leaseOwner: row.lease_owner, failingSince: row.failing_since === null ? null : Number(row.failing_since), lastError: row.last_error }));
  }
}
