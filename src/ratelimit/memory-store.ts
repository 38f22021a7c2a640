/**
 * Rate-limit state in this process's memory: exact for one node, and the fallback when Redis is
 * down. A key whose budget is whole again holds no information, so a sweep every SWEEP_EVERY
 * writes drops it. The map is also capped: past the cap the least recently used key goes, in
 * constant time, so a flood of distinct keys (client-chosen header values, say) can neither fill
 * the heap nor make each request walk the map. An evicted key restarts with a whole budget, so the
 * cap is set well above any real key count.
 *
 * A key in use is not moved to the young end of the map on every request (a delete and an insert
 * per request, which churns the hash table): only once it has fallen into the older half, that is
 * after maxKeys/2 later insertions. A key used since then always has at least maxKeys/2 older keys
 * in front of it, so eviction still takes only keys that went unused for the longest.
 */
import type { Decision, LimitSpec, RateLimitStore } from '../core/rate-limit.js';
import { decide, emissionMs, type BucketState } from './gcra.js';

const SWEEP_EVERY = 10_000;

interface Bucket {
  state: BucketState;
  /** When the bucket is empty again (so a sweep needs no limit config). */
  emptyAt: number;
  /** The insertion count when the key was last put at the young end of the map. */
  inserted: number;
}

export class MemoryRateLimitStore implements RateLimitStore {
  readonly #buckets = new Map<string, Bucket>();
  #sinceSweep = 0;
  /** Insertions so far: a bucket's `inserted` tells how young its place in the map is. */
  #insertions = 0;

  constructor(private readonly maxKeys = 250_000) {}

  get size(): number {
    return this.#buckets.size;
  }

  consume(specs: readonly LimitSpec[], now: number): Decision {
    const buckets: Array<Bucket | undefined> = [];
    const stored: Array<BucketState | undefined> = [];
    for (const spec of specs) {
      const bucket = this.#buckets.get(spec.key);
      buckets.push(bucket);
      stored.push(bucket?.state);
    }
    const { decision, newStates } = decide(specs, stored, now);
    if (newStates) {
      for (let i = 0; i < specs.length; i++) {
        const spec = specs[i]!;
        const state = newStates[i]!;
        const emptyAt = state.at + state.level * emissionMs(spec);
        const bucket = buckets[i];
        if (bucket !== undefined && this.#insertions - bucket.inserted < this.maxKeys / 2) {
          bucket.state = state;
          bucket.emptyAt = emptyAt;
          continue;
        }
        this.#buckets.delete(spec.key); // re-insert: Map order becomes least recently used first
        this.#buckets.set(spec.key, { state, emptyAt, inserted: ++this.#insertions });
      }
      // Least recently used first (Map order): each eviction is O(1).
      if (this.#buckets.size > this.maxKeys) {
        for (const key of this.#buckets.keys()) {
          if (this.#buckets.size <= this.maxKeys) break;
          this.#buckets.delete(key);
        }
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
