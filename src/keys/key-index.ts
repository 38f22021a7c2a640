/**
 * Every API key and consumer, in memory, so that authentication never queries the store per
 * request. Loaded in pages at start, then kept current by following the store's change feed
 * (a revision poll, every `pollIntervalMs`): a new key, a revocation, a rotation or a disabled
 * consumer reaches every node within about one poll interval. If the store cannot be reached,
 * the last snapshot keeps serving, and that is logged (never silent) until the store is back.
 */
import type { Clock } from '../core/clock.js';
import type { ApiKeyPrincipal, ApiKeyVerdict, ApiKeyVerifier, ConsumerDirectory } from '../core/services.js';
import type { Logger } from '../observability/logger.js';
import type { ApiKeyRecord, ApiKeyRepository, ChangeFeed, Consumer, ConsumerRepository, VerificationRow } from '../store/repositories.js';
import { timingSafeEqual } from 'node:crypto';
import { hashApiKeyDigest, parseApiKey } from './api-key-format.js';

interface IndexedKey {
  /** The 32 HMAC bytes as a one-byte-per-char string: half the memory of hex, for a million keys. */
  readonly hash: string;
  readonly consumerId: string;
  readonly scopes: readonly string[];
  readonly revoked: boolean;
  readonly expiresAt: number | null;
}

interface IndexedConsumer {
  readonly name: string;
  readonly active: boolean;
}

export interface KeyIndexOptions {
  readonly pepper: string;
  readonly pollIntervalMs: number;
  readonly lastUsedFlushMs: number;
  readonly logger: Logger;
  readonly clock: Clock;
}

const PAGE_SIZE = 5000;
/** While the store stays unreachable, repeat the error at most this often. */
const OUTAGE_LOG_INTERVAL_MS = 30000;

export class KeyIndex implements ApiKeyVerifier, ConsumerDirectory {
  readonly #keys = new Map<string, IndexedKey>();
  readonly #consumers = new Map<string, IndexedConsumer>();
  /**
   * Identical scope lists share one frozen array, looked up by their stored JSON text (so a load
   * does not parse a million copies of the same list): keys rarely have many distinct scope sets.
   */
  readonly #scopeSets = new Map<string, readonly string[]>();
  /** One string per consumer id, shared by all of its keys. */
  readonly #consumerIds = new Map<string, string>();
  #pendingLastUsed = new Map<string, number>();
  #revision = 0;
  #pollTimer: NodeJS.Timeout | undefined;
  #flushTimer: NodeJS.Timeout | undefined;
  #refreshing: Promise<void> | undefined;
  #outageSince: number | undefined;
  #outageLoggedAt = 0;

  constructor(
    private readonly consumers: ConsumerRepository,
    private readonly keys: ApiKeyRepository,
    private readonly feed: ChangeFeed,
    private readonly options: KeyIndexOptions,
  ) {}

  get revision(): number {
    return this.#revision;
  }

  get size(): number {
    return this.#keys.size;
  }

  /** Loads everything. The revision is read first, so writes made during the load are replayed. */
  async load(): Promise<void> {
    const revision = await this.feed.latestRevision();
    for (const consumer of await this.consumers.list()) this.#putConsumer(consumer);
    let after = '';
    for (;;) {
      const page = await this.keys.verificationPage(after, PAGE_SIZE);
      for (const row of page) this.#putRow(row);
      if (page.length < PAGE_SIZE) break;
      after = page[page.length - 1]!.id;
    }
    this.#revision = revision;
    await this.refresh();
  }

  /** Starts following the change feed and flushing last-used times. */
  start(): void {
    this.#pollTimer = setInterval(() => void this.refresh(), this.options.pollIntervalMs);
    this.#flushTimer = setInterval(() => void this.flushLastUsed(), this.options.lastUsedFlushMs);
    this.#pollTimer.unref();
    this.#flushTimer.unref();
  }

  async stop(): Promise<void> {
    clearInterval(this.#pollTimer);
    clearInterval(this.#flushTimer);
    await this.#refreshing;
    await this.flushLastUsed();
  }

  /** Applies whatever changed since the last revision seen. Concurrent calls share one refresh. */
  refresh(): Promise<void> {
    this.#refreshing ??= this.#applyChanges().finally(() => (this.#refreshing = undefined));
    return this.#refreshing;
  }

  async #applyChanges(): Promise<void> {
    try {
      // Page by page, each applied before the revision moves on: a failure mid-way resumes there.
      for (;;) {
        const batch = await this.feed.since(this.#revision);
        if (batch.revision === this.#revision) break;
        const [consumers, keys] = await Promise.all([this.consumers.listByIds(batch.changed.consumer), this.keys.listByIds(batch.changed.api_key)]);
        for (const consumer of consumers) this.#putConsumer(consumer);
        for (const key of keys) this.#putKey(key);
        this.#revision = batch.revision;
        if (batch.complete) break;
      }
      this.#storeReachable();
    } catch (error) {
      this.#storeUnreachable(error);
    }
  }

  verify(candidate: string, now: number): ApiKeyVerdict {
    const parsed = parseApiKey(candidate);
    if (!parsed.ok) return { ok: false, reason: 'malformed' };
    // The hash is computed for unknown ids too, so timing does not tell which ids exist.
    const presented = hashApiKeyDigest(candidate, this.options.pepper);
    const key = this.#keys.get(parsed.id);
    if (!key) return { ok: false, reason: 'unknown' };
    const stored = Buffer.from(key.hash, 'latin1');
    if (stored.length !== presented.length || !timingSafeEqual(stored, presented)) return { ok: false, reason: 'mismatch' };
    if (key.revoked) return { ok: false, reason: 'revoked' };
    if (key.expiresAt !== null && key.expiresAt <= now) return { ok: false, reason: 'expired' };
    const consumer = this.#consumers.get(key.consumerId);
    if (!consumer?.active) return { ok: false, reason: 'consumer_disabled' };
    const principal: ApiKeyPrincipal = { keyId: parsed.id, consumerId: key.consumerId, consumerName: consumer.name, scopes: key.scopes };
    return { ok: true, principal };
  }

  consumer(id: string): { readonly name: string; readonly active: boolean } | undefined {
    return this.#consumers.get(id);
  }

  markUsed(keyId: string, now: number): void {
    this.#pendingLastUsed.set(keyId, now);
  }

  async flushLastUsed(): Promise<void> {
    if (this.#pendingLastUsed.size === 0) return;
    const batch = this.#pendingLastUsed;
    this.#pendingLastUsed = new Map();
    try {
      await this.keys.recordLastUsed(batch);
    } catch (error) {
      // Keep the times for the next flush rather than lose them.
      for (const [id, at] of batch) if (!this.#pendingLastUsed.has(id)) this.#pendingLastUsed.set(id, at);
      this.options.logger.warn({ event: 'keys.last_used_flush_failed', keys: batch.size, err: error }, 'could not record key last-used times; will retry');
    }
  }

  #putConsumer(consumer: Consumer): void {
    this.#consumers.set(consumer.id, { name: consumer.name, active: consumer.status === 'active' });
  }

  #putKey(key: ApiKeyRecord): void {
    this.#put(key.id, key.consumerId, key.hash, JSON.stringify(key.scopes), key.status === 'revoked', key.expiresAt);
  }

  #putRow(row: VerificationRow): void {
    this.#put(row.id, row.consumer_id, row.hash, row.scopes, row.status === 'revoked', row.expires_at);
  }

  #put(id: string, consumerId: string, hash: string, scopesJson: string, revoked: boolean, expiresAt: number | null): void {
    let sharedConsumerId = this.#consumerIds.get(consumerId);
    if (sharedConsumerId === undefined) this.#consumerIds.set(consumerId, (sharedConsumerId = consumerId));
    let scopes = this.#scopeSets.get(scopesJson);
    if (!scopes) this.#scopeSets.set(scopesJson, (scopes = Object.freeze(JSON.parse(scopesJson) as string[])));
    this.#keys.set(id, { hash: Buffer.from(hash, 'hex').toString('latin1'), consumerId: sharedConsumerId, scopes, revoked, expiresAt: expiresAt === null ? null : Number(expiresAt) });
  }

  #storeReachable(): void {
    if (this.#outageSince === undefined) return;
    this.options.logger.info({ event: 'store.reachable_again', outageMs: this.options.clock.now() - this.#outageSince, revision: this.#revision }, 'store reachable again: key changes are followed again');
    this.#outageSince = undefined;
  }

  #storeUnreachable(error: unknown): void {
    const now = this.options.clock.now();
    if (this.#outageSince === undefined) this.#outageSince = now;
    else if (now - this.#outageLoggedAt < OUTAGE_LOG_INTERVAL_MS) return;
    this.#outageLoggedAt = now;
    this.options.logger.error(
      { event: 'store.unreachable', since: new Date(this.#outageSince).toISOString(), revision: this.#revision, err: error },
      'store unreachable: serving the last loaded keys; revocations made meanwhile are not seen until it is back',
    );
  }
}
