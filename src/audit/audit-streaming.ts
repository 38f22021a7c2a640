/**
 * The audit trail's moving parts on one gateway process (docs/audit.md#streaming-to-sinks):
 * a deliverer per configured sink (woken by each local commit, polling for other nodes'), the
 * block-mode guard of admin writes, the aggregation of denied admin attempts, the batched
 * data-plane security events, and the `config.applied` record of a start or reload. Opened by
 * the server with the store; closed before it.
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { hostname } from 'node:os';
import type { Writable } from 'node:stream';
import type { Registry } from 'prom-client';
import type { Actor } from '../core/actor.js';
import { SYSTEM_ACTOR } from '../core/actor.js';
import type { Clock } from '../core/clock.js';
import type { AuditSinksSectionConfig } from '../config/audit-sinks-schema.js';
import type { Logger } from '../observability/logger.js';
import type { Outbound } from '../outbound/index.js';
import type { Store } from '../store/store.js';
import { NodeHeartbeat, recordAppliedConfig } from '../store/config-history.js';
import { SinkBlockGuard } from './block-guard.js';
import { ChainSource } from './chain-source.js';
import { DeniedAttempts, type DeniedAggregate, type DeniedAttempt } from './denied-attempts.js';
import { openSink } from './open-sinks.js';
import { SecurityEventQueue, type SecurityEventBatchEntry } from './security-events.js';
import { SinkCursors } from './sink-cursors.js';
import { SinkDeliverer } from './sink-deliverer.js';
import { AuditMetrics } from './sink-metrics.js';

/** How long a process holds a sink's lease without renewing it (each delivery round renews it). */
export const SINK_LEASE_MS = 30_000;

/** This release, as node heartbeats name it. */
const VERSION = (JSON.parse(readFileSync(new URL('../../../package.json', import.meta.url), 'utf8')) as { version: string }).version;

export interface AuditStreamingDeps {
  readonly store: Store;
  readonly outbound: Outbound;
  readonly clock: Clock;
  readonly logger: () => Logger;
  readonly registry: Registry;
  /** This node's name in lease owners and config.applied records (default: the host name). */
  readonly nodeId?: string | undefined;
  readonly stdout?: Writable | undefined;
  /** false in a --workers worker that is not the lead: config.applied is recorded once per node. */
  readonly recordsConfig: boolean;
}

/** What the admin API calls: the block guard before a write, the counter after a 401/403. */
export interface AdminAuditHooks {
  guardWrite(): Promise<void>;
  denied(attempt: DeniedAttempt): void;
}

export class AuditStreaming implements AdminAuditHooks {
  readonly metrics: AuditMetrics;
  readonly guard: SinkBlockGuard;
  readonly securityEvents: SecurityEventQueue;
  readonly #deniedAttempts: DeniedAttempts;
  readonly #deliverers: SinkDeliverer[];
  readonly #nodeId: string;
  /** This node's row in gateway_nodes (issue 22 §3): the config hash it serves, beaten on a timer. */
  readonly #heartbeat: NodeHeartbeat | undefined;
  #unsubscribe: (() => void) | undefined;

  constructor(
    config: AuditSinksSectionConfig,
    private readonly deps: AuditStreamingDeps,
  ) {
    const { store, clock, logger } = deps;
    this.#nodeId = deps.nodeId ?? hostname();
    this.#heartbeat = deps.recordsConfig ? new NodeHeartbeat(store.db, { nodeId: this.#nodeId, version: VERSION, clock, logger }) : undefined;
    this.metrics = new AuditMetrics(deps.registry);
    const cursors = new SinkCursors(store.db);
    const source = new ChainSource(store.db);
    const owner = `${this.#nodeId}:${process.pid}`;
    this.#deliverers = config.sinks.map(
      (sink) =>
        new SinkDeliverer({
          sink: openSink(sink, { outbound: deps.outbound, clock, stdout: deps.stdout ?? process.stdout }),
          onFailure: sink.onFailure,
          cursors,
          source,
          owner,
          clock,
          logger,
          metrics: this.metrics,
          batchSize: sink.batchSize,
          maxBacklogRecords: sink.maxBacklogRecords,
          leaseMs: SINK_LEASE_MS,
          pollIntervalMs: sink.pollIntervalMs,
          retryMinMs: sink.retryMinMs,
          retryMaxMs: Math.max(sink.retryMinMs, sink.retryMaxMs),
        }),
    );
    this.guard = new SinkBlockGuard(cursors, config.sinks.filter((sink) => sink.onFailure === 'block').map((sink) => sink.name));
    this.#deniedAttempts = new DeniedAttempts({
      intervalSeconds: config.deniedAttempts.intervalSeconds,
      maxSourcesPerInterval: config.deniedAttempts.maxSourcesPerInterval,
      clock,
      logger,
      write: (aggregates) => this.#writeDenied(aggregates),
      overflow: () => this.metrics.deniedOverflow.inc(),
    });
    this.securityEvents = new SecurityEventQueue({ flushIntervalMs: config.securityEvents.flushIntervalMs, maxQueued: config.securityEvents.maxQueued, clock, logger, dropped: (events) => this.metrics.securityEventsDropped.inc(events) });
    this.securityEvents.attach((entries) => this.#writeSecurityEvents(entries));
  }

  /** Starts the deliverers (each creates its cursor at the chain's head the first time) and the timers. */
  async start(): Promise<void> {
    for (const deliverer of this.#deliverers) await deliverer.start();
    this.#unsubscribe = this.deps.store.onAuditCommitted(() => {
      for (const deliverer of this.#deliverers) deliverer.nudge();
    });
    this.#deniedAttempts.start();
    this.securityEvents.start();
  }

  guardWrite(): Promise<void> {
    return this.guard.check();
  }

  denied(attempt: DeniedAttempt): void {
    this.#deniedAttempts.note(attempt);
  }

  /** Writes what is counted now (tests; it also happens every interval and at close). */
  async flush(): Promise<void> {
    await this.#deniedAttempts.flush();
    await this.securityEvents.flush();
  }

  /**
   * Records that this node applies `config` (at start and after each successful reload): the
   * SHA-256 of its JSON (secrets appear there only as their references), where it came from, and
   * the node, as the `config.applied` audit record; in the same transaction the config itself and
   * the file as written now go into the config history (issue 22 §3: `portcullis config history`,
   * `show`, `diff`), and this node's heartbeat names the hash. Failure is logged, never fatal: the
   * config is in force either way.
   */
  async configApplied(config: object, source: { readonly kind: 'start' | 'reload'; readonly file?: string | undefined; readonly revision?: number | undefined }): Promise<void> {
    if (!this.deps.recordsConfig) return;
    const json = JSON.stringify(config);
    const configSha256 = createHash('sha256').update(json, 'utf8').digest('hex');
    // The file as written, references and comments included (what `config show` gives back to restore).
    const written = source.file === undefined ? undefined : await readFile(source.file, 'utf8').catch(() => undefined);
    try {
      const detail = { configSha256, trigger: source.kind, ...(source.file === undefined ? {} : { file: source.file }), ...(source.revision === undefined ? {} : { revision: source.revision }), nodeId: this.#nodeId, pid: process.pid };
      await recordAppliedConfig(this.deps.store, SYSTEM_ACTOR, { sha256: configSha256, config: json, source: written, file: source.file, nodeId: this.#nodeId }, { kind: 'node', id: this.#nodeId }, detail);
    } catch (error) {
      this.deps.logger().warn({ event: 'audit.config_record_failed', err: error }, 'the config.applied audit record could not be written');
    }
    await this.#heartbeat?.beat(configSha256);
  }

  async close(): Promise<void> {
    this.#heartbeat?.stop();
    this.#unsubscribe?.();
    await this.#deniedAttempts.stop().catch(() => {});
    await this.securityEvents.stop().catch(() => {});
    await Promise.all(this.#deliverers.map((deliverer) => deliverer.stop()));
  }

  /** One record per (source, reason, principal) of the interval, `outcome: denied`. */
  async #writeDenied(aggregates: readonly DeniedAggregate[]): Promise<void> {
    for (const aggregate of aggregates) {
      // A 401 has no principal: the admin API itself is the target and the record names the source.
      const actor: Actor = aggregate.principal ? { kind: aggregate.principal.kind, id: aggregate.principal.id, ip: aggregate.sourceIp } : { kind: 'system', id: 'unauthenticated', ip: aggregate.sourceIp };
      await this.deps.store.audit(actor, 'admin.auth_denied', { kind: 'admin_api', id: aggregate.reason }, {
        outcome: 'denied',
        detail: { reason: aggregate.reason, count: aggregate.count, firstAt: new Date(aggregate.firstAt).toISOString(), lastAt: new Date(aggregate.lastAt).toISOString(), intervalStart: new Date(aggregate.intervalStart).toISOString(), intervalSeconds: aggregate.intervalSeconds },
      });
    }
  }

  async #writeSecurityEvents(entries: readonly SecurityEventBatchEntry[]): Promise<void> {
    for (const { event, count, firstAt, lastAt } of entries) {
      const actor: Actor = { kind: 'data-plane', id: 'client', ip: event.clientIp, ...(event.requestId === undefined ? {} : { requestId: event.requestId }) };
      const detail = { count, firstAt: new Date(firstAt).toISOString(), lastAt: new Date(lastAt).toISOString() };
      if (event.kind === 'api_key.used_after_revocation') await this.deps.store.audit(actor, 'api_key.used_after_revocation', { kind: 'api_key', id: event.subject ?? 'unknown' }, { outcome: 'denied', detail });
      else await this.deps.store.audit(actor, 'security.client_blocked', { kind: 'client_ip', id: event.clientIp }, { outcome: 'denied', detail: { ...detail, scope: event.subject ?? 'data' } });
    }
  }
}
