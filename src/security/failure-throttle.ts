/**
 * Brute-force protection: a client IP that fails authentication `maxFailures` times within a
 * window is refused for `blockSeconds` (429 auth.too_many_failures), before any key is checked.
 * In memory per node (shared limits across nodes come with the Redis-backed limiter); with
 * `--workers`, one throttle in the primary counts for every worker (ratelimit/counter-host.ts) and
 * each worker checks a replica of its blocks (ratelimit/shared-failure-throttle.ts). Memory is
 * bounded: past `maxTrackedClients`, the oldest entries are dropped first.
 */
import type { AuthFailureTracker } from '../core/services.js';
import { clientBucket } from '../net/ip-bucket.js';

interface Entry {
  failures: number;
  windowStart: number;
  blockedUntil: number;
}

export interface FailureThrottleOptions {
  /** false: nothing is counted and nobody is blocked (an explicit operator choice; default true). */
  enabled?: boolean;
  maxFailures: number;
  windowSeconds: number;
  blockSeconds: number;
  maxTrackedClients?: number;
}

export class FailureThrottle implements AuthFailureTracker {
  readonly #entries = new Map<string, Entry>();
  readonly #maxTracked: number;

  constructor(private readonly options: FailureThrottleOptions) {
    this.#maxTracked = options.maxTrackedClients ?? 100000;
  }

  get enabled(): boolean {
    return this.options.enabled !== false;
  }

  blockedForSeconds(clientIp: string, now: number): number {
    if (!this.enabled) return 0;
    const entry = this.#entries.get(clientBucket(clientIp));
    if (!entry || entry.blockedUntil <= now) return 0;
    return Math.ceil((entry.blockedUntil - now) / 1000);
  }

  recordFailure(clientIp: string, now: number): boolean {
    if (!this.enabled) return false;
    clientIp = clientBucket(clientIp);
    let entry = this.#entries.get(clientIp);
    if (!entry || now - entry.windowStart >= this.options.windowSeconds * 1000) {
      entry = { failures: 0, windowStart: now, blockedUntil: entry?.blockedUntil ?? 0 };
      this.#entries.delete(clientIp);
      this.#entries.set(clientIp, entry);
      this.#evictOldest(now);
    }
    entry.failures += 1;
    if (entry.failures >= this.options.maxFailures && entry.blockedUntil <= now) {
      entry.blockedUntil = now + this.options.blockSeconds * 1000;
      return true;
    }
    return false;
  }

  /** When the block of this client's bucket ends, in ms (0: never blocked, or long over). */
  blockedUntilMs(clientIp: string): number {
    return this.#entries.get(clientBucket(clientIp))?.blockedUntil ?? 0;
  }

  /** The blocks in force at `now`, by client bucket (a new worker's replica starts from these). */
  *activeBlocks(now: number): Iterable<{ bucket: string; untilMs: number }> {
    for (const [bucket, entry] of this.#entries) if (entry.blockedUntil > now) yield { bucket, untilMs: entry.blockedUntil };
  }

  get trackedClients(): number {
    return this.#entries.size;
  }

  /** Oldest first, but blocked clients last: a flood of new addresses must not lift a block. */
  #evictOldest(now: number): void {
    for (const [key, entry] of this.#entries) {
      if (this.#entries.size <= this.#maxTracked) return;
      if (entry.blockedUntil <= now) this.#entries.delete(key);
    }
    for (const key of this.#entries.keys()) {
      if (this.#entries.size <= this.#maxTracked) return;
      this.#entries.delete(key);
    }
  }
}
