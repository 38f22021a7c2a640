/**
 * Where rate-limit state lives. One call checks every limit of a request at once, so a store can
 * do it atomically (one Redis script, one round trip) and never spend part of a refused budget.
 */
import type { Decision, LimitSpec } from './gcra.js';

export interface RateLimitStore {
  /** Checks and, if every limit admits the request, spends the cost. Throws if the store fails. */
  consume(specs: readonly LimitSpec[], now: number): Promise<Decision> | Decision;
  close(): Promise<void>;
}
