/**
 * The protocol side of admin single sign-on: OpenID Connect authorization code flow with PKCE
 * (OpenID Connect Core 1.0 §3.1, RFC 7636 S256), made with oauth4webapi over the gateway's one
 * outbound client (egress rules and the connect hook see every request: discovery, token, JWKS).
 *
 * The ID token is checked in security order: its signature first, with the provider's keys from
 * its JWKS (jwks/key-source.ts: cached, refetched on an unknown kid, rate-limited) and jose; then
 * its claims by oauth4webapi (iss, aud, azp, exp, iat, nonce: Core §3.1.3.7). Nothing of it is
 * read before both pass.
 *
 * Errors: SsoUnavailable when the provider cannot be reached or answers 5xx (a 503, logged,
 * counted); SsoRefused for everything the provider or the browser got wrong (a 401).
 */
import { errors as joseErrors, jwtVerify, type JWTPayload } from 'jose';
import * as oauth from 'oauth4webapi';
import { fetch, type Dispatcher } from 'undici';
import type { Clock } from '../../core/clock.js';
import type { AdminOidcConfig } from '../../config/admin-sso-schema.js';
import { KeySource, KeySourceUnavailable, type KeySourceMetrics } from '../../jwks/key-source.js';
import { jwksUriWrittenBy } from '../../jwt/key-url.js';
import type { Logger } from '../../observability/logger.js';
import type { Outbound } from '../../outbound/index.js';

/** The provider could not be reached, or failed (5xx, an unreadable discovery document). */
export class SsoUnavailable extends Error {
  override readonly name = 'SsoUnavailable';
}

/** The sign-in does not hold: `reason` is for the log, never for the client. */
export class SsoRefused extends Error {
  override readonly name = 'SsoRefused';
  constructor(readonly reason: string) {
    super(reason);
  }
}

export interface OidcClientDeps {
  readonly outbound: Outbound;
  readonly clock: Clock;
  readonly logger: () => Logger;
  readonly keyMetrics?: KeySourceMetrics | undefined;
}

/** Discovery documents are read again after this long (and whenever a read failed). */
const METADATA_TTL_MS = 3600_000;
/** Signature algorithms accepted for ID tokens: asymmetric only (a shared secret is not a provider's signature here). */
const ID_TOKEN_ALGORITHMS = ['RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512', 'ES256', 'ES384', 'ES512', 'EdDSA'];

export class OidcClient {
  readonly #issuer: URL;
  readonly #discoveryUrl: string;
  readonly #keys: KeySource;
  #metadata: { as: oauth.AuthorizationServer; fetchedAt: number } | undefined;

  constructor(
    private readonly config: AdminOidcConfig,
    private readonly deps: OidcClientDeps,
  ) {
    this.#issuer = new URL(config.issuer);
    this.#discoveryUrl = `${config.issuer.replace(/\/$/, '')}/.well-known/openid-configuration`;
    this.#keys = new KeySource(
      { issuer: config.issuer, discoveryUrl: this.#discoveryUrl, refreshSeconds: 3600, minRefetchSeconds: 10, maxStaleSeconds: 86400, timeoutMs: config.timeoutMs },
      { clock: deps.clock, logger: deps.logger(), outbound: deps.outbound, metrics: deps.keyMetrics },
    );
  }

  get issuer(): string {
    return this.config.issuer;
  }

  /** The provider's authorization endpoint URL for this sign-in (Core §3.1.2.1), scopes with `openid`. */
  async authorizationUrl(input: { state: string; nonce: string; codeVerifier: string }): Promise<string> {
    const as = await this.#authorizationServer();
    if (!as.authorization_endpoint) throw new SsoUnavailable('the discovery document names no authorization_endpoint');
    const url = new URL(as.authorization_endpoint);
    const scopes = this.config.scopes.includes('openid') ? this.config.scopes : ['openid', ...this.config.scopes];
    url.searchParams.set('response_type', 'code');
    url.searchParams.set('client_id', this.config.clientId);
    url.searchParams.set('redirect_uri', this.config.redirectUri);
    url.searchParams.set('scope', scopes.join(' '));
    url.searchParams.set('state', input.state);
    url.searchParams.set('nonce', input.nonce);
    url.searchParams.set('code_challenge', await oauth.calculatePKCECodeChallenge(input.codeVerifier));
    url.searchParams.set('code_challenge_method', 'S256');
    return url.href;
  }

  /**
   * Checks the authorization response (`callback`: the redirect URI with the query the browser
   * brought; RFC 6749 §4.1.2, RFC 9207 `iss` when the provider sends it), redeems the code with
   * the PKCE verifier, and verifies the ID token. Resolves its claims.
   */
  async redeem(callback: URL, expected: { state: string; nonce: string; codeVerifier: string }): Promise<JWTPayload> {
    const as = await this.#authorizationServer();
    const client: oauth.Client = { client_id: this.config.clientId };
    let parameters: URLSearchParams;
    try {
      parameters = oauth.validateAuthResponse(as, client, callback, expected.state);
    } catch (error) {
      if (error instanceof oauth.AuthorizationResponseError) throw new SsoRefused(`the provider answered ${error.error}`);
      throw new SsoRefused(`the authorization response is not valid: ${(error as Error).message}`);
    }
    const auth = this.config.clientSecret ? oauth.ClientSecretBasic(this.config.clientSecret.reveal()) : oauth.None();
    let response: Response;
    try {
      response = await oauth.authorizationCodeGrantRequest(as, client, auth, parameters, this.config.redirectUri, expected.codeVerifier, this.#http('token'));
    } catch (error) {
      throw new SsoUnavailable(`token request failed: ${describe(error)}`, { cause: error });
    }
    if (response.status >= 500) throw new SsoUnavailable(`the token endpoint answered HTTP ${response.status}`);
    // The signature before any claim (and before oauth4webapi reads the claims).
    const body = (await response.clone().json().catch(() => undefined)) as { id_token?: unknown } | undefined;
    if (typeof body?.id_token === 'string') await this.#verifySignature(body.id_token);
    try {
      const result = await oauth.processAuthorizationCodeResponse(as, client, response, { expectedNonce: expected.nonce, requireIdToken: true });
      const claims = oauth.getValidatedIdTokenClaims(result);
      if (!claims) throw new SsoRefused('the token response carries no ID token');
      return claims as JWTPayload;
    } catch (error) {
      if (error instanceof SsoRefused) throw error;
      if (error instanceof oauth.ResponseBodyError) throw new SsoRefused(`the token endpoint answered ${error.error}`);
      throw new SsoRefused(`the token response is not valid: ${(error as Error).message}`);
    }
  }

  close(): void {
    this.#keys.close();
  }

  async #verifySignature(idToken: string): Promise<void> {
    try {
      await jwtVerify(idToken, (header, token) => this.#keys.getKey(header, token), {
        algorithms: ID_TOKEN_ALGORITHMS,
        issuer: this.config.issuer,
        audience: this.config.clientId,
        currentDate: new Date(this.deps.clock.now()),
        clockTolerance: 60,
      });
    } catch (error) {
      if (error instanceof KeySourceUnavailable) throw new SsoUnavailable(`the provider's keys cannot be fetched: ${error.message}`, { cause: error });
      if (error instanceof joseErrors.JOSEError) throw new SsoRefused(`the ID token does not verify: ${error.code}`);
      throw error;
    }
  }

  /** The provider's metadata (OpenID Connect Discovery 1.0 §4), kept for an hour. */
  async #authorizationServer(): Promise<oauth.AuthorizationServer> {
    const now = this.deps.clock.now();
    if (this.#metadata && now - this.#metadata.fetchedAt < METADATA_TTL_MS) return this.#metadata.as;
    let as: oauth.AuthorizationServer;
    try {
      const response = await oauth.discoveryRequest(this.#issuer, this.#http('discovery'));
      as = await oauth.processDiscoveryResponse(this.#issuer, response);
    } catch (error) {
      throw new SsoUnavailable(`discovery of ${this.config.issuer} failed: ${describe(error)}`, { cause: error });
    }
    // The token endpoint comes from the provider's document: declared to the egress rules like a
    // discovered jwks_uri (written by the operator when on the issuer's host or a local one).
    if (as.token_endpoint) this.deps.outbound.egress.declare(`token_endpoint of ${this.#discoveryUrl}`, [as.token_endpoint], jwksUriWrittenBy(as.token_endpoint, this.#discoveryUrl));
    this.#metadata = { as, fetchedAt: now };
    return as;
  }

  #http(purpose: 'discovery' | 'token'): oauth.TokenEndpointRequestOptions & oauth.DiscoveryRequestOptions {
    const dispatcher: Dispatcher = this.deps.outbound.agent(purpose);
    return {
      [oauth.customFetch]: (url: string, init: object) => fetch(url, { ...init, dispatcher } as never) as unknown as Promise<Response>,
      // http only reaches here for a loopback issuer (config/admin-semantics.ts).
      [oauth.allowInsecureRequests]: this.#issuer.protocol === 'http:',
      signal: AbortSignal.timeout(this.config.timeoutMs),
    };
  }
}

/** A failure's message and code (never a request body: a token request carries the client secret). */
function describe(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  const cause = (error as { cause?: unknown }).cause;
  const code = (cause as { code?: string } | undefined)?.code ?? (error as { code?: string }).code;
  return `${error.name}: ${error.message}${code ? ` (${code})` : ''}`;
}
