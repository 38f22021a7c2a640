/**
 * Every API key and consumer, in memory, so that authentication never queries the store per
 * request. Loaded in pages at start, then kept current by following the store's change feed
 * (a revision poll, every `pollIntervalMs`): a new key, a revocation, a rotation or a disabled
 * consumer reaches every node within about one poll interval. If the store cannot be reached,
 * the last snapshot keeps serving, and that is logged (never silent) until the store is back.
 */
import type { Clock } from '../core/clock.js';
import type { ApiKeyPrincipal, ApiKeyVerdict, ApiKeyVerifier } from '../core/services.js';
import type { Logger } from '../observability/logger.js';
import type { ApiKeyRecord, ApiKeyRepository, ChangeFeed, Consumer, ConsumerRepository } from '../store/repositories.js';
import { hashApiKey, hashesEqual, parseApiKey } from './api-key-format.js';

interface IndexedKey {
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

const PAGE_SIZE = 20000;
/** While the store stays unreachable, repeat the error at most this often. */
const OUTAGE_LOG_INTERVAL_MS = 30000;

export class KeyIndex implements ApiKeyVerifier {
  readonly #keys = new Map<string, IndexedKey>();
  readonly #consumers = new Map<string, IndexedConsumer>();
  /** Identical scope lists share one frozen array: a million keys rarely have a million scope sets. */
  readonly #scopeSets = new Map<string, readonly string[]>();
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
      const page = await this.keys.page(after, PAGE_SIZE);
      for (const key of page) this.#putKey(key);
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
      const batch = await this.feed.since(this.#revision);
      if (batch.revision === this.#revision) return this.#storeReachable();
      const [consumers, keys] = await Promise.all([this.consumers.listByIds(batch.consumerIds), this.keys.listByIds(batch.apiKeyIds)]);
      for (const consumer of consumers) this.#putConsumer(consumer);
      for (const key of keys) this.#putKey(key);
      this.#revision = batch.revision;
      this.#storeReachable();
    } catch (error) {
      this.#storeUnreachable(error);
    }
  }

  verify(candidate: string, now: number): ApiKeyVerdict {
    const parsed = parseApiKey(candidate);
    if (!parsed.ok) return { ok: false, reason: 'malformed' };
    const key = this.#keys.get(parsed.id);
    if (!key) return { ok: false, reason: 'unknown' };
    if (!hashesEqual(key.hash, hashApiKey(candidate, this.options.pepper))) return { ok: false, reason: 'mismatch' };
    if (key.revoked) return { ok: false, reason: 'revoked' };
    if (key.expiresAt !== null && key.expiresAt <= now) return { ok: false, reason: 'expired' };
    const consumer = this.#consumers.get(key.consumerId);
    if (!consumer?.active) return { ok: false, reason: 'consumer_disabled' };
    const principal: ApiKeyPrincipal = { keyId: parsed.id, consumerId: key.consumerId, consumerName: consumer.name, scopes: key.scopes };
    return { ok: true, principal };
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
    this.#keys.set(key.id, { hash: key.hash, consumerId: key.consumerId, scopes: this.#intern(key.scopes), revoked: key.status === 'revoked', expiresAt: key.expiresAt });
  }

  #intern(scopes: string[]): readonly string[] {
    const signature = scopes.join(' ');
    let shared = this.#scopeSets.get(signature);
    if (!shared) this.#scopeSets.set(signature, (shared = Object.freeze([...scopes])));
    return shared;
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
