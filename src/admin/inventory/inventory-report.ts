/**
 * The API inventory report (issue 24 §1, docs/inventory.md): the config's routes
 * (config/inventory/route-inventory.ts) with their traffic figures from the store (route_traffic,
 * counted per response by every node and flushed each minute). Shared by the admin API
 * (GET /v1/inventory) and `portcullis inventory --config` (commands/inventory/).
 */
import type { GatewayConfig } from '../../config/schema.js';
import { buildInventory, type InventoryRoute } from '../../config/inventory/route-inventory.js';
import type { OpenedStore } from '../../store/open-store.js';
import { emptySummary, routeTrafficSummary, type RouteTrafficSummary } from '../../store/route-traffic.js';

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
