/**
 * How soon the `--workers` primary replaces a worker that died. Exits less than `quietMs` apart
 * form a streak: the first exit of a streak is replaced at once, each later one after a delay that
 * doubles (from `baseDelayMs` up to `maxDelayMs`). A worker that crashes as it boots (a bad
 * certificate, a store that refuses it) so costs one fork per `maxDelayMs` at worst, never a fork
 * bomb, while a worker killed once in a while is replaced at once. `maxDelayMs` must stay below
 * `quietMs`, or a crash loop would end its own streak.
 */
import type { Clock } from '../core/clock.js';

export interface RestartPolicyOptions {
  /** An exit this long after the previous one starts a new streak, milliseconds. */
  readonly quietMs: number;
  /** The delay after the second exit of a streak, milliseconds; doubled for each further one. */
  readonly baseDelayMs: number;
  /** The longest delay, milliseconds (below quietMs). */
  readonly maxDelayMs: number;
}

export const DEFAULT_RESTART_POLICY: RestartPolicyOptions = { quietMs: 60_000, baseDelayMs: 250, maxDelayMs: 30_000 };

export class RestartPolicy {
  #streak = 0;
  #lastExitAt = -Infinity;

  constructor(
    private readonly options: RestartPolicyOptions,
    private readonly clock: Clock,
  ) {
    if (options.maxDelayMs >= options.quietMs) throw new RangeError('maxDelayMs must be below quietMs');
  }

  /**
   * Records an exit now; returns the delay before its replacement is forked (milliseconds) and the
   * length of the streak, this exit included.
   */
  exited(): { delayMs: number; streak: number } {
    const now = this.clock.now();
    if (now - this.#lastExitAt >= this.options.quietMs) this.#streak = 0;
    this.#lastExitAt = now;
    // Capped before the power: a streak of days must not reach Infinity.
    const doublings = Math.min(this.#streak - 1, 30);
    const delayMs = this.#streak === 0 ? 0 : Math.min(this.options.maxDelayMs, this.options.baseDelayMs * 2 ** doublings);
    this.#streak++;
    return { delayMs, streak: this.#streak };
  }
}
