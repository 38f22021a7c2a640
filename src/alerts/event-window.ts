/**
 * The catalogued log events the rules watch, counted in memory from the logger's tap
 * (observability/log-tap.ts). Each watched event keeps its recent occurrences (time and the few
 * label fields a rule reads: never the whole record, which may hold more than an alert should),
 * bounded per event, dropped once older than the longest window.
 */
import type { Clock } from '../core/clock.js';
import type { LogEvent } from '../core/log-events.js';
import { BACKGROUND_FAILURES } from './event-map.js';

/** One occurrence: when, and the string fields named in WATCHED_FIELDS. */
export interface EventOccurrence {
  readonly at: number;
  readonly fields: Readonly<Record<string, string>>;
}

/** The events rules read, and the fields kept of each (labels only: names, never values a client sent). */
export const WATCHED_EVENTS: Partial<Record<LogEvent, readonly string[]>> = {
  ...Object.fromEntries(BACKGROUND_FAILURES.map((event) => [event, []])),
  'config.reload_rejected': [],
  'config.reloaded': [],
  'cluster.reload_failed': [],
  'cluster.reloaded': [],
  'admin.auth_failed': [],
  'admin.login_failed': [],
  'admin.sso_failed': [],
  'admin.login_locked': [],
  'auth.client_blocked': [],
  'crl.stale': ['listener', 'issuer'],
  'crl.refresh_failed': ['listener', 'source'],
  'crl.loaded': ['listener'],
  'credentials.expiring': ['credential'],
  'credentials.expired': ['credential'],
  'credentials.quarantined': ['credential'],
  'credentials.revoked': ['credential'],
  'credentials.unavailable': ['credential'],
  'credentials.released': ['credential'],
  'credentials.token_obtained': ['credential'],
  'credentials.refresh_failed': ['credential'],
  'assess.provider_security_regression': ['upstream', 'reason', 'severity', 'from', 'to', 'daysLeft'],
  'assess.provider_security_recovered': ['upstream', 'reason'],
};

/** The fields kept of a watched event (strings only), or undefined when no rule watches it. */
export function watchedFields(event: string, fields: Readonly<Record<string, unknown>>): Record<string, string> | undefined {
  const keep = WATCHED_EVENTS[event as LogEvent];
  if (keep === undefined) return undefined;
  const kept: Record<string, string> = {};
  for (const name of keep) if (typeof fields[name] === 'string') kept[name] = fields[name] as string;
  return kept;
}

/** Most occurrences kept per event (older ones are dropped first). */
const MAX_PER_EVENT = 10_000;

export class EventWindow {
  readonly #seen = new Map<string, EventOccurrence[]>();

  constructor(
    private readonly clock: Clock,
    private readonly retainSeconds: number,
  ) {}

  /** The tap's listener: keeps a watched event's time and label fields. */
  readonly record = (event: string, fields: Readonly<Record<string, unknown>>): void => {
    const kept = watchedFields(event, fields);
    if (kept) this.add(event, kept);
  };

  /**
   * Keeps one occurrence of a watched event with its fields already picked (watchedFields), at `at`
   * (ms; default now). A forwarded one may be older than the newest kept: it goes in time order,
   * so `last` stays the newest.
   */
  add(event: string, kept: Readonly<Record<string, string>>, at = this.clock.now()): void {
    let list = this.#seen.get(event);
    if (!list) this.#seen.set(event, (list = []));
    let index = list.length;
    while (index > 0 && list[index - 1]!.at > at) index--;
    list.splice(index, 0, { at, fields: kept });
    if (list.length > MAX_PER_EVENT) list.splice(0, list.length - MAX_PER_EVENT);
  }

  /** Occurrences of `event` at or after `since` (ms), oldest first. */
  since(event: LogEvent, since: number): readonly EventOccurrence[] {
    const list = this.#seen.get(event) ?? [];
    return list.filter((occurrence) => occurrence.at >= since);
  }

  /** The newest occurrence of `event`, if any is kept. */
  last(event: LogEvent): EventOccurrence | undefined {
    return this.#seen.get(event)?.at(-1);
  }

  /** The newest occurrence of `event` per value of its field `field`. */
  lastBy(event: LogEvent, field: string): Map<string, EventOccurrence> {
    const out = new Map<string, EventOccurrence>();
    for (const occurrence of this.#seen.get(event) ?? []) {
      const key = occurrence.fields[field];
      if (key !== undefined) out.set(key, occurrence);
    }
    return out;
  }

  /** Drops what no window reaches any more, but keeps the newest occurrence per label set (state rules read it however old). */
  prune(now: number): void {
    const edge = now - this.retainSeconds * 1000;
    for (const [event, list] of this.#seen) {
      const newest = new Map<string, EventOccurrence>();
      for (const occurrence of list) newest.set(JSON.stringify(occurrence.fields), occurrence);
      const kept = new Set(newest.values());
      const next = list.filter((occurrence) => occurrence.at >= edge || kept.has(occurrence));
      if (next.length !== list.length) this.#seen.set(event, next);
    }
  }
}
