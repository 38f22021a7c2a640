/**
 * The verification keys of one token issuer: static JWKs, a JWKS URL, or an OIDC discovery URL
 * that names the JWKS URL. Remote keys are cached in memory and refreshed in the background before
 * they are due; a token with an unknown `kid` triggers a re-fetch (the issuer may have rotated),
 * but at most one per `minRefetchSeconds`, so a flood of random kids cannot hammer the provider.
 * When the provider is unreachable, the last good keys keep serving for at most `maxStaleSeconds`
 * after the last successful fetch; that is logged and counted, never silent. Key selection
 * (kid, kty, alg, use) is jose's createLocalJWKSet: no hand-written key matching.
 */
import { createLocalJWKSet, errors, type FlattenedJWSInput, type JSONWebKeySet, type JWK, type JWSHeaderParameters } from 'jose';
import type { Clock } from '../core/clock.js';
import { ISSUER_KEYS_UNAVAILABLE, type IssuerKeys, type IssuerKeysOptions } from '../core/services.js';
import type { Logger } from '../observability/logger.js';
import { fetch, type Dispatcher } from 'undici';
import type { ConnectHook, Outbound } from '../outbound/index.js';
import { checkDiscoveredJwksUri, jwksUriWrittenBy } from '../jwt/key-url.js';
import { parseStrictJsonObject } from '../jwt/strict-json.js';

export type KeySourceOptions = IssuerKeysOptions;

export interface KeySourceDeps {
  readonly clock: Clock;
  readonly logger: Logger;
  readonly metrics?: KeySourceMetrics | undefined;
  /** Discovery documents and JWKS are fetched through its `discovery` and `jwks` agents. */
  readonly outbound: Outbound;
}

export interface KeySourceMetrics {
  fetched(issuer: string, outcome: 'ok' | 'error'): void;
  staleKeysUsed(issuer: string): void;
}

/** The provider could not be reached and no keys young enough are left: a 503, not a 401. */
export class KeySourceUnavailable extends Error {
  readonly code = ISSUER_KEYS_UNAVAILABLE;
}

type Resolver = ReturnType<typeof createLocalJWKSet>;
export type KeyLike = Awaited<ReturnType<Resolver>>;

/** Largest discovery or JWKS document accepted (real ones are a few KiB). */
const MAX_DOCUMENT_BYTES = 512 * 1024;
/** Key types that can only verify asymmetric signatures: a JWKS never supplies a shared secret. */
const ASYMMETRIC_KTY = new Set(['RSA', 'EC', 'OKP']);

export class KeySource implements IssuerKeys {
  #resolver: Resolver | undefined;
  #fetchedAt = Number.NEGATIVE_INFINITY;
  #lastAttempt = Number.NEGATIVE_INFINITY;
  #failingSince: number | undefined;
  #inflight: Promise<boolean> | undefined;
  #timer: NodeJS.Timeout | undefined;
  #closed = false;
  #lastUsed: number;
  readonly #static: boolean;

  constructor(
    readonly options: KeySourceOptions,
    private readonly deps: KeySourceDeps,
  ) {
    this.#static = options.keys !== undefined;
    this.#lastUsed = deps.clock.now();
    if (options.keys) this.#resolver = createLocalJWKSet({ keys: publicKeysOnly(options.keys as JWK[], options.issuer, deps.logger) });
  }

  /** jose's key-resolver signature: the key for this token's header, or a jose error. */
  async getKey(header: JWSHeaderParameters, token: FlattenedJWSInput): Promise<KeyLike> {
    const resolver = await this.#usableResolver();
    try {
      return await resolver(header, token);
    } catch (error) {
      if (this.#static || !(error instanceof errors.JWKSNoMatchingKey)) throw error;
      // The issuer may have rotated its keys since the last fetch: look again, rate-limited.
      const refreshed = await this.#refresh('unknown_kid');
      if (!refreshed || !this.#resolver) throw error;
      return await this.#resolver(header, token);
    }
  }

  /** Fetches the keys now (at start, so the first request does not wait). Errors are logged, not thrown. */
  async warmUp(): Promise<void> {
    if (!this.#static) await this.#refresh('start');
  }

  close(): void {
    this.#closed = true;
    clearTimeout(this.#timer);
  }

  async #usableResolver(): Promise<Resolver> {
    if (this.#static) return this.#resolver!;
    const now = this.deps.clock.now();
    this.#lastUsed = now;
    const age = now - this.#fetchedAt;
    if (this.#resolver && age > this.options.maxStaleSeconds * 1000) {
      // Past the bounded grace: old keys may have been withdrawn for a reason (a leak).
      this.#resolver = undefined;
      this.deps.logger.error({ event: 'jwks.keys_expired', issuer: this.options.issuer, ageSeconds: Math.round(age / 1000) }, 'cached issuer keys are too old to use and the provider cannot be reached');
    }
    if (!this.#resolver) {
      await this.#refresh('missing');
      if (!this.#resolver) throw new KeySourceUnavailable(`keys of ${this.options.issuer} are not available`);
      return this.#resolver;
    }
    if (age > this.options.refreshSeconds * 1000) void this.#refresh('due');
    if (this.#failingSince !== undefined) this.deps.metrics?.staleKeysUsed(this.options.issuer);
    return this.#resolver;
  }

  /**
   * One fetch at a time; other callers share it. Besides the schedule, at most one fetch per
   * minRefetchSeconds: an unknown kid or a missing key set cannot make us fetch more often.
   * Resolves true when new keys were loaded.
   */
  #refresh(reason: 'start' | 'scheduled' | 'due' | 'unknown_kid' | 'missing'): Promise<boolean> {
    if (this.#inflight) return this.#inflight;
    const now = this.deps.clock.now();
    if (reason !== 'scheduled' && reason !== 'start' && now - this.#lastAttempt < this.options.minRefetchSeconds * 1000) return Promise.resolve(false);
    this.#lastAttempt = now;
    this.#inflight = this.#fetchKeys()
      .then((jwks) => {
        this.#resolver = createLocalJWKSet(jwks);
        this.#fetchedAt = this.deps.clock.now();
        if (this.#failingSince !== undefined) this.deps.logger.info({ event: 'jwks.recovered', issuer: this.options.issuer }, 'issuer keys fetched again');
        this.#failingSince = undefined;
        this.deps.metrics?.fetched(this.options.issuer, 'ok');
        this.deps.logger.debug({ event: 'jwks.fetched', issuer: this.options.issuer, reason, keys: jwks.keys.length }, 'issuer keys fetched');
        this.#schedule(this.options.refreshSeconds * 1000);
        return true;
      })
      .catch((error: unknown) => {
        this.#failingSince ??= this.deps.clock.now();
        this.deps.metrics?.fetched(this.options.issuer, 'error');
        const serving = this.#resolver !== undefined;
        this.deps.logger.warn(
          { event: serving ? 'jwks.serving_stale' : 'jwks.fetch_failed', issuer: this.options.issuer, reason, error: (error as Error).message, keysAgeSeconds: serving ? Math.round((this.deps.clock.now() - this.#fetchedAt) / 1000) : undefined },
          serving ? 'issuer keys could not be refreshed: the last good keys keep serving' : 'issuer keys could not be fetched',
        );
        this.#schedule(this.options.minRefetchSeconds * 1000);
        return false;
      })
      .finally(() => (this.#inflight = undefined));
    return this.#inflight;
  }

  #schedule(delayMs: number): void {
    if (this.#closed) return;
    clearTimeout(this.#timer);
    // Refresh ahead of time (at 90 % of the interval) so requests rarely meet due keys.
    this.#timer = setTimeout(() => {
      // A source no route has used for two intervals (a reload dropped its issuer, say) stops
      // fetching; if it is used again, its due keys are refreshed then.
      if (this.deps.clock.now() - this.#lastUsed > 2 * this.options.refreshSeconds * 1000) return;
      void this.#refresh('scheduled');
    }, Math.max(1000, Math.floor(delayMs * 0.9)));
    this.#timer.unref();
  }

  async #fetchKeys(): Promise<JSONWebKeySet> {
    let jwksUrl = this.options.jwksUrl;
    let check: ConnectHook | undefined;
    if (this.options.discoveryUrl) {
      const metadata = await fetchJson(this.options.discoveryUrl, this.options.timeoutMs, this.deps.outbound.agent('discovery'));
      // OpenID Connect Discovery 1.0 §4.3: the document must name the issuer we expect.
      if (metadata.issuer !== this.options.issuer) throw new Error(`discovery document names issuer ${JSON.stringify(metadata.issuer)}, expected ${this.options.issuer}`);
      if (typeof metadata.jwks_uri !== 'string') throw new Error('discovery document has no jwks_uri');
      const checked = await checkDiscoveredJwksUri(metadata.jwks_uri, this.options.discoveryUrl);
      if ('problem' in checked) throw new Error(`discovery jwks_uri ${checked.problem}`);
      jwksUrl = metadata.jwks_uri;
      check = checked.check;
      // The egress rules: a jwks_uri named by a declared issuer's discovery document is declared too.
      // Written by the identity provider, not the operator, unless the operator's discovery URL is
      // local or the jwks_uri is on its host: only then may an IP literal in it allow its own range.
      this.deps.outbound.egress.declare(`jwks_uri of ${this.options.discoveryUrl}`, [jwksUrl], jwksUriWrittenBy(jwksUrl, this.options.discoveryUrl));
    }
    const document = await fetchJson(jwksUrl!, this.options.timeoutMs, this.deps.outbound.agent('jwks', check));
    if (!Array.isArray(document.keys)) throw new Error('JWKS document has no keys array');
    return { keys: publicKeysOnly(document.keys as JWK[], this.options.issuer, this.deps.logger) };
  }
}

/** Drops anything that is not a public asymmetric key (a shared secret or a private key has no place here). */
function publicKeysOnly(keys: JWK[], issuer: string, logger: Logger): JWK[] {
  const kept = keys.filter((key) => typeof key === 'object' && key !== null && ASYMMETRIC_KTY.has(String(key.kty)) && key.d === undefined);
  if (kept.length !== keys.length) logger.warn({ event: 'jwks.keys_ignored', issuer, ignored: keys.length - kept.length }, 'keys that are not public asymmetric keys were ignored');
  return kept;
}

async function fetchJson(url: string, timeoutMs: number, dispatcher: Dispatcher): Promise<Record<string, unknown>> {
  let response: Awaited<ReturnType<typeof fetch>>;
  try {
    response = await fetch(url, { headers: { accept: 'application/json' }, redirect: 'error', signal: AbortSignal.timeout(timeoutMs), dispatcher });
  } catch (error) {
    // undici's fetch says only "fetch failed"; the reason (a refused connection, DNS, TLS) is its cause.
    const cause = (error as Error).cause;
    throw new Error(`${url} could not be fetched: ${cause instanceof Error ? cause.message : (error as Error).message}`, { cause: error });
  }
  if (response.status !== 200) {
    await response.body?.cancel();
    throw new Error(`${url} answered ${response.status}`);
  }
  const declared = Number(response.headers.get('content-length') ?? 0);
  if (declared > MAX_DOCUMENT_BYTES) {
    await response.body?.cancel();
    throw new Error(`${url} sent a document larger than ${MAX_DOCUMENT_BYTES} bytes`);
  }
  const chunks: Uint8Array[] = [];
  let size = 0;
  for await (const chunk of response.body ?? []) {
    size += (chunk as Uint8Array).length;
    if (size > MAX_DOCUMENT_BYTES) throw new Error(`${url} sent a document larger than ${MAX_DOCUMENT_BYTES} bytes`);
    chunks.push(chunk as Uint8Array);
  }
  // Strict JSON without repeated names (a JWKS whose key repeats `kid` or `n`, a discovery
  // document with two `jwks_uri`s): another reader could take the other value.
  try {
    return parseStrictJsonObject(Buffer.concat(chunks));
  } catch (error) {
    throw new Error(`${url} sent a document that ${(error as Error).message}`);
  }
}
