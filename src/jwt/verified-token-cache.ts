/**
 * Tokens whose signature and claims were verified a moment ago, so that a partner re-using its
 * token for every request does not cost a signature verification each time (the cost dominates
 * JWT authentication; see bench/jwt.ts). Keyed by the exact token string: a token differing in
 * any byte is a miss and fully verified. An entry lives at most `ttlMs` and never past the
 * token's expiry; time-independent checks only are skipped on a hit (revocation of the built-in
 * server's tokens is checked on every request by the caller). Bounded: the oldest entry goes first.
 */
export class VerifiedTokenCache<V> {
  readonly #entries = new Map<string, { value: V; until: number }>();

  constructor(
    private readonly ttlMs: number,
    private readonly maxEntries = 10000,
  ) {}

  get(token: string, now: number): V | undefined {
    const entry = this.#entries.get(token);
    if (!entry) return undefined;
    if (entry.until <= now) {
      this.#entries.delete(token);
      return undefined;
    }
    return entry.value;
  }

  /** Remembers a verified token until min(now + ttl, validUntil). */
  set(token: string, value: V, now: number, validUntil: number): void {
    const until = Math.min(now + this.ttlMs, validUntil);
    if (until <= now) return;
    if (this.#entries.size >= this.maxEntries) this.#entries.delete(this.#entries.keys().next().value!);
    this.#entries.set(token, { value, until });
  }

  /** The strings entries are held under, oldest first (for tests that check what is stored). */
  keys(): IterableIterator<string> {
    return this.#entries.keys();
  }

  get size(): number {
    return this.#entries.size;
  }
}
