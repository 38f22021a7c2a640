/**
 * Tables of the API inventory (issue 24, migration 0032): counters, not entities, so never in the
 * change feed or the audit trail (store/route-traffic.ts says why).
 */

/** Responses of a route per consumer and hour (epoch hour = floor(ms / 3 600 000)). */
export interface RouteTrafficTable {
  route: string;
  consumer: string;
  hour: number;
  requests: number;
  errors: number;
  last_seen: number;
}

/**
 * Requests that reached a route bound to a whole contract but matched none of its operations,
 * by method and path template (never the raw path: it may hold identifiers or personal data).
 */
export interface RouteUnmatchedTable {
  route: string;
  method: string;
  template: string;
  count: number;
  first_seen: number;
  last_seen: number;
}

export interface InventoryTables {
  route_traffic: RouteTrafficTable;
  route_unmatched: RouteUnmatchedTable;
}
