/**
 * A worker's alert signals while they wait to be sent to the lead (alert-signal-batcher.ts),
 * coalesced to what the lead's engine keeps of them, so a burst of refused or failing requests
 * costs one waiting entry per source, not one IPC signal per request:
 *
 * - sample ids: the last REQUEST_SAMPLES per (route, kind) (the lead keeps no more);
 * - rate-limit usage: the highest per (consumer, route, limit) and minute (the lead keeps the
 *   per-minute maximum);
 * - refused requests: a count and the last AUTH_FAILURE_SAMPLES ids per source (consumer, else
 *   client IP) and minute (the lead counts per minute);
 * - watched log events: each one (they are rare, and the rules count occurrences).
 *
 * Entries wait in the order they first came; an entry taken (being sent) is no longer merged into.
 */
import { AUTH_FAILURE_SAMPLES } from '../alerts/auth-failures.js';
import { REQUEST_SAMPLES } from '../alerts/request-samples.js';
import type { AlertSignal } from '../alerts/signals.js';

const MINUTE_MS = 60_000;

export class AlertSignalCoalescer {
  readonly #entries = new Map<string, AlertSignal>();
  #events = 0;

  /** Entries waiting (each one signal once taken). */
  get size(): number {
    return this.#entries.size;
  }

  /** Adds a signal, merged into its waiting entry if any; false (not kept) when it needs a new entry and `maxEntries` wait. */
  add(signal: AlertSignal, maxEntries: number): boolean {
    const key = keyOf(signal, this.#events);
    const waiting = this.#entries.get(key);
    if (waiting) {
      this.#entries.set(key, merge(waiting, signal));
      return true;
    }
    if (this.#entries.size >= maxEntries) return false;
    if (signal.type === 'event') this.#events++;
    this.#entries.set(key, signal);
    return true;
  }

  /** Takes up to `max` entries, oldest first. */
  take(max: number): AlertSignal[] {
    const taken: AlertSignal[] = [];
    for (const [key, signal] of this.#entries) {
      if (taken.length >= max) break;
      taken.push(signal);
      this.#entries.delete(key);
    }
    return taken;
  }
}

function keyOf(signal: AlertSignal, events: number): string {
  switch (signal.type) {
    case 'event':
      return `e\u0000${events}`;
    case 'sample':
      return `s\u0000${signal.route}\u0000${signal.kind}`;
    case 'limit_usage':
      return `l\u0000${signal.consumer}\u0000${signal.route}\u0000${signal.limit}\u0000${Math.floor(signal.at / MINUTE_MS)}`;
    case 'auth_failure':
      // The lead's source (auth-failures.ts): the consumer when identified, else the client IP.
      return `a\u0000${signal.consumer !== undefined ? `c:${signal.consumer}` : `ip:${signal.clientIp}`}\u0000${Math.floor(signal.at / MINUTE_MS)}`;
  }
}

/** `next` folded into `waiting` (both of one key, so of one type). */
function merge(waiting: AlertSignal, next: AlertSignal): AlertSignal {
  if (waiting.type === 'sample' && next.type === 'sample') return { ...waiting, requestIds: [...waiting.requestIds, ...next.requestIds].slice(-REQUEST_SAMPLES) };
  if (waiting.type === 'limit_usage' && next.type === 'limit_usage') return { ...waiting, used: Math.max(waiting.used, next.used), at: Math.max(waiting.at, next.at) };
  if (waiting.type === 'auth_failure' && next.type === 'auth_failure') {
    return { ...waiting, count: waiting.count + next.count, requestIds: [...waiting.requestIds, ...next.requestIds].slice(-AUTH_FAILURE_SAMPLES), at: Math.max(waiting.at, next.at) };
  }
  return next;
}
