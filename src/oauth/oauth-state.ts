/**
 * The built-in authorization server's state, in memory on every node: OAuth clients, signing keys
 * (private halves decrypted only here) and revoked tokens. A projection of the node's one change
 * follower (store/change-follower.ts): a revoked client or token, or a rotated key, reaches every
 * node within a second, and neither token verification nor client authentication queries the
 * store. Consumers come from the node's one consumer directory, shared with API key auth. It is
 * also the key source auth-jwt uses for this issuer (IssuerKeys), with revocation as an extra check.
 */
import { timingSafeEqual } from 'node:crypto';
import { createLocalJWKSet, errors, importJWK, type CryptoKey, type FlattenedJWSInput, type JWK, type JWSHeaderParameters, type JWTPayload } from 'jose';
import type { Clock } from '../core/clock.js';
import type { ConsumerDirectory, IssuerKeys, TokenConsumer } from '../core/services.js';
import type { Logger } from '../observability/logger.js';
import type { OAuthClientRecord, OAuthClientRepository, SigningKeyRecord, SigningKeyRepository, TokenRevocationRepository } from '../store/oauth-repositories.js';
import type { ChangeSet } from '../store/change-feed.js';
import type { Install, Projection } from '../store/change-follower.js';
import type { SigningKeySealer } from './signing-key-sealer.js';

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
  /** The follower's catch-up: after a local write, and for an unknown kid (bounded). */
  readonly catchUp: () => Promise<void>;
  readonly sealer: SigningKeySealer;
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
const UNKNOWN_KID_REFRESH_MS = 1000;

export class OAuthState implements IssuerKeys, Projection {
  readonly name = 'oauth';
  readonly entities = ['oauth_client', 'signing_key', 'revoked_token'] as const;
  #clients = new Map<string, StateClient>();
  #keys = new Map<string, StateSigningKey>();
  #revoked = new Map<string, number>();
  #unknownKidRefreshAt = Number.NEGATIVE_INFINITY;

  constructor(
    private readonly repos: { consumers: ConsumerDirectory; clients: OAuthClientRepository; signingKeys: SigningKeyRepository; revocations: TokenRevocationRepository },
    private readonly options: OAuthStateOptions,
  ) {}

  async loadSnapshot(): Promise<Install> {
    const [clients, keys, revoked] = await Promise.all([this.repos.clients.list(), this.repos.signingKeys.list(), this.repos.revocations.listLive()]);
    const usable = await this.#usableKeys(keys);
    return () => {
      this.#clients = new Map(clients.map((client) => [client.id, stateClient(client)]));
      this.#keys = new Map(usable.map((key) => [key.kid, key]));
      this.#revoked = new Map(revoked.map((token) => [token.jti, token.expiresAt]));
    };
  }

  async apply(changed: ChangeSet): Promise<Install> {
    const [clients, keys, revoked] = await Promise.all([
      this.repos.clients.listByIds(changed.oauth_client),
      this.repos.signingKeys.listByIds(changed.signing_key),
      this.repos.revocations.listByIds(changed.revoked_token),
    ]);
    const usable = await this.#usableKeys(keys);
    return () => {
      for (const client of clients) this.#clients.set(client.id, stateClient(client));
      for (const key of usable) this.#keys.set(key.kid, key);
      for (const token of revoked) this.#revoked.set(token.jti, token.expiresAt);
      this.#dropExpiredRevocations();
    };
  }

  /** Applies committed changes now (after a local write): the follower's catch-up. */
  refresh(): Promise<void> {
    return this.options.catchUp();
  }

  client(id: string): StateClient | undefined {
    return this.#clients.get(id);
  }

  consumerActive(id: string): boolean {
    return this.repos.consumers.consumer(id)?.active === true;
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
    const consumer = this.repos.consumers.consumer(client.consumerId);
    if (!consumer?.active) return { ok: false, reason: 'consumer_disabled' };
    return { ok: true, consumerId: client.consumerId, consumerName: consumer.name };
  }

  #dropExpiredRevocations(): void {
    const now = this.options.clock.now();
    for (const [jti, expiresAt] of this.#revoked) if (expiresAt <= now) this.#revoked.delete(jti);
  }

  /** Decrypts and imports each key; one that cannot be (wrong secret, tampered row) is left out. */
  async #usableKeys(records: readonly SigningKeyRecord[]): Promise<StateSigningKey[]> {
    const usable: StateSigningKey[] = [];
    for (const record of records) {
      try {
        const privateJwk = JSON.parse(await this.options.sealer.open(record.privateJwkEncrypted, record.id)) as JWK;
        usable.push({
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
        // Wrong oauth.signingKeySecret or KEK, or a tampered row: never sign or verify with it.
        this.options.logger.error({ event: 'oauth.signing_key_unusable', kid: record.id, error: (error as Error).message }, 'a signing key cannot be decrypted: check the vault KEKs and oauth.signingKeySecret');
      }
    }
    return usable;
  }
}

function stateClient(record: OAuthClientRecord): StateClient {
  return {
    id: record.id,
    consumerId: record.consumerId,
    secretHash: record.secretHash === null ? null : Buffer.from(record.secretHash, 'hex'),
    previousSecretHash: record.previousSecretHash === null ? null : Buffer.from(record.previousSecretHash, 'hex'),
    previousSecretExpiresAt: record.previousSecretExpiresAt,
    jwks: record.jwks === null ? null : createLocalJWKSet(record.jwks as { keys: JWK[] }),
    scopes: Object.freeze([...record.scopes]),
    active: record.status === 'active',
  };
}
