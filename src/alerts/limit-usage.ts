/**
 * How much of its rate limits each consumer uses, kept in memory for the rate_limit_saturation
 * rule: the ratelimit policy reports a consumer's most used limit after a decision when it is at
 * USAGE_REPORT_FLOOR (50 %) or more (core/services.ts `usage`); below that the request path does
 * nothing. Per (consumer, route, limit): the highest share seen in each minute. The number of
 * label sets is bounded (the least recently reported is forgotten first).
 */

const MINUTE_MS = 60_000;
/** Label sets kept at most. */
const MAX_SOURCES = 10_000;

export interface LimitUsageSource {
  readonly labels: Readonly<{ consumer: string; route: string; limit: string }>;
  /** The highest share (0..1) reported at or after `since` (ms); 0 when none. */
  peakSince(since: number): number;
}

class Source implements LimitUsageSource {
  /** Highest share by minute number (epoch ms / 60000). */
  readonly minutes = new Map<number, number>();
  constructor(readonly labels: Readonly<{ consumer: string; route: string; limit: string }>) {}

  peakSince(since: number): number {
    const first = Math.floor(since / MINUTE_MS);
    let peak = 0;
    for (const [minute, used] of this.minutes) if (minute >= first && used > peak) peak = used;
    return peak;
  }
}

export class LimitUsage {
  readonly #sources = new Map<string, Source>();

  /** `retainSeconds`: the longest window the rule reads. */
  constructor(private readonly retainSeconds: number) {}

  /** One report: `used` is the share of the limit's burst spent (1: refused). */
  record(route: string, limit: string, consumer: string, used: number, now: number): void {
    const key = `${consumer}\u0000${route}\u0000${limit}`;
    let source = this.#sources.get(key);
    if (source) this.#sources.delete(key);
    else source = new Source({ consumer, route, limit });
    // Re-inserted: the map's order is least recently reported first.
    this.#sources.set(key, source);
    const minute = Math.floor(now / MINUTE_MS);
    source.minutes.set(minute, Math.max(source.minutes.get(minute) ?? 0, used));
    if (this.#sources.size > MAX_SOURCES) this.#sources.delete(this.#sources.keys().next().value!);
  }

  /** The label sets, for the rule; minutes past the retention are dropped first. */
  sources(now: number): Iterable<LimitUsageSource> {
    const first = Math.floor((now - this.retainSeconds * 1000) / MINUTE_MS);
    for (const [key, source] of this.#sources) {
      for (const minute of source.minutes.keys()) if (minute < first) source.minutes.delete(minute);
      if (source.minutes.size === 0) this.#sources.delete(key);
    }
    return this.#sources.values();
  }
}
