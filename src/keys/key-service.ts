/**
 * Issuing and managing API keys: what the admin API and CLI call. A new key is returned once, in
 * the clear, to the caller; only its keyed hash is stored. Each change is a unit of work of the
 * caller's actor (recorded as the key's `createdBy` and in the change row).
 */
import type { Actor } from '../core/actor.js';
import type { Clock } from '../core/clock.js';
import type { ApiKeyRecord, ApiKeyRepository, PageRequest } from '../store/repositories.js';
import type { Store } from '../store/store.js';
import { generateApiKey, hashApiKey } from './api-key-format.js';
import { DAY_MS, keyAgeStanding, keyMaxAgeDays } from './key-age-policy.js';

export interface KeyPolicy {
  pepper: string;
  product: string;
  environment: string;
  maxAgeDays: number;
  warnAgeDays: number;
}

export interface NewKeyRequest {
  consumerId: string;
  name: string;
  scopes: string[];
  /** Days until expiry; capped at the consumer's key-age policy (keyMaxAgeDays), which is also the default. */
  expiresInDays?: number;
  environment?: string;
}

/** A key as shown to operators: never the hash, never the key; flags for age and state. */
export interface KeyView {
  id: string;
  consumerId: string;
  name: string;
  environment: string;
  scopes: string[];
  status: 'active' | 'revoked' | 'expired';
  expiresAt: string | null;
  createdBy: string;
  createdAt: string;
  lastUsedAt: string | null;
  replacedBy: string | null;
  revokedAt: string | null;
  /** Older than its consumer's warn age (its effective maxAgeDays minus the warn window): rotate it. */
  pastWarningAge: boolean;
  /** When the key ends: its expiry or the end of its consumer's age policy, whichever is sooner. */
  policyExpiresAt: string;
}

/** Filters of a key listing beside the consumer (`keys list --expiring 30d --older-than 90d`). */
export interface KeyFilter {
  consumerId?: string | undefined;
  /** Only active keys that end (policyExpiresAt) within this many days from now, or have already passed their policy. */
  expiringWithinDays?: number | undefined;
  /** Only active keys created more than this many days ago. */
  olderThanDays?: number | undefined;
}

export class KeyLifetimeError extends Error {}

/** Reads a consumer's metadata (where a per-consumer key-age policy lives); throws NotFoundError. */
export interface ConsumerMetadataSource {
  get(id: string): Promise<{ metadata: Record<string, unknown> }>;
}

export class KeyService {
  constructor(
    private readonly store: Store,
    private readonly keys: ApiKeyRepository,
    private readonly policy: KeyPolicy,
    private readonly clock: Clock,
    private readonly consumers: ConsumerMetadataSource,
  ) {}

  async create(actor: Actor, request: NewKeyRequest): Promise<{ key: string; view: KeyView }> {
    const expiresAt = await this.#expiry(request.consumerId, request.expiresInDays);
    const issued = generateApiKey(this.policy.product, request.environment ?? this.policy.environment);
    const key = {
      id: issued.id,
      consumerId: request.consumerId,
      name: request.name,
      environment: request.environment ?? this.policy.environment,
      hash: hashApiKey(issued.key, this.policy.pepper),
      scopes: request.scopes,
      expiresAt,
    };
    const record = await this.store.write(actor, 'api_key.create', (tx) => this.keys.insert(tx, key));
    return { key: issued.key, view: await this.#view(record) };
  }

  /** A new key for the same consumer, name and scopes; the old one works until the grace deadline. */
  async rotate(actor: Actor, oldId: string, options: { graceSeconds: number; expiresInDays?: number }): Promise<{ key: string; view: KeyView; old: KeyView }> {
    const old = await this.keys.get(oldId);
    const expiresAt = await this.#expiry(old.consumerId, options.expiresInDays);
    const issued = generateApiKey(this.policy.product, old.environment);
    const replacementKey = {
      id: issued.id,
      consumerId: old.consumerId,
      name: old.name,
      environment: old.environment,
      hash: hashApiKey(issued.key, this.policy.pepper),
      scopes: old.scopes,
      expiresAt,
    };
    const graceUntil = this.clock.now() + options.graceSeconds * 1000;
    const { old: updated, replacement } = await this.store.write(actor, 'api_key.rotate', (tx) => this.keys.rotate(tx, oldId, replacementKey, graceUntil));
    const metadata = this.#metadataOf();
    return { key: issued.key, view: await this.#view(replacement, metadata), old: await this.#view(updated, metadata) };
  }

  async revoke(actor: Actor, id: string): Promise<KeyView> {
    return this.#view(await this.store.write(actor, 'api_key.revoke', (tx) => this.keys.revoke(tx, id)));
  }

  async get(id: string): Promise<KeyView> {
    return this.#view(await this.keys.get(id));
  }

  async list(filter: KeyFilter = {}): Promise<KeyView[]> {
    const metadata = this.#metadataOf();
    const views: KeyView[] = [];
    for (const record of await this.keys.list(filter.consumerId === undefined ? {} : { consumerId: filter.consumerId })) {
      const view = await this.#view(record, metadata);
      if (this.#matches(view, filter)) views.push(view);
    }
    return views;
  }

  /**
   * One page of keys in id order (the admin API's cursor pagination): up to `page.limit` keys that
   * pass the filter. The age filters depend on each consumer's policy, so store pages are read
   * until the page is full or the keys run out; the cursor stays the last returned id.
   */
  async page(filter: KeyFilter, page: PageRequest): Promise<KeyView[]> {
    const metadata = this.#metadataOf();
    const found: KeyView[] = [];
    let after = page.after;
    for (;;) {
      const records = await this.keys.page({ consumerId: filter.consumerId }, { after, limit: page.limit });
      for (const record of records) {
        const view = await this.#view(record, metadata);
        if (this.#matches(view, filter)) found.push(view);
        if (found.length === page.limit) return found;
      }
      if (records.length < page.limit) return found;
      after = records[records.length - 1]!.id;
    }
  }

  /** A key as shown, with the key-age policy of `metadata` (its consumer's), or of the organisation when not given. */
  view(record: ApiKeyRecord, metadata?: Readonly<Record<string, unknown>>): KeyView {
    const now = this.clock.now();
    const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());
    const expired = record.expiresAt !== null && record.expiresAt <= now;
    const standing = keyAgeStanding(record, metadata, this.policy, now);
    return {
      id: record.id,
      consumerId: record.consumerId,
      name: record.name,
      environment: record.environment,
      scopes: record.scopes,
      status: record.status === 'revoked' ? 'revoked' : expired ? 'expired' : 'active',
      expiresAt: iso(record.expiresAt),
      createdBy: record.createdBy,
      createdAt: iso(record.createdAt)!,
      lastUsedAt: iso(record.lastUsedAt),
      replacedBy: record.replacedBy,
      revokedAt: iso(record.revokedAt),
      pastWarningAge: record.status !== 'revoked' && !expired && standing.pastWarningAge,
      policyExpiresAt: iso(standing.expiresAt)!,
    };
  }

  #matches(view: KeyView, filter: KeyFilter): boolean {
    if (filter.expiringWithinDays === undefined && filter.olderThanDays === undefined) return true;
    const now = this.clock.now();
    // Age filters are about keys still in use: a revoked or expired key needs no rotation. A key
    // past its policy but not expired (no enforcement) still works, so it is listed.
    if (view.status !== 'active') return false;
    if (filter.expiringWithinDays !== undefined && Date.parse(view.policyExpiresAt) > now + filter.expiringWithinDays * DAY_MS) return false;
    if (filter.olderThanDays !== undefined && now - Date.parse(view.createdAt) <= filter.olderThanDays * DAY_MS) return false;
    return true;
  }

  /** Each consumer's metadata read once per call (a listing shows many keys of few consumers). */
  #metadataOf(): (consumerId: string) => Promise<Readonly<Record<string, unknown>>> {
    const read = new Map<string, Promise<Readonly<Record<string, unknown>>>>();
    return (consumerId) => {
      let metadata = read.get(consumerId);
      if (metadata === undefined) read.set(consumerId, (metadata = this.consumers.get(consumerId).then((consumer) => consumer.metadata)));
      return metadata;
    };
  }

  async #view(record: ApiKeyRecord, metadataOf = this.#metadataOf()): Promise<KeyView> {
    return this.view(record, await metadataOf(record.consumerId));
  }

  /** The consumer's policy bounds a key's life: the default, and the cap of an asked-for lifetime. */
  async #expiry(consumerId: string, days: number | undefined): Promise<number> {
    const { metadata } = await this.consumers.get(consumerId);
    const maxAgeDays = keyMaxAgeDays(metadata, this.policy.maxAgeDays);
    if (days !== undefined && (days <= 0 || days > maxAgeDays)) {
      throw new KeyLifetimeError(`expiresInDays must be between 1 and ${maxAgeDays} (the key-age policy of consumer ${consumerId}: apiKeys.maxAgeDays)`);
    }
    return this.clock.now() + (days ?? maxAgeDays) * DAY_MS;
  }
}
