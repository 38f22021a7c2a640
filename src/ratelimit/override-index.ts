/**
 * Every rate-limit override, in memory, so a limit check never queries the store. Loaded at start
 * and kept current by following the store's change feed, like the key index: an override set
 * through the admin API takes effect on every node within about one poll interval, without a
 * restart. If the store cannot be reached the last overrides keep applying, and that is logged.
 */
import type { Logger } from '../observability/logger.js';
import type { ChangeFeed } from '../store/repositories.js';
import type { RateLimitOverride, RateLimitOverrideRepository } from '../store/rate-limit-overrides.js';

/** What a limit check asks: the numbers that replace a limit's, for this principal, if any. */
export interface OverrideLookup {
  find(limitName: string, consumerId: string | undefined, credentialId: string | undefined): RateLimitOverride | undefined;
}

const OUTAGE_LOG_INTERVAL_MS = 30_000;

export class OverrideIndex implements OverrideLookup {
  readonly #bySubject = new Map<string, RateLimitOverride>();
  readonly #byId = new Map<string, string>();
  #revision = 0;
  #timer: NodeJS.Timeout | undefined;
  #refreshing: Promise<void> | undefined;
  #down = false;
  #downLoggedAt = 0;

  constructor(
    private readonly overrides: RateLimitOverrideRepository,
    private readonly feed: ChangeFeed,
    private readonly options: { pollIntervalMs: number; logger: Logger },
  ) {}

  get size(): number {
    return this.#bySubject.size;
  }

  async load(): Promise<void> {
    const revision = await this.feed.latestRevision();
    for (const override of await this.overrides.list()) this.#put(override);
    this.#revision = revision;
    await this.refresh();
  }

  start(): void {
    this.#timer = setInterval(() => void this.refresh(), this.options.pollIntervalMs);
    this.#timer.unref();
  }

  async stop(): Promise<void> {
    clearInterval(this.#timer);
    await this.#refreshing;
  }

  refresh(): Promise<void> {
    this.#refreshing ??= this.#applyChanges().finally(() => (this.#refreshing = undefined));
    return this.#refreshing;
  }

  /** A key's own override wins over its consumer's. */
  find(limitName: string, consumerId: string | undefined, credentialId: string | undefined): RateLimitOverride | undefined {
    if (this.#bySubject.size === 0) return undefined;
    return (credentialId === undefined ? undefined : this.#bySubject.get(subjectKey('api_key', credentialId, limitName))) ?? (consumerId === undefined ? undefined : this.#bySubject.get(subjectKey('consumer', consumerId, limitName)));
  }

  async #applyChanges(): Promise<void> {
    try {
      for (;;) {
        const batch = await this.feed.since(this.#revision);
        if (batch.revision === this.#revision) break;
        const ids = batch.changed.rate_limit_override;
        if (ids.length > 0) {
          const found = await this.overrides.listByIds(ids);
          const present = new Set(found.map((override) => override.id));
          for (const id of ids) if (!present.has(id)) this.#remove(id);
          for (const override of found) this.#put(override);
        }
        this.#revision = batch.revision;
        if (batch.complete) break;
      }
      if (this.#down) this.options.logger.info({ event: 'ratelimit.overrides_store_recovered' }, 'store reachable again: following rate-limit overrides');
      this.#down = false;
    } catch (error) {
      const now = Date.now();
      if (!this.#down || now - this.#downLoggedAt >= OUTAGE_LOG_INTERVAL_MS) {
        this.#downLoggedAt = now;
        this.options.logger.error({ event: 'ratelimit.overrides_store_unreachable', err: { message: (error as Error).message } }, 'store unreachable: the last known rate-limit overrides keep applying');
      }
      this.#down = true;
    }
  }

  #put(override: RateLimitOverride): void {
    this.#remove(override.id);
    const key = subjectKey(override.subjectType, override.subjectId, override.limitName);
    this.#bySubject.set(key, override);
    this.#byId.set(override.id, key);
  }

  #remove(id: string): void {
    const key = this.#byId.get(id);
    if (key === undefined) return;
    this.#byId.delete(id);
    if (this.#bySubject.get(key)?.id === id) this.#bySubject.delete(key);
  }
}

function subjectKey(type: string, id: string, limitName: string): string {
  return `${type}\u0000${id}\u0000${limitName}`;
}
