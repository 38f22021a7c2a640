/**
 * Counters kept in memory on the hot path and added to the store in batches (field usage, route
 * traffic, unmatched requests): never a store query per request. A subclass says how one entry is
 * counted and written; this class owns the schedule, the shutdown flush and the merge-back of a
 * batch whose write failed (the evidence is kept for the next flush, never lost or counted twice).
 */
export abstract class BatchedCounters<V> {
  #pending = new Map<string, V>();
  #timer: NodeJS.Timeout | undefined;

  constructor(private readonly flushMs: number) {}

  /** Writes one batch in one transaction (throws to have it kept for the next flush). */
  protected abstract write(batch: ReadonlyMap<string, V>): Promise<void>;
  /** Two counts of one key as one (a failed batch merged with what was counted meanwhile). */
  protected abstract merge(kept: V, entry: V): V;
  /** Logs a failed write (its own event). */
  protected abstract failed(rows: number, error: unknown): void;

  /** Whether a flush has something to do besides writing counts (housekeeping); default: no. */
  protected due(): boolean {
    return false;
  }

  /** Adds to the count of `key`: `create` for a new key, `update` to change the one counted. */
  protected count(key: string, create: () => V, update: (entry: V) => void): void {
    const entry = this.#pending.get(key);
    if (entry === undefined) this.#pending.set(key, create());
    else update(entry);
  }

  /** Counts not yet written (for tests and the shutdown log). */
  get pendingSize(): number {
    return this.#pending.size;
  }

  start(): void {
    this.#timer ??= setInterval(() => void this.flush(), this.flushMs);
    this.#timer.unref();
  }

  /** Stops the timer and writes what is left (shutdown). */
  async stop(): Promise<void> {
    if (this.#timer) clearInterval(this.#timer);
    this.#timer = undefined;
    await this.flush();
  }

  /** Writes the pending counts; on failure merges them back for the next flush. */
  async flush(): Promise<void> {
    if (this.#pending.size === 0 && !this.due()) return;
    const batch = this.#pending;
    this.#pending = new Map();
    try {
      await this.write(batch);
    } catch (error) {
      for (const [key, entry] of batch) {
        const kept = this.#pending.get(key);
        this.#pending.set(key, kept === undefined ? entry : this.merge(kept, entry));
      }
      this.failed(batch.size, error);
    }
  }
}

/** A count with the first and last time it grew (epoch ms): field usage, unmatched requests. */
export interface SeenCount {
  count: number;
  firstSeen: number;
  lastSeen: number;
}

export const seenCount = {
  first: (now: number): SeenCount => ({ count: 1, firstSeen: now, lastSeen: now }),
  again(entry: SeenCount, now: number): void {
    entry.count += 1;
    if (now > entry.lastSeen) entry.lastSeen = now;
  },
  merge: (kept: SeenCount, entry: SeenCount): SeenCount => ({ count: kept.count + entry.count, firstSeen: Math.min(kept.firstSeen, entry.firstSeen), lastSeen: Math.max(kept.lastSeen, entry.lastSeen) }),
};
