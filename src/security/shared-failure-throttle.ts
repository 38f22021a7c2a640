/**
 * The brute-force throttle of a worker under `--workers`: failures are counted once for every
 * worker, in the primary (ratelimit/counter-host.ts), so `bruteForce.maxFailures` failures block a
 * client whichever workers served them. The check on every authenticated request reads a replica
 * of the blocks in force kept by the counter client, so it costs no IPC; a failure that starts a
 * block is answered only once every worker has it, so the client's next attempt is refused
 * everywhere.
 *
 * When the primary does not answer, the failure is counted in this worker's own throttle instead
 * (the fallback: a client is still blocked, after maxFailures failures on this worker; never a
 * silent pass), and the failed call is counted and reported by the counter client.
 */
import type { AuthFailureTracker } from '../core/services.js';
import type { CounterClient } from '../ratelimit/counter-client.js';
import type { ThrottleScope } from '../ratelimit/counter-protocol.js';
import { FailureThrottle, type FailureThrottleOptions } from './failure-throttle.js';

export class SharedFailureThrottle implements AuthFailureTracker {
  /** This worker's own count: used only while the primary does not answer. */
  readonly #local: FailureThrottle;

  constructor(
    private readonly client: CounterClient,
    private readonly scope: ThrottleScope,
    options: FailureThrottleOptions,
  ) {
    this.#local = new FailureThrottle(options);
  }

  get enabled(): boolean {
    return this.#local.enabled;
  }

  blockedForSeconds(clientIp: string, now: number): number {
    if (!this.enabled) return 0;
    const until = Math.max(this.client.blockedUntilMs(this.scope, clientIp, now), this.#local.blockedUntilMs(clientIp));
    return until > now ? Math.ceil((until - now) / 1000) : 0;
  }

  async recordFailure(clientIp: string, now: number): Promise<boolean> {
    if (!this.enabled) return false;
    try {
      return await this.client.recordFailure(this.scope, clientIp, now);
    } catch {
      return this.#local.recordFailure(clientIp, now);
    }
  }
}
