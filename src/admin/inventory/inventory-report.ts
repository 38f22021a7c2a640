/**
 * The API inventory report (issue 24 §1, docs/inventory.md): the config's routes
 * (config/inventory/route-inventory.ts) with their traffic figures from the store (route_traffic,
 * counted per response by every node and flushed each minute). Shared by the admin API
 * (GET /v1/inventory) and `portcullis inventory --config` (commands/inventory/).
 */
import type { GatewayConfig } from '../../config/schema.js';
import { buildInventory, type InventoryRoute } from '../../config/inventory/route-inventory.js';
import type { OpenedStore } from '../../store/open-store.js';
import { emptySummary, routeTrafficSummary, usageByConsumer, type RouteTrafficSummary } from '../../store/route-traffic.js';
import { listUnmatched } from '../../store/route-unmatched.js';
import { configShadow, type ConfigShadow } from '../../config/inventory/shadow.js';

export interface InventoryEntry extends InventoryRoute {
  /** Null when no store was read (an inventory from the config file alone). */
  readonly traffic: RouteTrafficSummary | null;
}

export interface InventoryReport {
  readonly routes: readonly InventoryEntry[];
}

export interface InventoryReportOptions {
  readonly baseDir: string | undefined;
  readonly now: number;
  /** The store to read traffic from; undefined: no figures. */
  readonly store?: Pick<OpenedStore, 'db'> | undefined;
}

export async function inventoryReport(config: GatewayConfig, options: InventoryReportOptions): Promise<InventoryReport> {
  const routes = buildInventory(config, { baseDir: options.baseDir, now: options.now });
  const traffic = options.store ? await routeTrafficSummary(options.store, options.now) : undefined;
  return { routes: routes.map((route) => ({ ...route, traffic: traffic ? (traffic.get(route.name) ?? emptySummary()) : null })) };
}

const THIRTY_DAYS_MS = 30 * 86_400_000;

export interface ShadowReport extends ConfigShadow {
  /** Requests on whole-contract routes that matched no operation in the last 30 days; null without a store. */
  readonly unmatched: readonly UnmatchedView[] | null;
}

export interface UnmatchedView {
  readonly route: string;
  readonly method: string;
  readonly template: string;
  readonly count: number;
  readonly firstSeen: string;
  readonly lastSeen: string;
}

/** What no contract covers, what no route serves, and what clients asked for that the contract does not have. */
export async function shadowReport(config: GatewayConfig, options: InventoryReportOptions): Promise<ShadowReport> {
  const shadow = configShadow(config, options.baseDir);
  const rows = options.store ? await listUnmatched(options.store, options.now - THIRTY_DAYS_MS) : undefined;
  return { ...shadow, unmatched: rows ? rows.map((row) => ({ route: row.route, method: row.method, template: row.template, count: row.count, firstSeen: new Date(row.firstSeen).toISOString(), lastSeen: new Date(row.lastSeen).toISOString() })) : null };
}

export interface DeprecatedRouteUsage {
  readonly route: string;
  readonly state: string;
  readonly deprecated: string | null;
  readonly sunset: string | null;
  readonly successor: string | null;
  /** Callers in the last 30 days, busiest first (`-`: no identified consumer); null without a store. */
  readonly consumers: ReadonlyArray<{ readonly consumer: string; readonly requests: number; readonly lastSeen: string }> | null;
}

/** Every deprecated, announced or sunset route and who still calls it (30 days). */
export async function deprecatedReport(config: GatewayConfig, options: InventoryReportOptions): Promise<{ routes: DeprecatedRouteUsage[] }> {
  const routes = buildInventory(config, { baseDir: options.baseDir, now: options.now }).filter((route) => route.lifecycle.state !== 'active');
  const usage = options.store ? await usageByConsumer(options.store, routes.map((route) => route.name), options.now) : undefined;
  return {
    routes: routes.map((route) => ({
      route: route.name,
      ...route.lifecycle,
      consumers: usage ? usage.filter((row) => row.route === route.name).map((row) => ({ consumer: row.consumer, requests: row.requests, lastSeen: new Date(row.lastSeen).toISOString() })) : null,
    })),
  };
}
