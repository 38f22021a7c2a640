/**
 * This node's identity: the `node` label of its alerts, the alert delivery lease's owner, tracing's
 * `service.instance.id` and the audit trail's node (heartbeats, config.applied). The host name
 * alone is not enough: two gateways on one host (two processes on distinct ports sharing one
 * PostgreSQL) would alert as one node and overwrite each other's heartbeat. So the default is
 * `<host name>:<port>`, the port a node is reached on for administration (the admin listener's, or
 * the first listener's when it is off): two nodes on a host bind distinct ports, unless each binds
 * the same port on its own address, or containers on the host network share a host name. Those
 * set `nodeId` (docs/alerts.md#delivery). Read at start: a reload that changes it asks for a restart.
 */
import { hostname } from 'node:os';
import type { GatewayConfig } from '../config/schema.js';

export interface NodeIdentityOptions {
  readonly host?: string;
  /**
   * The node's main process id, standing in when the port is 0 (picked at bind time, as in
   * tests): a `--workers N` worker passes its primary's, so every worker of a node says the same.
   */
  readonly pid?: number;
}

export function nodeIdentity(config: Pick<GatewayConfig, 'nodeId' | 'admin' | 'listeners'>, options: NodeIdentityOptions = {}): string {
  if (config.nodeId !== undefined) return config.nodeId;
  const port = config.admin.enabled ? config.admin.port : config.listeners[0]?.port;
  return `${options.host ?? hostname()}:${port || (options.pid ?? process.pid)}`;
}

/**
 * Tracing's `service.instance.id`: unique per process, as the OpenTelemetry semantic conventions
 * want it (service.instance.id "MUST be unique for each instance of the same
 * service.namespace,service.name pair"), so each `--workers N` worker adds its slot to its node's
 * name: `gw-east:9901/worker-2`. One process: the node's name.
 */
export function serviceInstanceId(node: string, workerSlot: string | undefined): string {
  return workerSlot ? `${node}/worker-${workerSlot}` : node;
}
