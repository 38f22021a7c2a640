/**
 * Streams the committed audit chain to one sink, in `seq` order, at least once: read the records
 * after the sink's cursor, hand them to the sink, move the cursor; on failure keep the cursor,
 * mark the sink failing (the `block` guard of every node reads that), log `audit.sink_failing`
 * once per outage, count, and try again with a growing back-off. Because the cursor is a `seq` of
 * the chain in the store, the "buffer" is the chain itself: a restart or a takeover by another node
 * resumes where delivery stopped.
 *
 * One process delivers to a sink at a time, across workers and nodes: each loop takes or renews the
 * sink's lease in the store (sink-cursors.ts) and only the holder sends. The others keep asking, so
 * one takes over within a lease period when the holder dies.
 *
 * `buffer` mode is bounded by `maxBacklogRecords`: when the sink falls further behind, the oldest
 * undelivered records are skipped for this sink (logged `audit.sink_records_skipped` with the
 * range, counted); they stay in the chain and in `audit export`. `block` mode never skips.
 */
import type { Clock } from '../core/clock.js';
import type { Logger } from '../observability/logger.js';
import { isStoreFailure } from '../store/store-failure.js';
import type { SinkCursors } from './sink-cursors.js';
import { PartialDeliveryError, type AuditSink, type SinkRecord } from './sinks/sink.js';

/** Where the deliverer reads committed records: audit-core's chain in the store. */
export interface AuditRecordSource {
  /** Committed records with `seq > after`, ascending, at most `limit`. */
  readAfter(after: number, limit: number): Promise<SinkRecord[]>;
  /** The highest committed seq (0 for an empty chain). */
  headSeq(): Promise<number>;
}

/** What a deliverer reports; the gateway maps it to Prometheus metrics (sink-metrics.ts). */
export interface SinkMetrics {
  delivered(sink: string, records: number): void;
  failed(sink: string): void;
  skipped(sink: string, records: number): void;
  up(sink: string, up: boolean): void;
  backlog(sink: string, records: number): void;
}

export type SinkFailureMode = 'block' | 'buffer';

export interface SinkDelivererOptions {
  readonly sink: AuditSink;
  readonly onFailure: SinkFailureMode;
  readonly cursors: SinkCursors;
  readonly source: AuditRecordSource;
  /** This process's lease-owner name: node id and pid. */
  readonly owner: string;
  readonly clock: Clock;
  readonly logger: () => Logger;
  readonly metrics: SinkMetrics;
  readonly batchSize: number;
  readonly maxBacklogRecords: number;
  readonly leaseMs: number;
  /** How often a process looks for new records (and for the lease) without a nudge. */
  readonly pollIntervalMs: number;
  readonly retryMinMs: number;
  readonly retryMaxMs: number;
}

/** A short, secret-free reason for the log and the cursor row. */
export function failureReason(error: unknown): string {
  const cause = error instanceof PartialDeliveryError ? error.cause : error;
  if (cause && typeof cause === 'object') {
    const { code, status, name } = cause as { code?: unknown; status?: unknown; name?: unknown };
    if (typeof status === 'number') return `status ${status}`;
    if (typeof code === 'string') return code;
    if (typeof name === 'string') return name;
  }
  return 'failed';
}

export class SinkDeliverer {
  #running = false;
  #wake: (() => void) | undefined;
  #timer: NodeJS.Timeout | undefined;
  #loop: Promise<void> | undefined;
  #holding = false;
  #failing = false;
  #retryMs: number;
  #nudged = false;

  constructor(private readonly options: SinkDelivererOptions) {
    this.#retryMs = options.retryMinMs;
  }

  get name(): string {
    return this.options.sink.name;
  }

  /** Whether this process delivers to the sink now. */
  get holdsLease(): boolean {
    return this.#holding;
  }

  /** Creates the sink's cursor at the chain's head unless it has one, then delivers until stopped. */
  async start(): Promise<void> {
    const { cursors, source, clock } = this.options;
    await cursors.ensure(this.name, await source.headSeq(), clock.now());
    this.#running = true;
    this.#loop = this.#run();
  }

  /** New records committed (an after-commit hook): look now rather than at the next poll. */
  nudge(): void {
    this.#nudged = true;
    // A failing sink keeps its back-off: a burst of writes must not turn into a burst of retries.
    if (!this.#failing) this.#wake?.();
  }

  /** Stops after the batch in hand, and gives the lease up for another process to take. */
  async stop(): Promise<void> {
    this.#running = false;
    this.#wake?.();
    await this.#loop;
    if (this.#holding) await this.options.cursors.release(this.name, this.options.owner).catch(() => {});
    this.#holding = false;
    await this.options.sink.close().catch(() => {});
  }

  async #run(): Promise<void> {
    while (this.#running) {
      let waitMs = this.options.pollIntervalMs;
      try {
        waitMs = await this.#step();
      } catch (error) {
        // The store failed (its own outage is logged by the store's health): try again later.
        if (!isStoreFailure(error)) this.options.logger().error({ event: 'audit.sink_deliverer_failed', sink: this.name, err: error }, 'audit sink deliverer: unexpected error');
      }
      if (waitMs > 0) await this.#sleep(waitMs);
    }
  }

  /** One round; returns how long to wait before the next (0: go on at once). */
  async #step(): Promise<number> {
    const { cursors, source, clock, owner, logger, metrics } = this.options;
    this.#nudged = false;
    const held = await cursors.acquire(this.name, owner, clock.now(), this.options.leaseMs);
    if (!held) {
      if (this.#holding) logger().warn({ event: 'audit.sink_lease_lost', sink: this.name }, 'audit sink: another process delivers to it now');
      this.#holding = false;
      return this.options.pollIntervalMs;
    }
    if (!this.#holding) logger().info({ event: 'audit.sink_lease_acquired', sink: this.name, owner, deliveredSeq: held.deliveredSeq }, 'audit sink: this process delivers to it');
    this.#holding = true;
    let cursor = held.deliveredSeq;
    if (this.options.onFailure === 'buffer') cursor = await this.#boundBacklog(cursor);
    const records = await source.readAfter(cursor, this.options.batchSize);
    if (records.length === 0) {
      metrics.backlog(this.name, 0);
      if (held.failingSince !== undefined) await this.#recovered(cursor, undefined);
      return this.options.pollIntervalMs;
    }
    const first = records[0]!.seq;
    // Records removed by `audit archive` before this sink took them: said, never silently passed.
    if (first > cursor + 1) this.#skipped(cursor + 1, first - 1, 'archived');
    try {
      await this.options.sink.deliver(records);
    } catch (error) {
      const delivered = error instanceof PartialDeliveryError ? error.delivered : 0;
      if (delivered > 0) {
        const last = records[delivered - 1]!.seq;
        await cursors.advance(this.name, owner, last, clock.now());
        metrics.delivered(this.name, delivered);
        cursor = last;
      }
      return this.#failed(error, cursor);
    }
    const last = records[records.length - 1]!.seq;
    await cursors.advance(this.name, owner, last, clock.now());
    metrics.delivered(this.name, records.length);
    if (this.#failing || held.failingSince !== undefined) await this.#recovered(last, held.failingSince);
    metrics.up(this.name, true);
    const head = await source.headSeq();
    metrics.backlog(this.name, Math.max(0, head - last));
    return records.length === this.options.batchSize ? 0 : this.#nudged ? 0 : this.options.pollIntervalMs;
  }

  /** buffer mode: past `maxBacklogRecords` undelivered, jump the cursor so that exactly that many remain. */
  async #boundBacklog(cursor: number): Promise<number> {
    const head = await this.options.source.headSeq();
    const backlog = head - cursor;
    if (backlog <= this.options.maxBacklogRecords) return cursor;
    const keepFrom = head - this.options.maxBacklogRecords;
    if (await this.options.cursors.advance(this.name, this.options.owner, keepFrom, this.options.clock.now())) this.#skipped(cursor + 1, keepFrom, 'backlog_full');
    return keepFrom;
  }

  #skipped(fromSeq: number, toSeq: number, reason: 'archived' | 'backlog_full'): void {
    const records = toSeq - fromSeq + 1;
    this.options.metrics.skipped(this.name, records);
    this.options.logger().error({ event: 'audit.sink_records_skipped', sink: this.name, fromSeq, toSeq, records, reason }, 'audit sink: records skipped for this sink (they stay in the chain and in audit export)');
  }

  async #failed(error: unknown, cursor: number): Promise<number> {
    const { cursors, clock, owner, logger, metrics } = this.options;
    const reason = failureReason(error);
    metrics.failed(this.name);
    metrics.up(this.name, false);
    await cursors.markFailing(this.name, owner, clock.now(), reason).catch(() => {});
    if (!this.#failing) {
      this.#failing = true;
      // The event alerting keys on (the alerting issue maps it to a rule).
      logger().error({ event: 'audit.sink_failing', sink: this.name, onFailure: this.options.onFailure, deliveredSeq: cursor, reason }, this.options.onFailure === 'block' ? 'audit sink failing: admin writes are refused until it is back' : 'audit sink failing: records are kept and delivered when it is back');
    }
    const wait = this.#retryMs;
    this.#retryMs = Math.min(this.options.retryMaxMs, this.#retryMs * 2);
    return wait;
  }

  async #recovered(deliveredSeq: number, failingSince: number | undefined): Promise<void> {
    const { cursors, clock, owner, logger, metrics } = this.options;
    if (failingSince !== undefined) await cursors.markWorking(this.name, owner, clock.now());
    if (this.#failing || failingSince !== undefined) logger().info({ event: 'audit.sink_recovered', sink: this.name, deliveredSeq }, 'audit sink delivers again');
    this.#failing = false;
    this.#retryMs = this.options.retryMinMs;
    metrics.up(this.name, true);
  }

  #sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(this.#timer);
        this.#wake = undefined;
        resolve();
      };
      this.#wake = done;
      this.#timer = setTimeout(done, ms);
      this.#timer.unref();
    });
  }
}
