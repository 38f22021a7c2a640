/**
 * Rate-limit state in this process's memory: exact for one node, and the fallback when Redis is
 * down. A key whose budget is whole again holds no information, so a sweep every SWEEP_EVERY
 * writes drops it. The map is also capped: past the cap the least recently used key goes, in
 * constant time, so a flood of distinct keys (client-chosen header values, say) can neither fill
 * the heap nor make each request walk the map. An evicted key restarts with a whole budget, so the
 * cap is set well above any real key count.
 */
import type { Decision, LimitSpec, RateLimitStore } from '../core/rate-limit.js';
import { decide, emissionMs, type BucketState } from './gcra.js';

const SWEEP_EVERY = 10_000;

export class MemoryRateLimitStore implements RateLimitStore {
  /** State and the time its bucket is empty again (so a sweep needs no limit config). */
  readonly #buckets = new Map<string, { state: BucketState; emptyAt: number }>();
  #sinceSweep = 0;

  constructor(private readonly maxKeys = 250_000) {}

  get size(): number {
    return this.#buckets.size;
  }

  consume(specs: readonly LimitSpec[], now: number): Decision {
    const { decision, newStates } = decide(specs, specs.map((spec) => this.#buckets.get(spec.key)?.state), now);
    if (newStates) {
      specs.forEach((spec, i) => {
        const state = newStates[i]!;
        this.#buckets.delete(spec.key); // re-insert: Map order becomes least recently used first
        this.#buckets.set(spec.key, { state, emptyAt: state.at + state.level * emissionMs(spec) });
      });
      // Least recently used first (Map order): each eviction is O(1).
      for (const key of this.#buckets.keys()) {
        if (this.#buckets.size <= this.maxKeys) break;
        this.#buckets.delete(key);
      }
      if (++this.#sinceSweep >= SWEEP_EVERY) this.#sweep(now);
    }
    return decision;
  }

  /** At most maxKeys entries every SWEEP_EVERY writes: amortised, a few steps per write. */
  #sweep(now: number): void {
    this.#sinceSweep = 0;
    for (const [key, bucket] of this.#buckets) if (bucket.emptyAt <= now) this.#buckets.delete(key);
  }

  async close(): Promise<void> {
    this.#buckets.clear();
  }
}
