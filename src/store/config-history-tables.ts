/** The tables of the config history and node heartbeats (migration 0024; config-history.ts uses them). */

export interface ConfigHistoryTable {
  /** SHA-256 (hex) of the applied config's JSON: the `configSha256` of its config.applied records. */
  sha256: string;
  /** The config as applied, JSON (defaults filled, paths absolute, secrets as references). */
  config: string;
  /** The file as written when it was applied (null when it was not read from a file). */
  source: string | null;
  file: string | null;
  first_applied_at: number;
  last_applied_at: number;
  /** The node that applied it first. */
  first_node: string;
}

export interface GatewayNodesTable {
  node_id: string;
  version: string;
  config_sha256: string;
  pid: number;
  started_at: number;
  last_seen: number;
}

export interface ConfigHistoryTables {
  config_history: ConfigHistoryTable;
  gateway_nodes: GatewayNodesTable;
}
