/**
 * GCRA, the generic cell rate algorithm (ITU-T I.371), in its "continuous-state leaky bucket"
 * form, as a pure function. A limit of `limit` units per `windowMs`, with room for `burst` units
 * at once, is kept per key as two numbers: the bucket's level (units in it) and when it was last
 * written; the level drains at `limit / windowMs`. Why this algorithm rather than windows: there
 * is no window boundary, so no double burst at one (a fixed window admits 2x its limit around a
 * boundary); the state is tiny, so one atomic Redis script can check several limits in one round
 * trip; and the remaining budget and the wait are exact, so the RateLimit headers tell the truth.
 * Why the level form rather than the theoretical arrival time: the level counts units, so an
 * override that raises a consumer's limit gives the difference at once (used 2 of 2, now 5: 3
 * left), where a stored arrival time would keep the old debt in time.
 *
 * The same arithmetic runs in Lua in redis-store.ts; a test runs both on the same inputs.
 */
import type { Decision, LimitSpec, LimitState } from '../core/rate-limit.js';

export interface BucketState {
  /** Units in the bucket when it was last written. */
  readonly level: number;
  /** When, in milliseconds. */
  readonly at: number;
}

/** Emission interval: the time one unit takes to come back. */
export function emissionMs(spec: Pick<LimitSpec, 'limit' | 'windowMs'>): number {
  return spec.windowMs / spec.limit;
}

/** Floating-point slack, so 2.9999999 whole units count as 3. */
const EPSILON = 1e-6;

/** The level now: drained since it was written (never below zero, never refilled by a clock step back). */
export function currentLevel(state: BucketState | undefined, interval: number, now: number): number {
  if (!state) return 0;
  return Math.max(0, state.level - Math.max(0, now - state.at) / interval);
}

/**
 * Checks every limit of one request against its stored state (undefined: never seen) at `now`.
 * All or nothing: the request is admitted only if every limit admits it, and only then is any
 * budget spent. Returns the decision and the states to store (only when admitted).
 */
export function decide(specs: readonly LimitSpec[], stored: readonly (BucketState | undefined)[], now: number): { decision: Decision; newStates: BucketState[] | undefined } {
  // Plain loops: this runs for every rate-limited request.
  const levels: number[] = [];
  let refused: { name: string; retryAfterMs: number } | undefined;
  for (let i = 0; i < specs.length; i++) {
    const spec = specs[i]!;
    const level = currentLevel(stored[i], emissionMs(spec), now);
    levels.push(level);
    const excess = level + spec.cost - spec.burst;
    if (excess > EPSILON) {
      const retryAfterMs = excess * emissionMs(spec);
      if (!refused || retryAfterMs > refused.retryAfterMs) refused = { name: spec.name, retryAfterMs };
    }
  }
  // Remaining and reset are reported from the level that stands after the decision.
  const states: LimitState[] = [];
  for (let i = 0; i < specs.length; i++) {
    const spec = specs[i]!;
    const standing = refused ? levels[i]! : levels[i]! + spec.cost;
    const remaining = refused?.name === spec.name ? 0 : Math.max(0, Math.floor(spec.burst - standing + EPSILON));
    states.push({ name: spec.name, limit: spec.limit, windowMs: spec.windowMs, burst: spec.burst, remaining, resetMs: Math.max(0, Math.ceil(standing * emissionMs(spec) - EPSILON)) });
  }
  if (refused) return { decision: { allowed: false, states, limitName: refused.name, retryAfterMs: Math.ceil(refused.retryAfterMs - EPSILON) }, newStates: undefined };
  const newStates: BucketState[] = [];
  for (let i = 0; i < specs.length; i++) newStates.push({ level: levels[i]! + specs[i]!.cost, at: now });
  return { decision: { allowed: true, states }, newStates };
}
