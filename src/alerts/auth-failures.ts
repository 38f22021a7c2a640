/**
 * 401/403 answers per consumer and per client IP, counted in memory per minute for the
 * auth_failure_spike rule (each source against its own baseline). The request path does one map
 * lookup and one addition per refused request, nothing for the others; the number of sources is
 * bounded (the least recently failing is forgotten first), so a scan over many addresses cannot
 * grow it without limit.
 */

const MINUTE_MS = 60_000;
/** Sources kept at most. */
const MAX_SOURCES = 10_000;
/** Request ids kept per source, for finding the requests in the logs. */
export const AUTH_FAILURE_SAMPLES = 5;

class Source {
  /** Counts by minute number (epoch ms / 60000). */
  readonly minutes = new Map<number, number>();
  readonly recentIds: string[] = [];
  constructor(readonly labels: Readonly<Record<string, string>>) {}

  countSince(since: number): number {
    const first = Math.floor(since / MINUTE_MS);
    let total = 0;
    for (const [minute, count] of this.minutes) if (minute >= first) total += count;
    return total;
  }

  samples(): readonly string[] {
    return this.recentIds;
  }
}

export class AuthFailureCounts {
  readonly #sources = new Map<string, Source>();

  /** `retainSeconds`: the longest window plus baseline a rule reads. */
  constructor(private retainSeconds: number) {}

  setRetention(seconds: number): void {
    this.retainSeconds = seconds;
  }

  /**
   * Counts `count` refused requests (one by default), for their consumer when it was identified,
   * else for their client IP; `requestIds`: one, or a few of them (a worker's coalesced signal).
   */
  record(consumer: string | undefined, clientIp: string, requestIds: string | readonly string[] | undefined, now: number, count = 1): void {
    const key = consumer !== undefined ? `c:${consumer}` : `ip:${clientIp}`;
    let source = this.#sources.get(key);
    if (source) this.#sources.delete(key);
    else source = new Source(consumer !== undefined ? { consumer } : { client_ip: clientIp });
    // Re-inserted: the map's order is least recently failing first.
    this.#sources.set(key, source);
    const minute = Math.floor(now / MINUTE_MS);
    source.minutes.set(minute, (source.minutes.get(minute) ?? 0) + count);
    if (requestIds !== undefined) {
      source.recentIds.push(...(typeof requestIds === 'string' ? [requestIds] : requestIds));
      if (source.recentIds.length > AUTH_FAILURE_SAMPLES) source.recentIds.splice(0, source.recentIds.length - AUTH_FAILURE_SAMPLES);
    }
    if (this.#sources.size > MAX_SOURCES) this.#sources.delete(this.#sources.keys().next().value!);
  }

  /** The sources, for the rule; old minutes are dropped first. */
  sources(now: number): ReadonlyMap<string, Source> {
    const first = Math.floor((now - this.retainSeconds * 1000) / MINUTE_MS);
    for (const [key, source] of this.#sources) {
      for (const minute of source.minutes.keys()) if (minute < first) source.minutes.delete(minute);
      if (source.minutes.size === 0) this.#sources.delete(key);
    }
    return this.#sources;
  }
}
