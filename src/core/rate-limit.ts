/**
 * The rate-limit contract between the ratelimit policy and the services that keep the counts
 * (ratelimit/: the memory and Redis stores, the override index, the in-flight counter): what one
 * limit is, what a store decides, how overrides and in-flight slots are asked for. It lives in
 * core so the policy never imports the modules that implement it (docs/architecture.md).
 */

/** One limit, resolved for one request. */
export interface LimitSpec {
  /** The counter's full key (limit name and partition values). */
  readonly key: string;
  /** The limit's name, for headers and the 429 problem. */
  readonly name: string;
  readonly limit: number;
  readonly windowMs: number;
  /** Units that may be spent at once; the token bucket's size. Defaults to `limit`. */
  readonly burst: number;
  /** Units this request costs. */
  readonly cost: number;
}

export interface LimitState {
  readonly name: string;
  readonly limit: number;
  readonly windowMs: number;
  readonly burst: number;
  /** Whole units left after this request (0 when refused). */
  readonly remaining: number;
  /** Milliseconds until the whole budget is back. */
  readonly resetMs: number;
}

export type Decision =
  | { readonly allowed: true; readonly states: readonly LimitState[] }
  | { readonly allowed: false; readonly states: readonly LimitState[]; readonly limitName: string; readonly retryAfterMs: number };

/**
 * Where rate-limit state lives. One call checks every limit of a request at once, so a store can
 * do it atomically (one Redis script, one round trip) and never spend part of a refused budget.
 */
export interface RateLimitStore {
  /** Checks and, if every limit admits the request, spends the cost. Throws if the store fails. */
  consume(specs: readonly LimitSpec[], now: number): Promise<Decision> | Decision;
  close(): Promise<void>;
}

/** The numbers that replace a limit's for one consumer or key (null: the configured value stays). */
export interface LimitOverride {
  readonly limit: number;
  readonly windowSeconds: number | null;
  readonly burst: number | null;
}

/** What a limit check asks: the override for this limit and principal, if any. */
export interface OverrideLookup {
  find(limitName: string, consumerId: string | undefined, credentialId: string | undefined): LimitOverride | undefined;
}

/**
 * In-flight request counts per key on this node (the `concurrency` limit). In one process the
 * answer is synchronous; under `--workers` the primary keeps the counts and the answer is a
 * Promise, which rejects when the primary does not answer in time (the policy's fallback applies).
 */
export interface ConcurrencySlots {
  /** Takes a slot if fewer than `max` are taken; false when the key is at its maximum. */
  tryAcquire(key: string, max: number): boolean | Promise<boolean>;
  /** Gives a slot back; called once for every successful tryAcquire. */
  release(key: string): void;
}
