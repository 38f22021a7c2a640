/**
 * Denied admin attempts (401 and 403 answers of the admin API) in the audit trail, aggregated so
 * that an unauthenticated client cannot grow the chain without bound: per interval, one
 * `admin.auth_denied` record per (source IP, reason, principal) with the count, the first and the
 * last time. The pairs kept per interval are bounded too (`maxSourcesPerInterval`); past it,
 * denials are counted in one record per reason for source `*`. So a flood of any size and from
 * any number of addresses writes at most (maxSourcesPerInterval + reasons) records per interval.
 *
 * Counting is in memory, per process; the counts are written when the interval ends (and at
 * shutdown). A process killed mid-interval loses that interval's counts: the denials themselves
 * are also in the log (admin.auth_failed) and the access metrics.
 */
import type { Actor } from '../core/actor.js';
import type { Clock } from '../core/clock.js';
import type { Logger } from '../observability/logger.js';

export interface DeniedAttempt {
  readonly sourceIp: string;
  /** The error code answered: admin.unauthorized, admin.forbidden, … */
  readonly reason: string;
  /** For a 403: the authenticated principal (kind and id, never a credential); undefined for a 401. */
  readonly principal?: { readonly kind: Actor['kind']; readonly id: string } | undefined;
}

/** One interval's count of one (source, reason, principal). */
export interface DeniedAggregate extends DeniedAttempt {
  readonly count: number;
  readonly firstAt: number;
  readonly lastAt: number;
  readonly intervalStart: number;
  readonly intervalSeconds: number;
}

export interface DeniedAttemptsOptions {
  readonly intervalSeconds: number;
  readonly maxSourcesPerInterval: number;
  readonly clock: Clock;
  readonly logger: () => Logger;
  /** Writes the aggregates of one interval (audit records). Rejects when the store fails. */
  readonly write: (aggregates: readonly DeniedAggregate[]) => Promise<void>;
  /** Counted when a denial goes to the `*` source. */
  readonly overflow: () => void;
}

/** The source of the records that hold what did not fit in an interval. */
export const OVERFLOW_SOURCE = '*';

interface Entry {
  attempt: DeniedAttempt;
  count: number;
  firstAt: number;
  lastAt: number;
}

export class DeniedAttempts {
  #entries = new Map<string, Entry>();
  #intervalStart: number;
  #timer: NodeJS.Timeout | undefined;
  #flushing: Promise<void> = Promise.resolve();

  constructor(private readonly options: DeniedAttemptsOptions) {
    this.#intervalStart = this.#startOf(options.clock.now());
  }

  /** Counts one denial. Never waits, never throws: it is on the answer path of a refused request. */
  note(attempt: DeniedAttempt): void {
    const now = this.options.clock.now();
    // A new interval: the counts so far are closed off now (synchronously) and written in the background.
    if (this.#startOf(now) !== this.#intervalStart) void this.flush();
    let key = `${attempt.sourceIp}\u0000${attempt.reason}\u0000${attempt.principal ? `${attempt.principal.kind}:${attempt.principal.id}` : ''}`;
    let entry = this.#entries.get(key);
    if (!entry && this.#entries.size >= this.options.maxSourcesPerInterval) {
      this.options.overflow();
      attempt = { sourceIp: OVERFLOW_SOURCE, reason: attempt.reason };
      key = `${OVERFLOW_SOURCE}\u0000${attempt.reason}\u0000`;
      entry = this.#entries.get(key);
    }
    if (!entry) {
      entry = { attempt, count: 0, firstAt: now, lastAt: now };
      this.#entries.set(key, entry);
    }
    entry.count += 1;
    entry.lastAt = now;
  }

  /** Writes the counts of the interval now ending at each interval's end (timer unref'd). */
  start(): void {
    this.#timer = setInterval(() => void this.flush(), this.options.intervalSeconds * 1000);
    this.#timer.unref();
  }

  /**
   * Writes what was counted since the last flush, as one record per entry, and starts a new
   * interval. Flushes run one at a time. On a store failure the counts are merged into the
   * current interval's (within its bound) and written with it.
   */
  flush(): Promise<void> {
    const closed = this.#rotate();
    this.#flushing = this.#flushing.then(() => this.#write(closed));
    return this.#flushing;
  }

  async stop(): Promise<void> {
    clearInterval(this.#timer);
    await this.flush();
  }

  /** Closes off the counts so far as one interval's aggregates and starts a new interval. */
  #rotate(): { entries: Map<string, Entry>; aggregates: DeniedAggregate[] } {
    const now = this.options.clock.now();
    const entries = this.#entries;
    const intervalStart = this.#intervalStart;
    this.#entries = new Map();
    this.#intervalStart = this.#startOf(now);
    const aggregates = [...entries.values()].map((entry): DeniedAggregate => ({ ...entry.attempt, count: entry.count, firstAt: entry.firstAt, lastAt: entry.lastAt, intervalStart, intervalSeconds: this.options.intervalSeconds }));
    return { entries, aggregates };
  }

  async #write({ entries, aggregates }: { entries: Map<string, Entry>; aggregates: DeniedAggregate[] }): Promise<void> {
    if (aggregates.length === 0) return;
    try {
      await this.options.write(aggregates);
    } catch (error) {
      this.options.logger().warn({ event: 'audit.denied_record_failed', records: aggregates.length, err: error }, 'denied admin attempts could not be recorded: kept for the next interval');
      for (const [key, entry] of entries) {
        const current = this.#entries.get(key);
        if (current) {
          current.count += entry.count;
          current.firstAt = Math.min(current.firstAt, entry.firstAt);
        } else if (this.#entries.size < this.options.maxSourcesPerInterval) this.#entries.set(key, entry);
      }
    }
  }

  #startOf(now: number): number {
    const ms = this.options.intervalSeconds * 1000;
    return now - (now % ms);
  }
}
