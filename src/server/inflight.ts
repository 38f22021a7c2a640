/**
 * The gateway's requests in flight: counted as they start and end, shed past
 * `overload.maxInFlight` (503 before any work is done for them), and waited for on drain.
 * Under `--workers` the count that sheds is the whole gateway's: this process's, exact, plus the
 * other workers' as the primary last told (ratelimit/counter-client.ts; one IPC hop old).
 */
import type { Counter } from 'prom-client';
import type { CounterClient } from '../ratelimit/counter-client.js';
import type { Logger } from '../observability/logger.js';

/** How often a shedding gateway says so in its log, at most (ms). */
const SHED_LOG_INTERVAL_MS = 10_000;
/** How often the drain looks whether the last request ended (ms). */
const DRAIN_POLL_MS = 25;

export interface InflightDeps {
  /** overload.maxInFlight of the config in force (0: never shed). */
  readonly maxInFlight: () => number;
  /** Under `--workers`: the primary's counters, which learn this worker's count. */
  readonly counters: CounterClient | undefined;
  /** portcullis_overload_shed_total. */
  readonly shed: Counter;
  readonly logger: () => Logger;
}

export class InflightRequests {
  #count = 0;
  #shedLoggedAt = 0;

  constructor(private readonly deps: InflightDeps) {}

  /** Requests being handled right now, in this process. */
  get count(): number {
    return this.#count;
  }

  started(): void {
    this.#count++;
    this.#report();
  }

  ended(): void {
    this.#count--;
    this.#report();
  }

  /** True when a new request is to be shed: counted, and logged at most every 10 s. */
  overloaded(): boolean {
    const max = this.deps.maxInFlight();
    if (max === 0) return false;
    const inflight = this.#count + (this.deps.counters?.othersInFlight ?? 0);
    if (inflight <= max) return false;
    this.deps.shed.inc();
    const now = Date.now();
    if (now - this.#shedLoggedAt >= SHED_LOG_INTERVAL_MS) {
      this.#shedLoggedAt = now;
      this.deps.logger().warn({ event: 'gateway.overloaded', inflight, maxInFlight: max }, 'overloaded: shedding new requests with 503');
    }
    return true;
  }

  /** Resolves once no request is in flight, or at `deadline` (epoch ms), whichever comes first. */
  async drained(deadline: number): Promise<void> {
    while (this.#count > 0 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, DRAIN_POLL_MS));
  }

  /**
   * Tells the primary this worker's count (under `--workers`), only once it moved by 1% of
   * overload.maxInFlight, so a steady load costs no messages.
   */
  #report(): void {
    const max = this.deps.maxInFlight();
    if (this.deps.counters && max > 0) this.deps.counters.reportInflight(this.#count, Math.max(1, Math.floor(max / 100)));
  }
}
