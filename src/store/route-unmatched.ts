/**
 * Requests that reached a route bound to a whole contract but matched none of its operations
 * (issue 24 §2, docs/inventory.md#shadow-and-zombie-apis): by route, method and path template
 * (config/inventory/shadow.ts: never the raw path), counted in memory and added to
 * `route_unmatched` every minute and at shutdown, like route traffic (store/route-traffic.ts).
 */
import { sql } from 'kysely';
import type { RouteUnmatchedRecorder } from '../core/services.js';
import type { Logger } from '../observability/logger.js';
import type { OpenedStore } from './open-store.js';
import { BatchedCounters, seenCount, type SeenCount } from './batched-counters.js';

export interface UnmatchedRow {
  readonly route: string;
  readonly method: string;
  readonly template: string;
  readonly count: number;
  readonly firstSeen: number;
  readonly lastSeen: number;
}

type Pending = SeenCount;

const SEP = '\u0000';

export class RouteUnmatchedCounters extends BatchedCounters<Pending> implements RouteUnmatchedRecorder {
  constructor(
    private readonly store: OpenedStore,
    private readonly options: { readonly flushMs: number; readonly logger: () => Logger },
  ) {
    super(options.flushMs);
  }

  record(route: string, method: string, template: string, now: number): void {
    this.count(route + SEP + method + SEP + template, () => seenCount.first(now), (entry) => seenCount.again(entry, now));
  }

  protected write(batch: ReadonlyMap<string, Pending>): Promise<void> {
    return addUnmatched(this.store, [...batch].map(([key, entry]) => {
      const [route, method, template] = key.split(SEP) as [string, string, string];
      return { route, method, template, ...entry };
    }));
  }

  protected merge(kept: Pending, entry: Pending): Pending {
    return seenCount.merge(kept, entry);
  }

  protected failed(rows: number, error: unknown): void {
    this.options.logger().warn({ event: 'inventory.traffic_flush_failed', rows, err: error }, 'could not write unmatched-request counts; will retry');
  }
}

export async function addUnmatched(store: OpenedStore, rows: readonly UnmatchedRow[]): Promise<void> {
  await store.db.transaction().execute(async (tx) => {
    for (const row of rows) {
      await tx
        .insertInto('route_unmatched')
        .values({ route: row.route, method: row.method, template: row.template, count: row.count, first_seen: row.firstSeen, last_seen: row.lastSeen })
        .onConflict((oc) =>
          oc.columns(['route', 'method', 'template']).doUpdateSet({
            count: sql`route_unmatched.count + excluded.count`,
            first_seen: sql`case when excluded.first_seen < route_unmatched.first_seen then excluded.first_seen else route_unmatched.first_seen end`,
            last_seen: sql`case when excluded.last_seen > route_unmatched.last_seen then excluded.last_seen else route_unmatched.last_seen end`,
          }),
        )
        .execute();
    }
  });
}

/** Every unmatched template last seen at or after `since`, most counted first. */
export async function listUnmatched(store: Pick<OpenedStore, 'db'>, since: number): Promise<UnmatchedRow[]> {
  const rows = await store.db.selectFrom('route_unmatched').selectAll().where('last_seen', '>=', since).execute();
  return rows
    .map((r) => ({ route: r.route, method: r.method, template: r.template, count: Number(r.count), firstSeen: Number(r.first_seen), lastSeen: Number(r.last_seen) }))
    .sort((a, b) => b.count - a.count || a.route.localeCompare(b.route) || a.template.localeCompare(b.template) || a.method.localeCompare(b.method));
}
