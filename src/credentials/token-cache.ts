/**
 * One node's view of its upstream credentials: each credential's row (kept by the change
 * follower, so a revocation or a token another node stored arrives within a second) and its
 * tokens opened from the sealed row, at most once per token version.
 */
import type { Logger } from '../observability/logger.js';
import type { ChangeSet } from '../store/change-feed.js';
import type { Install, Projection } from '../store/change-follower.js';
import type { UpstreamCredentialRepository, UpstreamCredentialRow } from '../store/upstream-credentials.js';
import type { StoredTokens, TokenSealer } from './token-sealer.js';

export interface CachedTokens extends StoredTokens {
  /** The row's token version these came from (the fencing counter). */
  readonly version: number;
}

export interface CredentialEntry {
  row: UpstreamCredentialRow;
  tokens: CachedTokens | undefined;
  /** The refresh in flight on this node (single flight): every request for the credential waits on it. */
  inflight: Promise<CachedTokens> | undefined;
  /** Consecutive 401/403 answers from the upstream, on this node. */
  rejects: number;
  quarantining: boolean;
}

export class TokenCache implements Projection {
  readonly name = 'upstream-credentials';
  readonly entities = ['upstream_credential'] as const;
  readonly #byName = new Map<string, CredentialEntry>();
  readonly #byId = new Map<string, CredentialEntry>();

  constructor(
    private readonly repository: UpstreamCredentialRepository,
    private readonly sealer: TokenSealer,
    private readonly logger: Logger,
  ) {}

  entry(name: string): CredentialEntry | undefined {
    return this.#byName.get(name);
  }

  entries(): IterableIterator<CredentialEntry> {
    return this.#byId.values();
  }

  async loadSnapshot(): Promise<Install> {
    const rows = await this.repository.list();
    const opened = await Promise.all(rows.map((row) => this.#open(row)));
    return () => {
      const seen = new Set(rows.map((row) => row.id));
      for (const id of [...this.#byId.keys()]) if (!seen.has(id)) this.#forget(id);
      rows.forEach((row, i) => this.adopt(row, opened[i]));
    };
  }

  async apply(changed: ChangeSet): Promise<Install> {
    const rows = await this.repository.listByIds(changed.upstream_credential);
    const opened = await Promise.all(rows.map((row) => this.#open(row)));
    return () => {
      const found = new Set(rows.map((row) => row.id));
      for (const id of changed.upstream_credential) if (!found.has(id)) this.#forget(id);
      rows.forEach((row, i) => this.adopt(row, opened[i]));
    };
  }

  /** adopt, with the row's sealed tokens opened first (a row read from the store outside the follower). */
  async adoptOpened(row: UpstreamCredentialRow): Promise<CredentialEntry> {
    return this.adopt(row, await this.#open(row));
  }

  /**
   * Takes a row read from the store, unless this node already holds a newer one (its own write,
   * not yet followed), with the tokens opened from it (`opened`, see #open).
   */
  adopt(row: UpstreamCredentialRow, opened?: CachedTokens): CredentialEntry {
    let entry = this.#byId.get(row.id);
    if (!entry) {
      entry = { row, tokens: undefined, inflight: undefined, rejects: 0, quarantining: false };
      this.#byId.set(row.id, entry);
    } else if (row.updatedAt < entry.row.updatedAt || row.tokenVersion < entry.row.tokenVersion) {
      return entry;
    }
    if (entry.row.name !== row.name) this.#byName.delete(entry.row.name);
    entry.row = row;
    this.#byName.set(row.name, entry);
    if (opened && opened.version >= (entry.tokens?.version ?? -1)) entry.tokens = opened;
    if (row.status === 'revoked' || row.status === 'expired') entry.tokens = undefined;
    return entry;
  }

  /**
   * The tokens of the entry's row version, or undefined. Never older ones: a refresh token of an
   * earlier version may have been rotated away, and the provider would take its use as a replay.
   */
  current(entry: CredentialEntry): CachedTokens | undefined {
    const row = entry.row;
    if (row.status === 'revoked' || row.status === 'expired') return undefined;
    if (entry.tokens && entry.tokens.version >= row.tokenVersion) return entry.tokens;
    return row.tokensSealed === null ? entry.tokens : undefined;
  }

  /** The row's tokens opened (the sealer is async: the vault's KEK may be an HSM), unless this node holds them already. */
  async #open(row: UpstreamCredentialRow): Promise<CachedTokens | undefined> {
    if (row.status === 'revoked' || row.status === 'expired' || row.tokensSealed === null) return undefined;
    const held = this.#byId.get(row.id)?.tokens;
    if (held && held.version >= row.tokenVersion) return held;
    try {
      return { ...(await this.sealer.open(row.tokensSealed, row.id, row.tokenVersion)), version: row.tokenVersion };
    } catch (error) {
      // A row whose sealed tokens do not open (swapped from another row, another key): unusable, never guessed at.
      this.logger.warn({ event: 'credentials.refresh_failed', credential: row.name, reason: 'sealed_tokens_unreadable', err: error instanceof Error ? error.message : String(error) }, 'stored tokens of an upstream credential cannot be opened');
      return undefined;
    }
  }

  #forget(id: string): void {
    const entry = this.#byId.get(id);
    if (!entry) return;
    this.#byId.delete(id);
    this.#byName.delete(entry.row.name);
  }
}
