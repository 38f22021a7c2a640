/**
 * Security events of the data plane (an API key used after its revocation, a client blocked for
 * failing authentication too often) into the audit trail, off the request path: `report` only
 * queues (bounded: past `maxQueued` an event is dropped and counted), and a timer writes the queue
 * every `flushIntervalMs`, identical events of one batch merged into one record with a count.
 * Dropped events are logged once per batch (`audit.security_events_dropped`) and counted
 * (portcullis_audit_security_events_dropped_total), never silently lost.
 */
import type { Clock } from '../core/clock.js';
import type { AuthFailureTracker, SecurityEvent, SecurityEventReporter } from '../core/services.js';
import type { Logger } from '../observability/logger.js';

/** The events of one batch with the same kind, source and subject, merged. */
export interface SecurityEventBatchEntry {
  readonly event: SecurityEvent;
  readonly count: number;
  readonly firstAt: number;
  readonly lastAt: number;
}

export interface SecurityEventQueueOptions {
  readonly flushIntervalMs: number;
  readonly maxQueued: number;
  readonly clock: Clock;
  readonly logger: () => Logger;
  readonly dropped: (events: number) => void;
}

export class SecurityEventQueue implements SecurityEventReporter {
  #queue: Array<{ event: SecurityEvent; at: number }> = [];
  #droppedFull = 0;
  #timer: NodeJS.Timeout | undefined;
  #flushing: Promise<void> = Promise.resolve();
  #write: ((entries: readonly SecurityEventBatchEntry[]) => Promise<void>) | undefined;

  constructor(private readonly options: SecurityEventQueueOptions) {}

  /** Where batches go (the audit trail); until attached, events queue up (within the bound). */
  attach(write: (entries: readonly SecurityEventBatchEntry[]) => Promise<void>): void {
    this.#write = write;
  }

  report(event: SecurityEvent): void {
    if (this.#queue.length >= this.options.maxQueued) {
      this.#droppedFull += 1;
      this.options.dropped(1);
      return;
    }
    this.#queue.push({ event, at: this.options.clock.now() });
  }

  get queued(): number {
    return this.#queue.length;
  }

  start(): void {
    this.#timer = setInterval(() => void this.flush(), this.options.flushIntervalMs);
    this.#timer.unref();
  }

  flush(): Promise<void> {
    this.#flushing = this.#flushing.then(() => this.#flushOnce());
    return this.#flushing;
  }

  async stop(): Promise<void> {
    clearInterval(this.#timer);
    await this.flush();
  }

  async #flushOnce(): Promise<void> {
    if (this.#droppedFull > 0) {
      this.options.logger().warn({ event: 'audit.security_events_dropped', dropped: this.#droppedFull, reason: 'queue_full' }, 'security events dropped: their queue was full');
      this.#droppedFull = 0;
    }
    if (!this.#write || this.#queue.length === 0) return;
    const batch = this.#queue;
    this.#queue = [];
    const merged = new Map<string, { event: SecurityEvent; count: number; firstAt: number; lastAt: number }>();
    for (const { event, at } of batch) {
      const key = `${event.kind}\u0000${event.clientIp}\u0000${event.subject ?? ''}`;
      const entry = merged.get(key);
      if (entry) {
        entry.count += 1;
        entry.lastAt = at;
      } else merged.set(key, { event, count: 1, firstAt: at, lastAt: at });
    }
    try {
      await this.#write([...merged.values()]);
    } catch (error) {
      this.options.dropped(batch.length);
      this.options.logger().warn({ event: 'audit.security_events_dropped', dropped: batch.length, reason: 'store_failed', err: error }, 'security events could not be recorded: the store failed');
    }
  }
}

/** The tracker, reporting each block a failure starts as a security event (the tracker itself is unchanged). */
export function reportingBlocks(tracker: AuthFailureTracker, reporter: SecurityEventReporter, scope: string): AuthFailureTracker {
  const report = (clientIp: string, started: boolean): boolean => {
    if (started) reporter.report({ kind: 'brute_force.blocked', clientIp, subject: scope });
    return started;
  };
  return {
    blockedForSeconds: (clientIp, now) => tracker.blockedForSeconds(clientIp, now),
    recordFailure(clientIp, now) {
      const started = tracker.recordFailure(clientIp, now);
      return typeof started === 'boolean' ? report(clientIp, started) : started.then((value) => report(clientIp, value));
    },
  };
}
