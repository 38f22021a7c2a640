/**
 * The built-in authorization server's state, in memory on every node: OAuth clients, their
 * consumers, signing keys (private halves decrypted only here) and revoked tokens. Loaded at start
 * and kept current by following the store's change feed, like the API key index: a revoked client
 * or token stops working on every node within about one poll interval, and neither token
 * verification nor client authentication queries the store. It is also the key source auth-jwt
 * uses for this issuer (IssuerKeys), with revocation as an extra check.
 */
import { timingSafeEqual } from 'node:crypto';
import { createLocalJWKSet, errors, importJWK, type CryptoKey, type FlattenedJWSInput, type JWK, type JWSHeaderParameters, type JWTPayload } from 'jose';
import type { Clock } from '../core/clock.js';
import type { IssuerKeys, TokenConsumer } from '../core/services.js';
import type { Logger } from '../observability/logger.js';
import type { OAuthClientRecord, OAuthClientRepository, SigningKeyRecord, SigningKeyRepository, TokenRevocationRepository } from '../store/oauth-repositories.js';
import type { ChangeFeed, Consumer, ConsumerRepository } from '../store/repositories.js';
import type { KeyEncryption } from './key-encryption.js';

export interface StateClient {
  readonly id: string;
  readonly consumerId: string;
  readonly secretHash: Buffer | null;
  readonly previousSecretHash: Buffer | null;
  readonly previousSecretExpiresAt: number | null;
  /** For private_key_jwt: jose's key selector over the client's registered public keys. */
  readonly jwks: ReturnType<typeof createLocalJWKSet> | null;
  readonly scopes: readonly string[];
  readonly active: boolean;
}

export interface StateSigningKey {
  readonly kid: string;
  readonly algorithm: string;
  readonly publicJwk: JWK;
  readonly publicKey: CryptoKey;
  readonly privateKey: CryptoKey;
  readonly active: boolean;
  readonly createdAt: number;
  readonly publishUntil: number | null;
}

export interface OAuthStateOptions {
  readonly pollIntervalMs: number;
  readonly encryption: KeyEncryption;
  readonly logger: Logger;
  readonly clock: Clock;
}

/**
 * A new signing key is in the JWKS this long before it signs: longer than this server's JWKS
 * max-age (60 s) and than auth-jwt's default refresh (300 s, refreshed at 90 %), so caches fetch
 * it ahead instead of meeting an unknown kid.
 */
export const PUBLISH_AHEAD_MS = 5 * 60_000;

/** a replaced b: made later, or in the same millisecond and still active (b was retired for it). */
function newer(a: StateSigningKey, b: StateSigningKey): boolean {
  return a.createdAt > b.createdAt || (a.createdAt === b.createdAt && a.active && !b.active);
}
const OUTAGE_LOG_INTERVAL_MS = 30000;
const UNKNOWN_KID_REFRESH_MS = 1000;

export class OAuthState implements IssuerKeys {
  readonly #clients = new Map<string, StateClient>();
  readonly #consumers = new Map<string, { name: string; active: boolean }>();
  readonly #keys = new Map<string, StateSigningKey>();
  readonly #revoked = new Map<string, number>();
  #revision = 0;
  #timer: NodeJS.Timeout | undefined;
  #refreshing: Promise<void> | undefined;
  #outageSince: number | undefined;
  #outageLoggedAt = 0;
  #unknownKidRefreshAt = Number.NEGATIVE_INFINITY;

  constructor(
    private readonly repos: { consumers: ConsumerRepository; clients: OAuthClientRepository; signingKeys: SigningKeyRepository; revocations: TokenRevocationRepository; feed: ChangeFeed },
    private readonly options: OAuthStateOptions,
  ) {}

  get revision(): number {
    return this.#revision;
  }

  async load(): Promise<void> {
    const revision = await this.repos.feed.latestRevision();
    for (const consumer of await this.repos.consumers.list()) this.#putConsumer(consumer);
    for (const client of await this.repos.clients.list()) this.#putClient(client);
    for (const key of await this.repos.signingKeys.list()) await this.#putKey(key);
    for (const token of await this.repos.revocations.listLive()) this.#revoked.set(token.jti, token.expiresAt);
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

  client(id: string): StateClient | undefined {
    return this.#clients.get(id);
  }

  consumerActive(id: string): boolean {
    return this.#consumers.get(id)?.active === true;
  }

  /** Compares a presented secret's hash with the client's current (or, within grace, previous) one. */
  secretMatches(client: StateClient, presentedHash: Buffer, now: number): boolean {
    const equal = (stored: Buffer | null) => stored !== null && stored.length === presentedHash.length && timingSafeEqual(stored, presentedHash);
    // Both compared every time, so timing does not tell which one matched.
    const current = equal(client.secretHash);
    const previous = equal(client.previousSecretHash) && client.previousSecretExpiresAt !== null && client.previousSecretExpiresAt > now;
    return current || previous;
  }

  /**
   * The key new tokens are signed with: the newest published key of the current algorithm that
   * has been in the JWKS for PUBLISH_AHEAD_MS, so verifiers that cache the JWKS already hold it
   * when its first token arrives; until a new key is that old, the key it replaced keeps signing.
   * The very first key (nothing to fall back on) signs at once. `now` in epoch milliseconds.
   */
  signingKey(now = this.options.clock.now()): StateSigningKey | undefined {
    let newest: StateSigningKey | undefined;
    for (const key of this.#keys.values()) if (key.active && (!newest || key.createdAt > newest.createdAt)) newest = key;
    if (!newest) return undefined;
    let ready: StateSigningKey | undefined;
    let longestPublished: StateSigningKey | undefined;
    for (const key of this.#keys.values()) {
      const published = key.active || (key.publishUntil !== null && key.publishUntil > now);
      // A changed signingAlgorithm takes effect at once: no fallback to a key of the old one.
      if (!published || key.algorithm !== newest.algorithm) continue;
      if (!longestPublished || newer(longestPublished, key)) longestPublished = key;
      if (key.createdAt <= now - PUBLISH_AHEAD_MS && (!ready || newer(key, ready))) ready = key;
    }
    // None published long enough yet (a rotation soon after another, or after start): the one
    // published longest, which is what verifiers are likeliest to hold.
    return ready ?? longestPublished ?? newest;
  }

  /** Keys in the JWKS: active ones, and retired ones until the tokens they signed have expired. */
  publishedKeys(now: number): StateSigningKey[] {
    return [...this.#keys.values()].filter((key) => key.active || (key.publishUntil !== null && key.publishUntil > now)).sort((a, b) => b.createdAt - a.createdAt);
  }

  isRevoked(jti: string): boolean {
    return this.#revoked.has(jti);
  }

  async getKey(header: JWSHeaderParameters, _token: FlattenedJWSInput): Promise<CryptoKey> {
    const now = this.options.clock.now();
    let key = this.#publishedKey(header, now);
    // Another node may have rotated the key a moment ago (before this node's next poll): follow
    // the change feed now, but at most once per UNKNOWN_KID_REFRESH_MS, so random kids cannot
    // turn into a store query per request.
    if (!key && header.kid !== undefined && !this.#keys.has(header.kid) && now - this.#unknownKidRefreshAt >= UNKNOWN_KID_REFRESH_MS) {
      this.#unknownKidRefreshAt = now;
      await this.refresh();
      key = this.#publishedKey(header, now);
    }
    if (!key) throw new errors.JWKSNoMatchingKey();
    return key.publicKey;
  }

  #publishedKey(header: JWSHeaderParameters, now: number): StateSigningKey | undefined {
    const key = header.kid === undefined ? undefined : this.#keys.get(header.kid);
    if (!key || key.algorithm !== header.alg) return undefined;
    return key.active || (key.publishUntil !== null && key.publishUntil > now) ? key : undefined;
  }

  resolveConsumer(payload: JWTPayload): TokenConsumer {
    if (typeof payload.jti === 'string' && this.#revoked.has(payload.jti)) return { ok: false, reason: 'token_revoked' };
    const client = typeof payload.client_id === 'string' ? this.#clients.get(payload.client_id) : undefined;
    if (!client?.active) return { ok: false, reason: 'client_revoked' };
    const consumer = this.#consumers.get(client.consumerId);
    if (!consumer?.active) return { ok: false, reason: 'consumer_disabled' };
    return { ok: true, consumerId: client.consumerId, consumerName: consumer.name };
  }

  async #applyChanges(): Promise<void> {
    try {
      for (;;) {
        const batch = await this.repos.feed.since(this.#revision);
        if (batch.revision === this.#revision) break;
        const [consumers, clients, keys, revoked] = await Promise.all([
          this.repos.consumers.listByIds(batch.changed.consumer),
          this.repos.clients.listByIds(batch.changed.oauth_client),
          this.repos.signingKeys.listByIds(batch.changed.signing_key),
          this.repos.revocations.listByIds(batch.changed.revoked_token),
        ]);
        for (const consumer of consumers) this.#putConsumer(consumer);
        for (const client of clients) this.#putClient(client);
        for (const key of keys) await this.#putKey(key);
        for (const token of revoked) this.#revoked.set(token.jti, token.expiresAt);
        this.#revision = batch.revision;
        if (batch.complete) break;
      }
      this.#dropExpiredRevocations();
      if (this.#outageSince !== undefined) {
        this.options.logger.info({ event: 'store.reachable_again', component: 'oauth' }, 'store reachable again: OAuth changes are followed again');
        this.#outageSince = undefined;
      }
    } catch (error) {
      const now = this.options.clock.now();
      if (this.#outageSince === undefined) this.#outageSince = now;
      else if (now - this.#outageLoggedAt < OUTAGE_LOG_INTERVAL_MS) return;
      this.#outageLoggedAt = now;
      this.options.logger.error({ event: 'store.unreachable', component: 'oauth', err: error }, 'store unreachable: OAuth clients, keys and revocations as last loaded');
    }
  }

  #dropExpiredRevocations(): void {
    const now = this.options.clock.now();
    for (const [jti, expiresAt] of this.#revoked) if (expiresAt <= now) this.#revoked.delete(jti);
  }

  #putConsumer(consumer: Consumer): void {
    this.#consumers.set(consumer.id, { name: consumer.name, active: consumer.status === 'active' });
  }

  #putClient(record: OAuthClientRecord): void {
    this.#clients.set(record.id, {
      id: record.id,
      consumerId: record.consumerId,
      secretHash: record.secretHash === null ? null : Buffer.from(record.secretHash, 'hex'),
      previousSecretHash: record.previousSecretHash === null ? null : Buffer.from(record.previousSecretHash, 'hex'),
      previousSecretExpiresAt: record.previousSecretExpiresAt,
      jwks: record.jwks === null ? null : createLocalJWKSet(record.jwks as { keys: JWK[] }),
      scopes: Object.freeze([...record.scopes]),
      active: record.status === 'active',
    });
  }

  async #putKey(record: SigningKeyRecord): Promise<void> {
    try {
      const privateJwk = JSON.parse(this.options.encryption.decrypt(record.privateJwkEncrypted, record.id)) as JWK;
      this.#keys.set(record.id, {
        kid: record.id,
        algorithm: record.algorithm,
        publicJwk: record.publicJwk as JWK,
        publicKey: (await importJWK(record.publicJwk as JWK, record.algorithm)) as CryptoKey,
        privateKey: (await importJWK(privateJwk, record.algorithm)) as CryptoKey,
        active: record.status === 'active',
        createdAt: record.createdAt,
        publishUntil: record.publishUntil,
      });
    } catch (error) {
      // Wrong oauth.signingKeySecret, or a tampered row: never sign or verify with it.
      this.options.logger.error({ event: 'oauth.signing_key_unusable', kid: record.id, error: (error as Error).message }, 'a signing key cannot be decrypted: check oauth.signingKeySecret');
    }
  }
}
