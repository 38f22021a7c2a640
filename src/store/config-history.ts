/**
 * The rollback plan's memory (issue 22 §3, docs/preflight.md#rollback-plan): every config a node
 * applied, kept once per SHA-256 with the config as loaded (secrets appear only as their
 * references: SecretValue's JSON) and the file as written, recorded in the same transaction as the
 * `config.applied` audit record; and one heartbeat row per node (its id, version, the hash of the
 * config it serves, when it was last seen), upserted on a timer, never per request. Heartbeats are
 * counters of liveness, not entity changes: like field_usage they bypass the change feed and the
 * audit trail (a node beating every 15 s would otherwise add an audit record each time).
 */
import type { Actor } from '../core/actor.js';
import type { Clock } from '../core/clock.js';
import type { Logger } from '../observability/logger.js';
import { appendAuditRecord } from './audit-chain.js';
import type { AuditTarget } from './audit-record.js';
import type { Db } from './repositories.js';
import type { Store } from './store.js';

export type { ConfigHistoryTables } from './config-history-tables.js';

/** How often a node writes its heartbeat; a node unseen for three beats counts as gone. */
export const HEARTBEAT_INTERVAL_MS = 15_000;
export const NODE_GONE_AFTER_MS = 3 * HEARTBEAT_INTERVAL_MS;

export interface AppliedConfig {
  readonly sha256: string;
  readonly config: string;
  readonly source: string | undefined;
  readonly file: string | undefined;
  readonly nodeId: string;
}

/**
 * Keeps `applied` in the history (a config applied again only moves its last_applied_at) and
 * appends its `config.applied` audit record (`detail`), in one transaction: both or neither.
 */
export async function recordAppliedConfig(store: Store, actor: Actor, applied: AppliedConfig, target: AuditTarget, detail: Record<string, unknown>): Promise<void> {
  await store.write(actor, 'config.applied', async (tx) => {
    const known = await tx.db.selectFrom('config_history').select('sha256').where('sha256', '=', applied.sha256).executeTakeFirst();
    if (known) await tx.db.updateTable('config_history').set({ last_applied_at: tx.now }).where('sha256', '=', applied.sha256).execute();
    else await tx.db.insertInto('config_history').values({ sha256: applied.sha256, config: applied.config, source: applied.source ?? null, file: applied.file ?? null, first_applied_at: tx.now, last_applied_at: tx.now, first_node: applied.nodeId }).execute();
    await appendAuditRecord(tx, { action: 'config.applied', target, detail: { detail } });
  });
}

export interface ConfigHistoryEntry {
  readonly sha256: string;
  readonly file: string | null;
  readonly firstAppliedAt: number;
  readonly lastAppliedAt: number;
  readonly firstNode: string;
}

/** The history, the most recently applied first. */
export async function listConfigHistory(db: Db, limit = 50): Promise<ConfigHistoryEntry[]> {
  const rows = await db.selectFrom('config_history').select(['sha256', 'file', 'first_applied_at', 'last_applied_at', 'first_node']).orderBy('last_applied_at', 'desc').orderBy('sha256').limit(limit).execute();
  return rows.map((row) => ({ sha256: row.sha256, file: row.file, firstAppliedAt: Number(row.first_applied_at), lastAppliedAt: Number(row.last_applied_at), firstNode: row.first_node }));
}

/** One stored config by its hash or a prefix of it (at least 7 hex digits); undefined when none or several match. */
export async function findConfig(db: Db, hash: string): Promise<{ sha256: string; config: string; source: string | null; file: string | null } | undefined> {
  if (!/^[0-9a-f]{7,64}$/.test(hash)) return undefined;
  const rows = await db.selectFrom('config_history').select(['sha256', 'config', 'source', 'file']).where('sha256', 'like', `${hash}%`).limit(2).execute();
  return rows.length === 1 ? rows[0] : undefined;
}

export interface NodeRow {
  readonly nodeId: string;
  readonly version: string;
  readonly configSha256: string;
  readonly pid: number;
  readonly startedAt: number;
  readonly lastSeen: number;
}

/** Nodes seen within NODE_GONE_AFTER_MS of `now`. */
export async function liveNodes(db: Db, now: number): Promise<NodeRow[]> {
  const rows = await db.selectFrom('gateway_nodes').selectAll().where('last_seen', '>=', now - NODE_GONE_AFTER_MS).orderBy('node_id').execute();
  return rows.map((row) => ({ nodeId: row.node_id, version: row.version, configSha256: row.config_sha256, pid: Number(row.pid), startedAt: Number(row.started_at), lastSeen: Number(row.last_seen) }));
}

/**
 * This node's heartbeat: `beat(sha256)` when a config is applied (at once), then every
 * HEARTBEAT_INTERVAL_MS on an unref'd timer until `stop()`. A failed write is logged at most once
 * per outage (`store.heartbeat_failed`); the next beat tries again.
 */
export class NodeHeartbeat {
  #timer: NodeJS.Timeout | undefined;
  #sha256: string | undefined;
  #failing = false;
  readonly #startedAt: number;

  constructor(
    private readonly db: Db,
    private readonly options: { readonly nodeId: string; readonly version: string; readonly clock: Clock; readonly logger: () => Logger; readonly intervalMs?: number },
  ) {
    this.#startedAt = options.clock.now();
  }

  /** Records that this node serves `sha256` now, and keeps beating. */
  async beat(sha256?: string): Promise<void> {
    if (sha256 !== undefined) this.#sha256 = sha256;
    if (this.#sha256 === undefined) return;
    this.#timer ??= setInterval(() => void this.beat(), this.options.intervalMs ?? HEARTBEAT_INTERVAL_MS).unref();
    const now = this.options.clock.now();
    const row = { node_id: this.options.nodeId, version: this.options.version, config_sha256: this.#sha256, pid: process.pid, started_at: this.#startedAt, last_seen: now };
    try {
      await this.db
        .insertInto('gateway_nodes')
        .values(row)
        .onConflict((conflict) => conflict.column('node_id').doUpdateSet({ version: row.version, config_sha256: row.config_sha256, pid: row.pid, started_at: row.started_at, last_seen: row.last_seen }))
        .execute();
      this.#failing = false;
    } catch (error) {
      if (!this.#failing) this.options.logger().warn({ event: 'store.heartbeat_failed', err: error }, 'the node heartbeat could not be written');
      this.#failing = true;
    }
  }

  stop(): void {
    clearInterval(this.#timer);
    this.#timer = undefined;
  }
}
