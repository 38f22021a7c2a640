/**
 * Every rate-limit override, in memory, so a limit check never queries the store: a projection of
 * the node's one change follower (store/change-follower.ts). An override set through the admin API
 * takes effect on every node within a second, without a restart; if the store cannot be reached the
 * last overrides keep applying (the follower logs it).
 */
import type { OverrideLookup } from '../core/rate-limit.js';
import type { ChangeSet } from '../store/change-feed.js';
import type { Install, Projection } from '../store/change-follower.js';
import type { RateLimitOverride, RateLimitOverrideRepository } from '../store/rate-limit-overrides.js';

export class OverrideIndex implements OverrideLookup, Projection {
  readonly name = 'rate-limit-overrides';
  readonly entities = ['rate_limit_override'] as const;
  #bySubject = new Map<string, RateLimitOverride>();
  #byId = new Map<string, string>();

  constructor(private readonly overrides: RateLimitOverrideRepository) {}

  get size(): number {
    return this.#bySubject.size;
  }

  async loadSnapshot(): Promise<Install> {
    const all = await this.overrides.list();
    return () => {
      this.#bySubject = new Map();
      this.#byId = new Map();
      for (const override of all) this.#put(override);
    };
  }

  async apply(changed: ChangeSet): Promise<Install> {
    const ids = changed.rate_limit_override;
    const found = await this.overrides.listByIds(ids);
    return () => {
      const present = new Set(found.map((override) => override.id));
      for (const id of ids) if (!present.has(id)) this.#remove(id);
      for (const override of found) this.#put(override);
    };
  }

  /** A key's own override wins over its consumer's. */
  find(limitName: string, consumerId: string | undefined, credentialId: string | undefined): RateLimitOverride | undefined {
    if (this.#bySubject.size === 0) return undefined;
    return (credentialId === undefined ? undefined : this.#bySubject.get(subjectKey('api_key', credentialId, limitName))) ?? (consumerId === undefined ? undefined : this.#bySubject.get(subjectKey('consumer', consumerId, limitName)));
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
