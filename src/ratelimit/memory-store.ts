/**
 * Rate-limit state in this process's memory: exact for one node, and the fallback when Redis is
 * down. A key whose budget is whole again holds no information, so it is dropped; the map is also
 * capped, evicting the oldest keys first, so a flood of distinct keys cannot fill the heap (an
 * evicted key restarts with a whole budget: the cap is set far above any real key count).
 */
import { decide, emissionMs, type BucketState, type Decision, type LimitSpec } from './gcra.js';
import type { RateLimitStore } from './store.js';

const SWEEP_EVERY = 10_000;

export class MemoryRateLimitStore implements RateLimitStore {
  /** State and the time its bucket is empty again (so a sweep needs no limit config). */
  readonly #buckets = new Map<string, { state: BucketState; emptyAt: number }>();
  #sinceSweep = 0;

  constructor(private readonly maxKeys = 1_000_000) {}

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
      if (++this.#sinceSweep >= SWEEP_EVERY || this.#buckets.size > this.maxKeys) this.#sweep(now);
    }
    return decision;
  }

  #sweep(now: number): void {
    this.#sinceSweep = 0;
    for (const [key, bucket] of this.#buckets) if (bucket.emptyAt <= now) this.#buckets.delete(key);
    for (const key of this.#buckets.keys()) {
      if (this.#buckets.size <= this.maxKeys) break;
      this.#buckets.delete(key);
    }
  }

  async close(): Promise<void> {
    this.#buckets.clear();
  }
}
