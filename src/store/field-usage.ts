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

export interface FieldUsageRow {
  readonly route: string;
  readonly consumer: string;
  readonly path: string;
  readonly count: number;
  readonly firstSeen: number;
  readonly lastSeen: number;
}

interface Pending {
  count: number;
  firstSeen: number;
  lastSeen: number;
}

/** The separator of the in-memory key: a NUL never appears in a route name, consumer id or pointer we count. */
const SEP = '\u0000';

export class FieldUsageCounters implements FieldUsageRecorder {
  #pending = new Map<string, Pending>();
  #timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly store: OpenedStore,
    private readonly options: { readonly flushMs: number; readonly logger: () => Logger },
  ) {}

  record(route: string, consumer: string, paths: Iterable<string>, now: number): void {
    for (const path of paths) {
      const key = route + SEP + consumer + SEP + path;
      const entry = this.#pending.get(key);
      if (entry === undefined) this.#pending.set(key, { count: 1, firstSeen: now, lastSeen: now });
      else {
        entry.count += 1;
        if (now > entry.lastSeen) entry.lastSeen = now;
      }
    }
  }

  /** Counts not yet written (for tests and the shutdown log). */
  get pendingSize(): number {
    return this.#pending.size;
  }

  start(): void {
    this.#timer ??= setInterval(() => void this.flush(), this.options.flushMs);
    this.#timer.unref();
  }

  /** Stops the timer and writes what is left (shutdown). */
  async stop(): Promise<void> {
    if (this.#timer) clearInterval(this.#timer);
    this.#timer = undefined;
    await this.flush();
  }

  /** Adds the pending counts to the store in one transaction; on failure keeps them for the next flush. */
  async flush(): Promise<void> {
    if (this.#pending.size === 0) return;
    const batch = this.#pending;
    this.#pending = new Map();
    try {
      await addFieldUsage(this.store, [...batch].map(([key, entry]) => {
        const [route, consumer, path] = key.split(SEP) as [string, string, string];
        return { route, consumer, path, ...entry };
      }));
    } catch (error) {
      // Merge back rather than lose the evidence.
      for (const [key, entry] of batch) {
        const kept = this.#pending.get(key);
        if (kept === undefined) this.#pending.set(key, entry);
        else this.#pending.set(key, { count: kept.count + entry.count, firstSeen: Math.min(kept.firstSeen, entry.firstSeen), lastSeen: Math.max(kept.lastSeen, entry.lastSeen) });
      }
      this.options.logger().warn({ event: 'fields.usage_flush_failed', rows: batch.size, err: error }, 'could not write field-usage counts; will retry');
    }
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
