/**
 * Brute-force protection: a client IP that fails authentication `maxFailures` times within a
 * window is refused for `blockSeconds` (429 auth.too_many_failures), before any key is checked.
 * In memory per node (shared limits across nodes come with the Redis-backed limiter). Memory is
 * bounded: past `maxTrackedClients`, the oldest entries are dropped first.
 */
import type { AuthFailureTracker } from '../core/services.js';

interface Entry {
  failures: number;
  windowStart: number;
  blockedUntil: number;
}

export interface FailureThrottleOptions {
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

  blockedForSeconds(clientIp: string, now: number): number {
    const entry = this.#entries.get(clientIp);
    if (!entry || entry.blockedUntil <= now) return 0;
    return Math.ceil((entry.blockedUntil - now) / 1000);
  }

  recordFailure(clientIp: string, now: number): boolean {
    let entry = this.#entries.get(clientIp);
    if (!entry || now - entry.windowStart >= this.options.windowSeconds * 1000) {
      entry = { failures: 0, windowStart: now, blockedUntil: entry?.blockedUntil ?? 0 };
      this.#entries.delete(clientIp);
      this.#entries.set(clientIp, entry);
      this.#evictOldest();
    }
    entry.failures += 1;
    if (entry.failures >= this.options.maxFailures && entry.blockedUntil <= now) {
      entry.blockedUntil = now + this.options.blockSeconds * 1000;
      return true;
    }
    return false;
  }

  get trackedClients(): number {
    return this.#entries.size;
  }

  #evictOldest(): void {
    for (const key of this.#entries.keys()) {
      if (this.#entries.size <= this.#maxTracked) return;
      this.#entries.delete(key);
    }
  }
}
