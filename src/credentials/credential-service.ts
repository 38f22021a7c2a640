/**
 * The upstream credential service (issue 19 §4, §5): what the upstream-auth policy injects. Static
 * credentials resolve their secret reference per use; OAuth credentials serve their access token
 * from memory while it is valid beyond the refresh skew, and otherwise refresh it: one refresh in
 * flight per credential on a node (single flight), one across nodes (the Redis lock), and the
 * tokens stored sealed with a fencing check, so other nodes adopt them instead of asking again.
 *
 * A token past its expiry is never handed out: when none can be had the request gets 503
 * `upstream.credential_unavailable`, logged (`credentials.unavailable`) and counted. A token
 * endpoint that refuses the grant or the client for good revokes the credential (no endless
 * retries); repeated 401/403 from the upstream quarantine it. Each change goes through the store.
 */
import type { Actor } from '../core/actor.js';
import { SYSTEM_ACTOR } from '../core/actor.js';
import type { Clock } from '../core/clock.js';
import { GatewayError } from '../core/errors.js';
import type { ConsumerDirectory } from '../core/services.js';
import type { InjectedCredential, UpstreamCredentialSource } from '../core/upstream-credentials.js';
import type { Logger } from '../observability/logger.js';
import type { StoreAction } from '../store/actions.js';
import type { Store } from '../store/store.js';
import type { UpstreamCredentialStatus } from '../store/tables.js';
import { StaleTokenVersionError, type UpstreamCredentialRepository, type UpstreamCredentialRow } from '../store/upstream-credentials.js';
import { blockedReason, type LifecycleDefaults } from './lifecycle.js';
import type { RefreshLock } from './refresh-lock.js';
import { UnresolvedSecretError, type SecretResolver } from './secret-resolver.js';
import type { OAuthCredentialSettings, StaticCredentialSettings } from './settings.js';
import type { CachedTokens, CredentialEntry, TokenCache } from './token-cache.js';
import { GrantRefusedError, type ObtainedTokens, type TokenClient } from './token-client.js';
import type { TokenSealer } from './token-sealer.js';

/** A token must have at least this long left to be sent at all (it has to survive the trip). */
export const SEND_MARGIN_MS = 2_000;
/** While another node holds the refresh lock, look at the store this often for its tokens. */
const LOCK_POLL_MS = 50;
/** A credential's last error is stored at most this often per message and node. */
const ERROR_WRITE_INTERVAL_MS = 60_000;

export interface CredentialServiceOptions {
  readonly refreshSkewSeconds: number;
  readonly lockWaitMs: number;
  readonly quarantineAfter: number;
  readonly lifecycle: LifecycleDefaults;
}

export interface CredentialServiceDeps {
  readonly store: Store;
  readonly repository: UpstreamCredentialRepository;
  readonly cache: TokenCache;
  readonly tokens: TokenClient;
  readonly sealer: TokenSealer;
  readonly secrets: SecretResolver;
  readonly lock: RefreshLock;
  readonly clock: Clock;
  readonly logger: Logger;
  readonly count: { unavailable(credential: string, reason: string): void; tokenRequest(credential: string, outcome: 'ok' | 'refused' | 'failed' | 'fenced'): void };
  /** Consumers from memory: a credential serving a disabled consumer is refused at once on every node. */
  readonly consumers?: ConsumerDirectory | undefined;
  /** Notes a use (the last-used time, written in batches). */
  readonly used: (credentialId: string, at: number) => void;
}

/**
 * Why no token can be had; `reason` is the label of the log line and the counter. `final`: the
 * token in hand must not be sent either (the upstream refused it, the credential is blocked);
 * otherwise a token still before its expiry is, while the cause is fixed.
 */
class Unavailable extends Error {
  constructor(
    readonly reason: string,
    message: string,
    readonly final = true,
  ) {
    super(message);
  }
}

export class CredentialService implements UpstreamCredentialSource {
  /** Per credential: the last error this node stored, and when (see #recordError). */
  readonly #errorsWritten = new Map<string, { message: string; at: number }>();

  constructor(
    private readonly options: CredentialServiceOptions,
    private readonly deps: CredentialServiceDeps,
  ) {}

  async inject(name: string, request: { readonly forceAfterVersion?: number | undefined } = {}): Promise<InjectedCredential> {
    try {
      const entry = this.deps.cache.entry(name);
      if (!entry) throw new Unavailable('unknown', 'no upstream credential of this name');
      const now = this.deps.clock.now();
      const blocked = this.#blocked(entry.row, now);
      if (blocked) throw new Unavailable(blocked, `the credential is ${blocked}`);
      const injected = entry.row.kind === 'static' ? await this.#static(entry) : await this.#token(entry, request.forceAfterVersion);
      this.deps.used(entry.row.id, now);
      return injected;
    } catch (error) {
      throw this.#unavailable(name, error);
    }
  }

  reportStatus(name: string, status: number): void {
    const entry = this.deps.cache.entry(name);
    if (!entry) return;
    if (status !== 401 && status !== 403) {
      if (status < 400) entry.rejects = 0;
      return;
    }
    entry.rejects++;
    this.deps.logger.warn({ event: 'credentials.upstream_rejected', credential: name, status, consecutive: entry.rejects }, 'the upstream refused a request carrying an upstream credential');
    if (entry.rejects < this.options.quarantineAfter || entry.quarantining || entry.row.status !== 'active') return;
    entry.quarantining = true;
    void this.setStatus(entry.row.name, 'quarantined', `upstream_${status}`, SYSTEM_ACTOR)
      .catch((error) => this.deps.logger.warn({ event: 'credentials.refresh_failed', credential: name, reason: 'quarantine_not_stored', err: String(error) }, 'the quarantine could not be stored'))
      .finally(() => (entry.quarantining = false));
  }

  /**
   * Revokes, quarantines, releases or expires a credential through the store (audited), and at
   * once on this node (other nodes follow the change feed).
   */
  async setStatus(idOrName: string, status: UpstreamCredentialStatus, reason: string, actor: Actor): Promise<UpstreamCredentialRow> {
    const action: StoreAction = status === 'active' ? 'upstream_credential.release' : status === 'quarantined' ? 'upstream_credential.quarantine' : status === 'revoked' ? 'upstream_credential.revoke' : 'upstream_credential.expire';
    const row = await this.deps.store.write(actor, action, async (tx) => {
      const current = await this.deps.repository.get(idOrName, tx.db);
      await this.deps.repository.setStatus(tx, current.id, status, status === 'active' ? null : reason);
      return this.deps.repository.get(current.id, tx.db);
    });
    const entry = this.deps.cache.adopt(row);
    entry.rejects = 0;
    const fields = { credential: row.name, reason, actor: `${actor.kind}:${actor.id}` };
    if (status === 'revoked') this.deps.logger.warn({ event: 'credentials.revoked', ...fields }, 'upstream credential revoked');
    else if (status === 'quarantined') this.deps.logger.warn({ event: 'credentials.quarantined', ...fields }, 'upstream credential quarantined');
    else if (status === 'expired') this.deps.logger.warn({ event: 'credentials.expired', ...fields }, 'upstream credential expired');
    else this.deps.logger.info({ event: 'credentials.released', ...fields }, 'upstream credential released');
    return row;
  }

  /** Revokes every credential that serves `consumerId` (the consumer was disabled). */
  async revokeForConsumer(consumerId: string, actor: Actor): Promise<number> {
    let revoked = 0;
    for (const row of await this.deps.repository.list()) {
      if (row.consumerId !== consumerId || (row.status !== 'active' && row.status !== 'quarantined')) continue;
      await this.setStatus(row.id, 'revoked', 'consumer_disabled', actor);
      revoked++;
    }
    return revoked;
  }

  /** `credentials refresh`: a new token now, whatever the cached one's age. Returns its expiry. */
  async refreshNow(idOrName: string): Promise<{ expiresAt: number | undefined; version: number }> {
    const row = await this.deps.repository.get(idOrName);
    const entry = await this.deps.cache.adoptOpened(row);
    if (row.kind === 'static') throw new GatewayError('admin.conflict', { detail: 'a static credential has no token to refresh' });
    const reason = this.#blocked(row, this.deps.clock.now());
    if (reason) throw new GatewayError('admin.conflict', { detail: `the credential is ${reason}` });
    const current = this.deps.cache.current(entry);
    try {
      const tokens = await this.#refreshOnce(entry, current?.version ?? row.tokenVersion);
      return { expiresAt: tokens.expiresAt, version: tokens.version };
    } catch (error) {
      // The same answer as on the data plane (503 with the reason logged), never a 500.
      throw this.#unavailable(row.name, error);
    }
  }

  /**
   * Stores tokens an operator obtained (`credentials authorize`, `set-refresh-token`): a refresh
   * token, and the access token if one came with it. Bumps the version like any refresh.
   */
  async storeOperatorTokens(idOrName: string, tokens: { refreshToken: string; accessToken?: string | undefined; expiresAt?: number | undefined }, actor: Actor): Promise<number> {
    return this.deps.store.write(actor, 'upstream_credential.store_tokens', async (tx) => {
      const row = await this.deps.repository.get(idOrName, tx.db);
      if (row.kind !== 'refresh_token') throw new GatewayError('admin.conflict', { detail: 'only a refresh_token credential takes a refresh token' });
      const stored = { refreshToken: tokens.refreshToken, accessToken: tokens.accessToken, expiresAt: tokens.expiresAt };
      const sealed = await this.deps.sealer.seal(stored, row.id, row.tokenVersion + 1);
      return this.deps.repository.storeTokens(tx, row.id, row.tokenVersion, () => sealed, tokens.expiresAt ?? null);
    });
  }

  async #static(entry: CredentialEntry): Promise<InjectedCredential> {
    const settings = entry.row.settings as StaticCredentialSettings;
    let secret: string;
    try {
      secret = await this.deps.secrets.reveal(settings.secret);
    } catch (error) {
      throw new Unavailable('secret_unavailable', error instanceof Error ? error.message : String(error));
    }
    switch (settings.scheme) {
      case 'bearer':
        return { header: (settings.header ?? 'authorization').toLowerCase(), value: `Bearer ${secret}`, version: 0 };
      case 'basic':
        return { header: (settings.header ?? 'authorization').toLowerCase(), value: `Basic ${Buffer.from(`${settings.username!}:${secret}`).toString('base64')}`, version: 0 };
      case 'header':
        return { header: settings.header!.toLowerCase(), value: secret, version: 0 };
    }
  }

  async #token(entry: CredentialEntry, forceAfterVersion: number | undefined): Promise<InjectedCredential> {
    const current = this.deps.cache.current(entry);
    if (this.#usable(current, forceAfterVersion, true)) return this.#header(entry, current!);
    if (forceAfterVersion === undefined && this.#usable(current, undefined, false)) {
      // Inside the skew but not expired: refresh ahead in the background, no request waits for it
      // (a failure is logged by the refresh; the next request tries again).
      this.#refreshOnce(entry, undefined).catch(() => {});
      return this.#header(entry, current!);
    }
    try {
      return this.#header(entry, await this.#refreshOnce(entry, forceAfterVersion));
    } catch (error) {
      // The refresh failed, but the token in hand is still good to send (inside the skew, not past
      // its expiry): use it while the endpoint recovers. Never when the upstream refused it.
      const still = this.deps.cache.current(entry);
      if (forceAfterVersion === undefined && !(error instanceof Unavailable && error.final) && this.#usable(still, undefined, false)) return this.#header(entry, still!);
      throw error;
    }
  }

  /** One refresh per credential in flight on this node; everyone else waits on it. */
  #refreshOnce(entry: CredentialEntry, forceAfterVersion: number | undefined): Promise<CachedTokens> {
    entry.inflight ??= this.#refresh(entry, forceAfterVersion).finally(() => (entry.inflight = undefined));
    return entry.inflight;
  }

  async #refresh(entry: CredentialEntry, forceAfterVersion: number | undefined): Promise<CachedTokens> {
    const deadline = performance.now() + this.options.lockWaitMs;
    for (;;) {
      const lock = await this.deps.lock.tryAcquire(entry.row.id);
      if (lock.state === 'busy') {
        // Another node is refreshing: its tokens will be in the store.
        await new Promise((resolve) => setTimeout(resolve, LOCK_POLL_MS));
        const adopted = await this.#adoptStored(entry, forceAfterVersion);
        if (adopted) return adopted;
        if (performance.now() > deadline) throw new Unavailable('lock_wait', 'another node held the refresh lock and stored no token in time');
        continue;
      }
      if (lock.state === 'unavailable') this.deps.logger.warn({ event: 'credentials.lock_unavailable', credential: entry.row.name, reason: lock.reason }, 'the cross-node refresh lock cannot be had: refreshing under this node\'s single flight');
      try {
        // Under the lock, read again: the node before us may have just stored fresh tokens.
        const adopted = await this.#adoptStored(entry, forceAfterVersion);
        if (adopted) return adopted;
        return await this.#obtain(entry);
      } finally {
        if (lock.state === 'held') await lock.release();
      }
    }
  }

  /** Re-reads the row; returns its tokens when they are fresh (and newer than a refused version). */
  async #adoptStored(entry: CredentialEntry, forceAfterVersion: number | undefined): Promise<CachedTokens | undefined> {
    const row = await this.deps.repository.get(entry.row.id);
    await this.deps.cache.adoptOpened(row);
    const reason = this.#blocked(entry.row, this.deps.clock.now());
    if (reason) throw new Unavailable(reason, `the credential is ${reason}`);
    const tokens = this.deps.cache.current(entry);
    if (!this.#usable(tokens, forceAfterVersion, true)) return undefined;
    this.deps.logger.debug({ event: 'credentials.token_adopted', credential: row.name, tokenVersion: tokens!.version }, 'took the tokens stored for an upstream credential');
    return tokens;
  }

  async #obtain(entry: CredentialEntry): Promise<CachedTokens> {
    const row = entry.row;
    const settings = row.settings as unknown as OAuthCredentialSettings;
    const previous = this.deps.cache.current(entry);
    let obtained: ObtainedTokens;
    try {
      if (row.kind === 'refresh_token') {
        if (!previous?.refreshToken) throw new Unavailable('not_authorized', 'no refresh token yet: run `portcullis credentials authorize` or `set-refresh-token`');
        obtained = await this.deps.tokens.refresh(settings, previous.refreshToken);
      } else {
        obtained = await this.deps.tokens.clientCredentials(settings);
      }
    } catch (error) {
      if (error instanceof UnresolvedSecretError) {
        // A secret the token request needs (client secret, private_key_jwt key, mTLS key) is gone
        // from the vault or the environment: no request was made. Not final: a token obtained
        // before stays good to send until its expiry.
        this.deps.logger.warn({ event: 'credentials.refresh_failed', credential: row.name, reason: 'secret_unavailable', detail: error.message }, 'a secret an upstream credential needs for its token request cannot be read');
        await this.#recordError(row.id, error.message);
        throw new Unavailable('secret_unavailable', error.message, false);
      }
      if (error instanceof GrantRefusedError) {
        this.deps.count.tokenRequest(row.name, 'refused');
        // Final for this grant or client (RFC 6749 §5.2): revoke rather than retry for ever.
        await this.setStatus(row.id, 'revoked', error.error, SYSTEM_ACTOR);
        throw new Unavailable('revoked', `the token endpoint answered ${error.error}`);
      }
      if (!(error instanceof Unavailable)) {
        const reason = error instanceof Error ? error.message : String(error);
        this.deps.count.tokenRequest(row.name, 'failed');
        this.deps.logger.warn({ event: 'credentials.refresh_failed', credential: row.name, reason }, 'a token request for an upstream credential failed');
        await this.#recordError(row.id, reason);
      }
      throw error;
    }
    // A provider that issues no new refresh token keeps the old one valid (RFC 6749 §6).
    const stored = { accessToken: obtained.accessToken, tokenType: obtained.tokenType, expiresAt: obtained.expiresAt, refreshToken: obtained.refreshToken ?? previous?.refreshToken };
    try {
      // Sealed for the version the fenced UPDATE writes (storeTokens: expected + 1).
      const sealed = await this.deps.sealer.seal(stored, row.id, row.tokenVersion + 1);
      const version = await this.deps.store.write(SYSTEM_ACTOR, 'upstream_credential.store_tokens', (tx) => this.deps.repository.storeTokens(tx, row.id, row.tokenVersion, () => sealed, obtained.expiresAt));
      entry.tokens = { ...stored, version };
      entry.row = { ...entry.row, tokenVersion: version, updatedAt: Math.max(entry.row.updatedAt, this.deps.clock.now()) };
      this.deps.count.tokenRequest(row.name, 'ok');
      this.deps.logger.info({ event: 'credentials.token_obtained', credential: row.name, grant: row.kind, expiresInSeconds: obtained.expiresInSeconds, tokenVersion: version }, 'upstream credential obtained a token');
      return entry.tokens;
    } catch (error) {
      if (!(error instanceof StaleTokenVersionError)) throw error;
      // Another node stored newer tokens while our lock lapsed: keep theirs, never overwrite.
      this.deps.count.tokenRequest(row.name, 'fenced');
      this.deps.logger.warn({ event: 'credentials.refresh_fenced', credential: row.name, tokenVersion: row.tokenVersion }, 'a newer token was stored meanwhile: kept it');
      const adopted = await this.#adoptStored(entry, undefined);
      if (adopted) return adopted;
      throw new Unavailable('fenced', 'a newer token was stored meanwhile and is not usable');
    }
  }

  /**
   * Stores the failure as the credential's last error (`credentials show`): at most once a
   * minute per credential and message on this node, so an endpoint that is down costs no write
   * per request. A store that fails here changes nothing about the answer.
   */
  async #recordError(id: string, message: string): Promise<void> {
    const now = this.deps.clock.now();
    const last = this.#errorsWritten.get(id);
    if (last && last.message === message && now - last.at < ERROR_WRITE_INTERVAL_MS) return;
    this.#errorsWritten.set(id, { message, at: now });
    await this.deps.store.write(SYSTEM_ACTOR, 'upstream_credential.record_error', (tx) => this.deps.repository.recordError(tx, id, message)).catch((error: unknown) => this.deps.logger.warn({ event: 'credentials.refresh_failed', credentialId: id, reason: 'last_error_not_stored', err: error instanceof Error ? error.message : String(error) }, 'the last error of an upstream credential could not be stored'));
  }

  /** Why the credential may not be used now (status, time, its consumer disabled), or undefined. */
  #blocked(row: UpstreamCredentialRow, now: number): string | undefined {
    const reason = blockedReason(row, now, this.options.lifecycle);
    if (reason) return reason;
    if (row.consumerId !== null && this.deps.consumers?.consumer(row.consumerId)?.active === false) return 'consumer_disabled';
    return undefined;
  }

  /** Fresh enough to send: beyond the skew (`withSkew`) or at least beyond the send margin, and newer than a refused version. */
  #usable(tokens: CachedTokens | undefined, forceAfterVersion: number | undefined, withSkew: boolean): boolean {
    if (!tokens?.accessToken || tokens.expiresAt === undefined) return false;
    if (forceAfterVersion !== undefined && tokens.version <= forceAfterVersion) return false;
    const margin = withSkew ? Math.max(this.options.refreshSkewSeconds * 1000, SEND_MARGIN_MS) : SEND_MARGIN_MS;
    return tokens.expiresAt - this.deps.clock.now() > margin;
  }

  #header(entry: CredentialEntry, tokens: CachedTokens): InjectedCredential {
    const header = ((entry.row.settings as { header?: string }).header ?? 'authorization').toLowerCase();
    // RFC 6750 §2.1; a provider's token_type comes lower-cased from oauth4webapi.
    return { header, value: `Bearer ${tokens.accessToken!}`, version: tokens.version };
  }

  #unavailable(name: string, error: unknown): GatewayError {
    if (error instanceof GatewayError) return error;
    const reason = error instanceof Unavailable ? error.reason : 'token_request_failed';
    const message = error instanceof Error ? error.message : String(error);
    this.deps.count.unavailable(name, reason);
    this.deps.logger.error({ event: 'credentials.unavailable', credential: name, reason, detail: message }, 'no valid upstream credential: answered 503');
    return new GatewayError('upstream.credential_unavailable', { detail: 'The gateway has no valid credential for the upstream right now.', internal: `upstream credential ${name}: ${reason}: ${message}` });
  }
}
