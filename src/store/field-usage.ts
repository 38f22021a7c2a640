/**
 * Field-usage evidence (issue 20 §4, docs/fields.md): per route, consumer and allowed field path,
 * how many responses carried the field and when it was first and last seen. The fields policy
 * counts in memory (FieldUsageRecorder, no store query per request); FieldUsageCounters writes the
 * counts every `flushMs` and at shutdown, adding them to the `field_usage` rows (an upsert), so
 * several nodes or `--workers` processes each flushing their own counts add up correctly.
 *
 * These are counters, not entity changes: they are written in their own transaction on the
 * store's db WITHOUT store.write/recordChange, so they never fill the change feed or the
 * hash-chained audit trail (a busy route would otherwise add an audit record a minute per node).
 */
import { sql } from 'kysely';
import type { FieldUsageRecorder } from '../core/services.js';
import type { Logger } from '../observability/logger.js';
import type { OpenedStore } from './open-store.js';
import { BatchedCounters, seenCount, type SeenCount } from './batched-counters.js';

export interface FieldUsageRow {
  readonly route: string;
  readonly consumer: string;
  readonly path: string;
  readonly count: number;
  readonly firstSeen: number;
  readonly lastSeen: number;
}

type Pending = SeenCount;

/** The separator of the in-memory key: a NUL never appears in a route name, consumer id or pointer we count. */
const SEP = '\u0000';

export class FieldUsageCounters extends BatchedCounters<Pending> implements FieldUsageRecorder {
  constructor(
    private readonly store: OpenedStore,
    private readonly options: { readonly flushMs: number; readonly logger: () => Logger },
  ) {
    super(options.flushMs);
  }

  record(route: string, consumer: string, paths: Iterable<string>, now: number): void {
    for (const path of paths) {
      this.count(route + SEP + consumer + SEP + path, () => seenCount.first(now), (entry) => seenCount.again(entry, now));
    }
  }

  protected write(batch: ReadonlyMap<string, Pending>): Promise<void> {
    return addFieldUsage(this.store, [...batch].map(([key, entry]) => {
      const [route, consumer, path] = key.split(SEP) as [string, string, string];
      return { route, consumer, path, ...entry };
    }));
  }

  protected merge(kept: Pending, entry: Pending): Pending {
    return seenCount.merge(kept, entry);
  }

  protected failed(rows: number, error: unknown): void {
    this.options.logger().warn({ event: 'fields.usage_flush_failed', rows, err: error }, 'could not write field-usage counts; will retry');
  }
}

/** Adds counts to `field_usage` (one transaction, no recordChange: counters, see the header). */
export async function addFieldUsage(store: OpenedStore, rows: readonly FieldUsageRow[]): Promise<void> {
  if (rows.length === 0) return;
  await store.db.transaction().execute(async (tx) => {
    for (const row of rows) {
      await tx
        .insertInto('field_usage')
        .values({ route: row.route, consumer: row.consumer, path: row.path, count: row.count, first_seen: row.firstSeen, last_seen: row.lastSeen })
        .onConflict((oc) =>
          oc.columns(['route', 'consumer', 'path']).doUpdateSet({
            count: sql`field_usage.count + excluded.count`,
            first_seen: sql`case when excluded.first_seen < field_usage.first_seen then excluded.first_seen else field_usage.first_seen end`,
            last_seen: sql`case when excluded.last_seen > field_usage.last_seen then excluded.last_seen else field_usage.last_seen end`,
          }),
        )
        .execute();
    }
  });
}

/** The usage rows of a route, optionally of one consumer, ordered by path then consumer. */
export async function listFieldUsage(store: OpenedStore, route: string, consumer?: string): Promise<FieldUsageRow[]> {
  let query = store.db.selectFrom('field_usage').selectAll().where('route', '=', route);
  if (consumer !== undefined) query = query.where('consumer', '=', consumer);
  const rows = await query.orderBy('path').orderBy('consumer').execute();
  return rows.map((r) => ({ route: r.route, consumer: r.consumer, path: r.path, count: Number(r.count), firstSeen: Number(r.first_seen), lastSeen: Number(r.last_seen) }));
}

/**
 * The allowed paths with no usage row last seen at or after `since`: candidates to remove from
 * the allowlist. A path never seen at all counts as unused.
 */
export function unusedFields(allowed: readonly string[], rows: readonly FieldUsageRow[], since: number): string[] {
  const used = new Set(rows.filter((r) => r.lastSeen >= since).map((r) => r.path));
  return [...new Set(allowed)].filter((path) => !used.has(path)).sort();
}
