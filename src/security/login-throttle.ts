/**
 * Brute-force limits on admin logins (passwords and second factors), counted three ways: per
 * account, per client address, and per (account, address) pair (issue 18 item 6). Each key gets
 * an escalating delay (a third of its limit is free, then the wait doubles up to a ceiling) and,
 * past its limit, a lockout that ends by itself: an attacker who knows an admin's name can slow
 * that account down, never shut it for good. The pair limit is the tightest, so a user typing a
 * wrong password at their own desk is stopped long before the account as a whole is.
 *
 * In memory per node, like FailureThrottle (failure-throttle.ts); memory is bounded, oldest
 * unlocked keys dropped first. Unknown account names are counted like known ones, so the answer
 * and its timing never tell whether a name exists.
 */
import { clientBucket } from '../net/ip-bucket.js';

export interface LoginThrottleOptions {
  readonly maxFailuresPerAccountAndIp: number;
  readonly maxFailuresPerAccount: number;
  readonly maxFailuresPerIp: number;
  readonly lockoutMinutes: number;
  readonly maxDelaySeconds: number;
  readonly maxTrackedKeys?: number;
}

interface Entry {
  failures: number;
  lastFailureAt: number;
  nextAttemptAt: number;
  lockedUntil: number;
}

/** Failures before the waits begin: a third of the key's lockout limit, at least three. */
const freeFailures = (max: number) => Math.max(3, Math.floor(max / 3));
/** Failures older than this are forgotten when no lockout is running. */
const FORGET_AFTER_MS = 60 * 60 * 1000;

export class LoginThrottle {
  readonly #entries = new Map<string, Entry>();
  readonly #maxTracked: number;

  constructor(private readonly options: LoginThrottleOptions) {
    this.#maxTracked = options.maxTrackedKeys ?? 100000;
  }

  /** Seconds before this account may be tried again from this address (0: now). */
  waitSeconds(account: string, ip: string, now: number): number {
    let wait = 0;
    for (const key of this.#keys(account, ip)) {
      const entry = this.#entries.get(key.id);
      if (!entry) continue;
      wait = Math.max(wait, entry.lockedUntil - now, entry.nextAttemptAt - now);
    }
    return wait > 0 ? Math.ceil(wait / 1000) : 0;
  }

  /** Counts one failed password or second factor; returns true when it started a lockout. */
  recordFailure(account: string, ip: string, now: number): boolean {
    let locked = false;
    for (const key of this.#keys(account, ip)) {
      let entry = this.#entries.get(key.id);
      if (entry && entry.lockedUntil <= now && now - entry.lastFailureAt > FORGET_AFTER_MS) entry = undefined;
      if (!entry) {
        entry = { failures: 0, lastFailureAt: now, nextAttemptAt: 0, lockedUntil: 0 };
        this.#entries.set(key.id, entry);
        this.#evict(now);
      }
      // A lockout that has run out releases the key with a clean count.
      if (entry.lockedUntil !== 0 && entry.lockedUntil <= now) Object.assign(entry, { failures: 0, lockedUntil: 0, nextAttemptAt: 0 });
      entry.failures += 1;
      entry.lastFailureAt = now;
      if (entry.failures >= key.max) {
        entry.lockedUntil = now + this.options.lockoutMinutes * 60_000;
        locked = true;
      } else if (entry.failures > freeFailures(key.max)) {
        const delaySeconds = Math.min(this.options.maxDelaySeconds, 2 ** (entry.failures - freeFailures(key.max) - 1));
        entry.nextAttemptAt = now + delaySeconds * 1000;
      }
    }
    return locked;
  }

  /** A successful login clears its (account, address) pair; the account and address counts stay. */
  recordSuccess(account: string, ip: string): void {
    this.#entries.delete(this.#keys(account, ip)[0]!.id);
  }

  get trackedKeys(): number {
    return this.#entries.size;
  }

  #keys(account: string, ip: string): { id: string; max: number }[] {
    const name = account.trim().toLowerCase();
    const bucket = clientBucket(ip);
    return [
      { id: `pair\u0000${name}\u0000${bucket}`, max: this.options.maxFailuresPerAccountAndIp },
      { id: `account\u0000${name}`, max: this.options.maxFailuresPerAccount },
      { id: `ip\u0000${bucket}`, max: this.options.maxFailuresPerIp },
    ];
  }

  /** Oldest first, locked keys last: a flood of new names must not lift a lockout. */
  #evict(now: number): void {
    for (const [key, entry] of this.#entries) {
      if (this.#entries.size <= this.#maxTracked) return;
      if (entry.lockedUntil <= now) this.#entries.delete(key);
    }
    for (const key of this.#entries.keys()) {
      if (this.#entries.size <= this.#maxTracked) return;
      this.#entries.delete(key);
    }
  }
}
