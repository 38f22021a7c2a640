/**
 * Route traffic for the API inventory (issue 24 §1, §3, docs/inventory.md): per route, consumer and
 * hour, how many responses and how many of them failed. Counted in memory on the hot path (no
 * store query per request) and added to `route_traffic` every `flushMs` and at shutdown (an
 * upsert), so several nodes and `--workers` processes add up. Like field usage
 * (store/field-usage.ts) these are counters, not entity changes: written without
 * store.write/recordChange, never in the change feed or the audit trail. Rows older than
 * RETENTION_HOURS are removed at a flush: the inventory looks back 30 days.
 */
import { sql } from 'kysely';
import type { RouteTrafficRecorder } from '../core/services.js';
import type { Logger } from '../observability/logger.js';
import type { OpenedStore } from './open-store.js';
import { BatchedCounters } from './batched-counters.js';

export const HOUR_MS = 3_600_000;
/** 31 days: the 30-day figures need whole hours of the oldest day. */
export const RETENTION_HOURS = 31 * 24;

export interface RouteTrafficRow {
  readonly route: string;
  readonly consumer: string;
  /** Epoch hour: floor(ms / 3 600 000). */
  readonly hour: number;
  readonly requests: number;
  readonly errors: number;
  /** Epoch ms of the last response counted. */
  readonly lastSeen: number;
}

interface Pending {
  requests: number;
  errors: number;
  lastSeen: number;
}

/** The separator of the in-memory key: a NUL never appears in a route name or consumer id. */
const SEP = '\u0000';

export class RouteTrafficCounters extends BatchedCounters<Pending> implements RouteTrafficRecorder {
  /** The hour of the last prune: old rows are removed at the first flush of each hour. */
  #prunedHour = 0;

  constructor(
    private readonly store: OpenedStore,
    private readonly options: { readonly flushMs: number; readonly logger: () => Logger; readonly now: () => number },
  ) {
    super(options.flushMs);
  }

  record(route: string, consumer: string, failed: boolean, now: number): void {
    this.count(route + SEP + consumer + SEP + Math.floor(now / HOUR_MS), () => ({ requests: 1, errors: failed ? 1 : 0, lastSeen: now }), (entry) => {
      entry.requests += 1;
      if (failed) entry.errors += 1;
      if (now > entry.lastSeen) entry.lastSeen = now;
    });
  }

  protected override due(): boolean {
    return Math.floor(this.options.now() / HOUR_MS) !== this.#prunedHour;
  }

  protected async write(batch: ReadonlyMap<string, Pending>): Promise<void> {
    const hour = Math.floor(this.options.now() / HOUR_MS);
    const rows = [...batch].map(([key, entry]) => {
      const [route, consumer, bucket] = key.split(SEP) as [string, string, string];
      return { route, consumer, hour: Number(bucket), ...entry };
    });
    await addRouteTraffic(this.store, rows, hour !== this.#prunedHour ? hour - RETENTION_HOURS : undefined);
    this.#prunedHour = hour;
  }

  protected merge(kept: Pending, entry: Pending): Pending {
    return { requests: kept.requests + entry.requests, errors: kept.errors + entry.errors, lastSeen: Math.max(kept.lastSeen, entry.lastSeen) };
  }

  protected failed(rows: number, error: unknown): void {
    this.options.logger().warn({ event: 'inventory.traffic_flush_failed', rows, err: error }, 'could not write route traffic counts; will retry');
  }
}

/** Adds counts to `route_traffic` (one transaction, no recordChange), and removes hours before `pruneBefore`. */
export async function addRouteTraffic(store: OpenedStore, rows: readonly RouteTrafficRow[], pruneBefore?: number): Promise<void> {
  await store.db.transaction().execute(async (tx) => {
    for (const row of rows) {
      await tx
        .insertInto('route_traffic')
        .values({ route: row.route, consumer: row.consumer, hour: row.hour, requests: row.requests, errors: row.errors, last_seen: row.lastSeen })
        .onConflict((oc) =>
          oc.columns(['route', 'consumer', 'hour']).doUpdateSet({
            requests: sql`route_traffic.requests + excluded.requests`,
            errors: sql`route_traffic.errors + excluded.errors`,
            last_seen: sql`case when excluded.last_seen > route_traffic.last_seen then excluded.last_seen else route_traffic.last_seen end`,
          }),
        )
        .execute();
    }
    if (pruneBefore !== undefined) await tx.deleteFrom('route_traffic').where('hour', '<', pruneBefore).execute();
  });
}

/** Traffic of one route over a window. `consumers` counts identified consumers (not `-`). */
export interface TrafficFigures {
  readonly requests: number;
  readonly errors: number;
  readonly consumers: number;
}

export interface RouteTrafficSummary {
  readonly last24h: TrafficFigures;
  readonly last30d: TrafficFigures;
}

const EMPTY: TrafficFigures = { requests: 0, errors: 0, consumers: 0 };

/**
 * Per route, the figures of the 24 and 30 days before `now`, by whole hours (the current hour
 * included): a route with no row has zeros.
 */
export async function routeTrafficSummary(store: Pick<OpenedStore, 'db'>, now: number): Promise<Map<string, RouteTrafficSummary>> {
  const hour = Math.floor(now / HOUR_MS);
  const rows = await store.db.selectFrom('route_traffic').select(['route', 'consumer', 'hour', 'requests', 'errors']).where('hour', '>', hour - 30 * 24).execute();
  const figures = new Map<string, { d1: { requests: number; errors: number; consumers: Set<string> }; d30: { requests: number; errors: number; consumers: Set<string> } }>();
  for (const row of rows) {
    let entry = figures.get(row.route);
    if (!entry) figures.set(row.route, (entry = { d1: { requests: 0, errors: 0, consumers: new Set() }, d30: { requests: 0, errors: 0, consumers: new Set() } }));
    const windows = Number(row.hour) > hour - 24 ? [entry.d1, entry.d30] : [entry.d30];
    for (const window of windows) {
      window.requests += Number(row.requests);
      window.errors += Number(row.errors);
      if (row.consumer !== '-') window.consumers.add(row.consumer);
    }
  }
  const result = new Map<string, RouteTrafficSummary>();
  for (const [route, { d1, d30 }] of figures) {
    result.set(route, { last24h: { requests: d1.requests, errors: d1.errors, consumers: d1.consumers.size }, last30d: { requests: d30.requests, errors: d30.errors, consumers: d30.consumers.size } });
  }
  return result;
}

export function emptySummary(): RouteTrafficSummary {
  return { last24h: EMPTY, last30d: EMPTY };
}

/** Calls of `routes` by consumer within the 30 days before `now`: requests and the last call, busiest first. */
export interface ConsumerUsage {
  readonly route: string;
  readonly consumer: string;
  readonly requests: number;
  readonly lastSeen: number;
}

export async function usageByConsumer(store: Pick<OpenedStore, 'db'>, routes: readonly string[], now: number): Promise<ConsumerUsage[]> {
  if (routes.length === 0) return [];
  const hour = Math.floor(now / HOUR_MS);
  const rows = await store.db
    .selectFrom('route_traffic')
    .select(['route', 'consumer'])
    .select((eb) => [eb.fn.sum<number>('requests').as('requests'), eb.fn.max<number>('last_seen').as('last_seen')])
    .where('route', 'in', [...routes])
    .where('hour', '>', hour - 30 * 24)
    .groupBy(['route', 'consumer'])
    .execute();
  return rows
    .map((row) => ({ route: row.route, consumer: row.consumer, requests: Number(row.requests), lastSeen: Number(row.last_seen) }))
    .sort((a, b) => a.route.localeCompare(b.route) || b.requests - a.requests || a.consumer.localeCompare(b.consumer));
}

/** One consumer's calls of one route: requests and errors of the 24 h and 30 days before `now`, and its last call (epoch ms). */
export interface ConsumerRouteTraffic {
  readonly route: string;
  readonly last24h: { requests: number; errors: number };
  readonly last30d: { requests: number; errors: number };
  readonly lastSeen: number;
}

/** Per route, the calls of `consumer` (a consumer id) by whole hours (the current hour included), busiest first over 30 days. */
export async function consumerTraffic(store: Pick<OpenedStore, 'db'>, consumer: string, now: number): Promise<ConsumerRouteTraffic[]> {
  const hour = Math.floor(now / HOUR_MS);
  const rows = await store.db.selectFrom('route_traffic').select(['route', 'hour', 'requests', 'errors', 'last_seen']).where('consumer', '=', consumer).where('hour', '>', hour - 30 * 24).execute();
  const routes = new Map<string, { last24h: { requests: number; errors: number }; last30d: { requests: number; errors: number }; lastSeen: number }>();
  for (const row of rows) {
    let entry = routes.get(row.route);
    if (!entry) routes.set(row.route, (entry = { last24h: { requests: 0, errors: 0 }, last30d: { requests: 0, errors: 0 }, lastSeen: 0 }));
    for (const window of Number(row.hour) > hour - 24 ? [entry.last24h, entry.last30d] : [entry.last30d]) {
      window.requests += Number(row.requests);
      window.errors += Number(row.errors);
    }
    entry.lastSeen = Math.max(entry.lastSeen, Number(row.last_seen));
  }
  return [...routes].map(([route, figures]) => ({ route, ...figures })).sort((a, b) => b.last30d.requests - a.last30d.requests || a.route.localeCompare(b.route));
}

/** One consumer's calls over every route in the 24 h before `now`: errors are 5xx (or no answer), as counted. */
export interface ConsumerErrorFigures {
  readonly consumer: string;
  readonly requests: number;
  readonly errors: number;
  readonly lastSeen: number;
}

/**
 * The consumers whose calls failed most in the 24 h before `now` (one grouped query over the
 * counters, never the data plane's path): those with at least one error, most errors first, then
 * by consumer id; requests without a consumer (`-`) are left out. At most `limit` of them.
 */
export async function failingConsumers(store: Pick<OpenedStore, 'db'>, now: number, limit: number): Promise<ConsumerErrorFigures[]> {
  const hour = Math.floor(now / HOUR_MS);
  const rows = await store.db
    .selectFrom('route_traffic')
    .select(['consumer'])
    .select((eb) => [eb.fn.sum<number>('requests').as('requests'), eb.fn.sum<number>('errors').as('errors'), eb.fn.max<number>('last_seen').as('last_seen')])
    .where('hour', '>', hour - 24)
    .where('consumer', '!=', '-')
    .groupBy('consumer')
    .execute();
  return rows
    .map((row) => ({ consumer: row.consumer, requests: Number(row.requests), errors: Number(row.errors), lastSeen: Number(row.last_seen) }))
    .filter((row) => row.errors > 0)
    .sort((a, b) => b.errors - a.errors || a.consumer.localeCompare(b.consumer))
    .slice(0, limit);
}
