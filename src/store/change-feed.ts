/**
 * The change feed: what changed after a revision, read from the `changes` rows that every writing
 * transaction adds under the next store revision (repositories.ts `recordChange`), and the pruning
 * of rows older than the retention.
 *
 * Revisions are dense: a writer takes the next value of the one `store_revision` row (locked until
 * commit) for each change row it writes, so revisions become visible in order and without holes.
 * That makes a pruned stretch visible: if the first row after a reader's revision is not the next
 * revision, the rows in between were pruned and the reader must reload from a full snapshot.
 */
import { sql, type Kysely } from 'kysely';
import type { Dialect } from './migrations.js';
import { CHANGE_ENTITIES, type ChangeEntity, type StoreTables } from './tables.js';

/** Changed ids by entity kind (every kind present, most empty). */
export type ChangeSet = Readonly<Record<ChangeEntity, readonly string[]>>;

export interface ChangeBatch {
  /** The newest revision whose changes are all included (the reader's next revision). */
  readonly revision: number;
  readonly changed: ChangeSet;
  /** False: more changes follow; read again from `revision`. */
  readonly complete: boolean;
  /** True: changes right after the asked revision were pruned; reload from a snapshot instead. */
  readonly behind: boolean;
}

/** The PostgreSQL channel the `changes` trigger notifies (migration 0007); payload: the schema. */
export const CHANGE_CHANNEL = 'portcullis_changes';

/** Pruning on several nodes at once is harmless but wasteful: one at a time, by this lock. */
const PRUNE_LOCK_NAME = 'portcullis.prune_changes';

export class ChangeFeed {
  constructor(
    private readonly db: Kysely<StoreTables>,
    private readonly dialect: Dialect = 'sqlite',
  ) {}

  async latestRevision(): Promise<number> {
    const row = await this.db.selectFrom('store_revision').select('value').where('id', '=', 1).executeTakeFirstOrThrow();
    return Number(row.value);
  }

  /**
   * What changed after `revision`, as ids to reload: at most about `limit` changes, so a node
   * catching up on a bulk import or a long outage reads in bounded steps. A batch never ends in the
   * middle of a revision (one revision may carry several rows), so the next read misses none.
   */
  async since(revision: number, limit = 1000): Promise<ChangeBatch> {
    let rows = await this.db.selectFrom('changes').select(['revision', 'entity', 'entity_id']).where('revision', '>', revision).orderBy('revision').limit(limit).execute();
    const complete = rows.length < limit;
    const first = rows.length === 0 ? undefined : Number(rows[0]!.revision);
    if (first !== undefined && first > revision + 1) return { revision, changed: emptyChangeSet(), complete: false, behind: true };
    if (!complete) {
      const last = Number(rows[rows.length - 1]!.revision);
      if (first === last) {
        // One revision with more rows than the limit (a bulk write in one unit): take it whole.
        rows = await this.db.selectFrom('changes').select(['revision', 'entity', 'entity_id']).where('revision', '=', last).execute();
      } else {
        rows = rows.filter((row) => Number(row.revision) < last);
      }
    }
    const changed = new Map<ChangeEntity, Set<string>>(CHANGE_ENTITIES.map((entity) => [entity, new Set()]));
    let latest = revision;
    for (const row of rows) {
      latest = Math.max(latest, Number(row.revision));
      // A kind this node does not know (written by a newer version) is skipped, not misfiled.
      changed.get(row.entity)?.add(row.entity_id);
    }
    const ids = Object.fromEntries(CHANGE_ENTITIES.map((entity) => [entity, [...changed.get(entity)!]])) as Record<ChangeEntity, string[]>;
    return { revision: latest, changed: ids, complete, behind: false };
  }

  /**
   * Deletes change rows written before `olderThan` (ms since the epoch), always keeping the newest
   * row (it is what tells a reader that it fell behind: see the module comment). Idempotent; on
   * PostgreSQL one node at a time (an advisory lock per schema; a node that does not get it skips).
   * Returns how many rows went.
   */
  async prune(olderThan: number): Promise<number> {
    return this.db.transaction().execute(async (tx) => {
      if (this.dialect === 'postgres') {
        const { rows } = await sql<{ locked: boolean }>`select pg_try_advisory_xact_lock(hashtext(current_schema() || ${'.' + PRUNE_LOCK_NAME})) as locked`.execute(tx);
        if (!rows[0]?.locked) return 0;
      }
      const result = await tx
        .deleteFrom('changes')
        .where('changed_at', '<', olderThan)
        .where('revision', '<', (eb) => eb.selectFrom('changes').select((inner) => inner.fn.max('revision').as('newest')))
        .executeTakeFirst();
      return Number(result.numDeletedRows);
    });
  }
}

export function emptyChangeSet(): ChangeSet {
  return Object.fromEntries(CHANGE_ENTITIES.map((entity) => [entity, []])) as unknown as ChangeSet;
}
