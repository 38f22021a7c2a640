/**
 * In-flight request counts per key (a consumer, say), on this node. A request takes a slot when it
 * passes the limit phase and gives it back when its response is finished, whatever happened. Kept
 * outside the policy instances, so a config reload does not forget requests still running.
 */
import type { ConcurrencySlots } from '../core/rate-limit.js';

export class ConcurrencyCounter implements ConcurrencySlots {
  readonly #inFlight = new Map<string, number>();

  tryAcquire(key: string, max: number): boolean {
    const current = this.#inFlight.get(key) ?? 0;
    if (current >= max) return false;
    this.#inFlight.set(key, current + 1);
    return true;
  }

  release(key: string): void {
    const current = this.#inFlight.get(key) ?? 0;
    if (current <= 1) this.#inFlight.delete(key);
    else this.#inFlight.set(key, current - 1);
  }
}
