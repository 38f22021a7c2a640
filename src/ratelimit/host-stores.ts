/**
 * The rate-limit store and the concurrency slots of a worker under `--workers`: both ask the
 * primary's counter host (counter-client.ts), so a limit of 100 admits 100 across all workers,
 * not 100 per worker. Either throws (rejects) CounterHostUnavailable when the primary does not
 * answer in time; the ratelimit policy then applies its `onStoreFailure` (local: this worker's
 * own memory, `lastResort` in RateLimitServices; open; closed: 503 ratelimit.store_unavailable).
 */
import type { ConcurrencySlots, Decision, LimitSpec, RateLimitStore } from '../core/rate-limit.js';
import type { CounterClient } from './counter-client.js';

export class HostRateLimitStore implements RateLimitStore {
  constructor(private readonly client: CounterClient) {}

  consume(specs: readonly LimitSpec[], now: number): Promise<Decision> {
    return this.client.consume(specs, now);
  }

  async close(): Promise<void> {}
}

export class HostConcurrencySlots implements ConcurrencySlots {
  constructor(private readonly client: CounterClient) {}

  tryAcquire(key: string, max: number): Promise<boolean> {
    return this.client.acquire(key, max);
  }

  release(key: string): void {
    this.client.release(key);
  }
}
