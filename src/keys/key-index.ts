/**
 * Every API key, in memory, so that authentication never queries the store per request: a
 * projection of the node's one change follower (store/change-follower.ts), loaded in pages at
 * start and kept current from the change feed, so a new key, a revocation or a rotation reaches
 * every node within a second. Consumers are not held here: verification asks the node's one
 * consumer directory, which JWT and mTLS authentication ask too.
 *
 * A partner sends the same key with every request, and the full check (shape, SHA-256 checksum,
 * HMAC with the pepper, constant-time compare) is most of what key authentication costs, so a
 * success is remembered for a short time (VERIFIED_TTL_MS, at most VERIFIED_MAX_ENTRIES entries)
 * under the SHA-256 digest of the presented key, never the key itself. A remembered success only
 * stands in for the hash check: it holds the index entry it matched, and the index replaces an
 * entry whenever its key changes (revoked, rotated, reloaded), so a changed key is a miss and
 * fully checked again; status, expiry (against the caller's clock) and the consumer are checked on
 * every request, hit or miss. A revocation is therefore refused from the moment it reaches the index.
 */
import { SYSTEM_ACTOR } from '../core/actor.js';
import type { Clock } from '../core/clock.js';
import type { ApiKeyPrincipal, ApiKeyVerdict, ApiKeyVerifier, ConsumerDirectory } from '../core/services.js';
import type { Logger } from '../observability/logger.js';
import type { ChangeSet } from '../store/change-feed.js';
import type { Install, Projection } from '../store/change-follower.js';
import type { ApiKeyRecord, ApiKeyRepository, VerificationRow } from '../store/repositories.js';
import type { Store } from '../store/store.js';
import { hash, timingSafeEqual } from 'node:crypto';
import { VerifiedTokenCache } from '../jwt/verified-token-cache.js';
import { hashApiKeyDigest, parseApiKey } from './api-key-format.js';
import { DAY_MS, keyAgeStanding, type OrganisationKeyAgePolicy } from './key-age-policy.js';

interface IndexedKey {
  /** The 32 HMAC bytes as a one-byte-per-char string: half the memory of hex, for a million keys. */
  readonly hash: string;
  readonly consumerId: string;
  readonly scopes: readonly string[];
  readonly revoked: boolean;
  readonly expiresAt: number | null;
  /** Creation time (ms) and whether a rotation replaced it: the key-age rule reads both (usableKeys). */
  readonly createdAt: number;
  readonly replaced: boolean;
}

/** A key that still authenticates, as the key-age rule sees it: never its hash. */
export interface UsableKey {
  readonly id: string;
  readonly consumerId: string;
  /** ms since the epoch. */
  readonly createdAt: number;
}

/** The key-age policy verification applies: the organisation's days and, when enforced, the grace. */
export interface KeyIndexAgePolicy extends OrganisationKeyAgePolicy {
  /** `apiKeys.enforcement.mode: expire`: a key this many days past its policy's end is refused as expired. */
  readonly enforceGraceDays?: number | undefined;
}

export interface KeyIndexOptions {
  readonly pepper: string;
  readonly lastUsedFlushMs: number;
  /** Last-used times are written as the gateway's own unit of work (no change rows). */
  readonly store: Store;
  readonly logger: Logger;
  readonly clock: Clock;
  /** With it, verification tells which keys are in their warn window (and refuses keys past an enforced policy). */
  readonly agePolicy?: KeyIndexAgePolicy | undefined;
  /** Where successes are remembered (default: VERIFIED_TTL_MS, VERIFIED_MAX_ENTRIES); tests pass their own to look inside. */
  readonly verified?: VerifiedTokenCache<VerifiedKey>;
}

const PAGE_SIZE = 5000;
/** How long a verified key skips the hash check: short, as a bound on any mistake here. */
export const VERIFIED_TTL_MS = 60_000;
export const VERIFIED_MAX_ENTRIES = 10_000;

/** A success remembered under the key's digest: the index entry it matched, by identity. */
interface VerifiedKey {
  readonly id: string;
  readonly key: IndexedKey;
}

export class KeyIndex implements ApiKeyVerifier, Projection {
  readonly name = 'api-keys';
  readonly entities = ['api_key'] as const;
  #keys = new Map<string, IndexedKey>();
  /**
   * Identical scope lists share one frozen array, looked up by their stored JSON text (so a load
   * does not parse a million copies of the same list): keys rarely have many distinct scope sets.
   */
  readonly #scopeSets = new Map<string, readonly string[]>();
  /** One string per consumer id, shared by all of its keys. */
  readonly #consumerIds = new Map<string, string>();
  #pendingLastUsed = new Map<string, number>();
  #flushTimer: NodeJS.Timeout | undefined;
  readonly #verified: VerifiedTokenCache<VerifiedKey>;

  constructor(
    private readonly consumers: ConsumerDirectory,
    private readonly keys: ApiKeyRepository,
    private readonly options: KeyIndexOptions,
  ) {
    this.#verified = options.verified ?? new VerifiedTokenCache<VerifiedKey>(VERIFIED_TTL_MS, VERIFIED_MAX_ENTRIES);
  }

  get size(): number {
    return this.#keys.size;
  }

  /** Reads every key in pages of PAGE_SIZE; the install swaps the whole index at once. */
  async loadSnapshot(): Promise<Install> {
    const all = new Map<string, IndexedKey>();
    let after = '';
    for (;;) {
      const page = await this.keys.verificationPage(after, PAGE_SIZE);
      for (const row of page) this.#putRow(all, row);
      if (page.length < PAGE_SIZE) break;
      after = page[page.length - 1]!.id;
    }
    return () => {
      this.#keys = all;
    };
  }

  async apply(changed: ChangeSet): Promise<Install> {
    const found = await this.keys.listByIds(changed.api_key);
    return () => {
      for (const key of found) this.#putKey(key);
    };
  }

  /** Starts flushing last-used times every `lastUsedFlushMs`. */
  start(): void {
    this.#flushTimer = setInterval(() => void this.flushLastUsed(), this.options.lastUsedFlushMs);
    this.#flushTimer.unref();
  }

  async stop(): Promise<void> {
    clearInterval(this.#flushTimer);
    await this.flushLastUsed();
  }

  verify(candidate: string, now: number): ApiKeyVerdict {
    // SHA-256 of a key with ~143 random bits: the cache never holds anything a key can be read from.
    const digest = hash('sha256', candidate, 'base64');
    const remembered = this.#verified.get(digest, now);
    let id: string;
    let key: IndexedKey;
    if (remembered !== undefined && this.#keys.get(remembered.id) === remembered.key) {
      ({ id, key } = remembered);
    } else {
      const parsed = parseApiKey(candidate);
      if (!parsed.ok) return { ok: false, reason: 'malformed' };
      // The hash is computed for unknown ids too, so timing does not tell which ids exist.
      const presented = hashApiKeyDigest(candidate, this.options.pepper);
      const found = this.#keys.get(parsed.id);
      if (!found) return { ok: false, reason: 'unknown' };
      const stored = Buffer.from(found.hash, 'latin1');
      if (stored.length !== presented.length || !timingSafeEqual(stored, presented)) return { ok: false, reason: 'mismatch' };
      id = parsed.id;
      key = found;
      // Only a matching key is remembered, and only its match: the checks below run every time.
      if (!found.revoked) this.#verified.set(digest, { id, key }, now, found.expiresAt ?? Number.POSITIVE_INFINITY);
    }
    if (key.revoked) return { ok: false, reason: 'revoked', keyId: id };
    if (key.expiresAt !== null && key.expiresAt <= now) return { ok: false, reason: 'expired' };
    const consumer = this.consumers.consumer(key.consumerId);
    if (!consumer?.active) return { ok: false, reason: 'consumer_disabled' };
    const agePolicy = this.options.agePolicy;
    if (agePolicy === undefined) return { ok: true, principal: { keyId: id, consumerId: key.consumerId, consumerName: consumer.name, scopes: key.scopes } };
    // In memory, on the caller's clock: the consumer's policy comes from the directory's metadata.
    const standing = keyAgeStanding(key, consumer.apiKeys === undefined ? undefined : { apiKeys: consumer.apiKeys }, agePolicy, now);
    // Enforcement: the lead node's sweep records the expiry; every node refuses from the same instant.
    if (agePolicy.enforceGraceDays !== undefined && now >= standing.expiresAt + agePolicy.enforceGraceDays * DAY_MS) return { ok: false, reason: 'expired' };
    const principal: ApiKeyPrincipal = { keyId: id, consumerId: key.consumerId, consumerName: consumer.name, scopes: key.scopes, ...(now >= standing.warnFrom ? { warnExpiresAt: standing.expiresAt } : {}) };
    return { ok: true, principal };
  }

  /**
   * Every key that authenticates at `now` and was not replaced by a rotation (one in its grace
   * period is on its way out): not revoked, not expired. A walk over the whole index, for the
   * alert engine's key_age rule once per evaluation interval, never per request.
   */
  *usableKeys(now: number): Generator<UsableKey> {
    for (const [id, key] of this.#keys) {
      if (key.revoked || key.replaced || (key.expiresAt !== null && key.expiresAt <= now)) continue;
      yield { id, consumerId: key.consumerId, createdAt: key.createdAt };
    }
  }

  markUsed(keyId: string, now: number): void {
    this.#pendingLastUsed.set(keyId, now);
  }

  async flushLastUsed(): Promise<void> {
    if (this.#pendingLastUsed.size === 0) return;
    const batch = this.#pendingLastUsed;
    this.#pendingLastUsed = new Map();
    try {
      await this.options.store.write(SYSTEM_ACTOR, 'api_key.record_last_used', (tx) => this.keys.recordLastUsed(tx, batch));
    } catch (error) {
      // Keep the times for the next flush rather than lose them.
      for (const [id, at] of batch) if (!this.#pendingLastUsed.has(id)) this.#pendingLastUsed.set(id, at);
      this.options.logger.warn({ event: 'keys.last_used_flush_failed', keys: batch.size, err: error }, 'could not record key last-used times; will retry');
    }
  }

  #putKey(key: ApiKeyRecord): void {
    this.#put(this.#keys, key.id, key.consumerId, key.hash, JSON.stringify(key.scopes), key.status === 'revoked', key.expiresAt, key.createdAt, key.replacedBy !== null);
  }

  #putRow(into: Map<string, IndexedKey>, row: VerificationRow): void {
    this.#put(into, row.id, row.consumer_id, row.hash, row.scopes, row.status === 'revoked', row.expires_at, row.created_at, row.replaced_by !== null);
  }

  #put(into: Map<string, IndexedKey>, id: string, consumerId: string, hash: string, scopesJson: string, revoked: boolean, expiresAt: number | null, createdAt: number, replaced: boolean): void {
    let sharedConsumerId = this.#consumerIds.get(consumerId);
    if (sharedConsumerId === undefined) this.#consumerIds.set(consumerId, (sharedConsumerId = consumerId));
    let scopes = this.#scopeSets.get(scopesJson);
    if (!scopes) this.#scopeSets.set(scopesJson, (scopes = Object.freeze(JSON.parse(scopesJson) as string[])));
    into.set(id, { hash: Buffer.from(hash, 'hex').toString('latin1'), consumerId: sharedConsumerId, scopes, revoked, expiresAt: expiresAt === null ? null : Number(expiresAt), createdAt: Number(createdAt), replaced });
  }
}
