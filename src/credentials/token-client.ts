/**
 * Token requests to a third party's token endpoint, made with oauth4webapi (the protocol: grant
 * parameters, client authentication, response checks) over the gateway's one outbound client
 * (outbound/: the connect hook and egress rules see every token request; purpose `token`).
 *
 * Grants: client credentials (RFC 6749 §4.4), refresh token (§6), authorization code with PKCE
 * (§4.1, RFC 7636) for `credentials authorize`. Client authentication: client_secret_basic and
 * client_secret_post (§2.3.1), private_key_jwt (RFC 7523 §2.2; the key imported by jose),
 * tls_client_auth (RFC 8705 §2.1: the client certificate on the token call).
 */
import { readFileSync } from 'node:fs';
import { importPKCS8 } from 'jose';
import * as oauth from 'oauth4webapi';
import { fetch, type Agent, type Dispatcher } from 'undici';
import { DEFAULT_OUTBOUND_TLS, type Outbound, type OutboundTls } from '../outbound/index.js';
import type { SecretResolver } from './secret-resolver.js';
import type { OAuthCredentialSettings } from './settings.js';

/** What a token request gave. `refreshToken` is undefined when the provider issued none (keep the old one, RFC 6749 §6). */
export interface ObtainedTokens {
  readonly accessToken: string;
  readonly tokenType: string;
  /** ms since the epoch. */
  readonly expiresAt: number;
  readonly expiresInSeconds: number;
  readonly refreshToken: string | undefined;
}

/**
 * The token endpoint refused the client or the grant for good (RFC 6749 §5.2 `invalid_grant`,
 * `invalid_client`, `unauthorized_client`): retrying will not help, the credential is revoked.
 */
export class GrantRefusedError extends Error {
  constructor(readonly error: string, readonly status: number) {
    super(`token endpoint refused: ${error} (HTTP ${status})`);
    this.name = 'GrantRefusedError';
  }
}

/** Any other failure: endpoint down, timeout, a 5xx, an answer that is not a token response. */
export class TokenRequestError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'TokenRequestError';
  }
}

const FINAL_ERRORS = new Set(['invalid_grant', 'invalid_client', 'unauthorized_client']);

export interface TokenClientOptions {
  readonly outbound: Outbound;
  readonly secrets: SecretResolver;
  readonly timeoutMs: number;
  readonly defaultLifetimeSeconds: number;
  /** PEM CA files token endpoints must chain to (none: the system CAs). */
  readonly caFiles: readonly string[];
  readonly now: () => number;
}

export class TokenClient {
  readonly #ca: string[] | undefined;
  /** The shared agent (no client certificate); agents with one are made per request and closed. */
  #agent: Agent | undefined;

  constructor(private readonly options: TokenClientOptions) {
    this.#ca = options.caFiles.length > 0 ? options.caFiles.map((file) => readFileSync(file, 'utf8')) : undefined;
  }

  async clientCredentials(settings: OAuthCredentialSettings): Promise<ObtainedTokens> {
    return this.#grant(settings, async (as, client, auth, http) => {
      const parameters = new URLSearchParams();
      if (settings.scope) parameters.set('scope', settings.scope);
      if (settings.audience) parameters.set('audience', settings.audience);
      if (settings.resource) parameters.set('resource', settings.resource);
      const response = await oauth.clientCredentialsGrantRequest(as, client, auth, parameters, http);
      return oauth.processClientCredentialsResponse(as, client, response);
    });
  }

  async refresh(settings: OAuthCredentialSettings, refreshToken: string): Promise<ObtainedTokens> {
    return this.#grant(settings, async (as, client, auth, http) => {
      const additionalParameters = settings.resource ? { resource: settings.resource } : undefined;
      const response = await oauth.refreshTokenGrantRequest(as, client, auth, refreshToken, { ...http, ...(additionalParameters ? { additionalParameters } : {}) });
      return oauth.processRefreshTokenResponse(as, client, response);
    });
  }

  /** Exchanges an authorization code (RFC 6749 §4.1.3) with its PKCE verifier (RFC 7636 §4.5). */
  async authorizationCode(settings: OAuthCredentialSettings & { redirectUri: string }, callback: URL, expectedState: string, codeVerifier: string): Promise<ObtainedTokens> {
    return this.#grant(settings, async (as, client, auth, http) => {
      const parameters = oauth.validateAuthResponse(as, client, callback, expectedState);
      const response = await oauth.authorizationCodeGrantRequest(as, client, auth, parameters, settings.redirectUri, codeVerifier, http);
      return oauth.processAuthorizationCodeResponse(as, client, response);
    });
  }

  async close(): Promise<void> {
    await this.#agent?.close();
    this.#agent = undefined;
  }

  async #grant(
    settings: OAuthCredentialSettings,
    request: (as: oauth.AuthorizationServer, client: oauth.Client, auth: oauth.ClientAuth, http: oauth.TokenEndpointRequestOptions) => Promise<oauth.TokenEndpointResponse>,
  ): Promise<ObtainedTokens> {
    // The token endpoint is kept in the store, declared by the operator who created the
    // credential: it is declared to the egress rules before it is called (docs/outbound.md).
    this.options.outbound.egress.declare(`credential-token-endpoint:${settings.tokenUrl}`, [settings.tokenUrl], 'operator');
    const as: oauth.AuthorizationServer = { issuer: settings.issuer ?? new URL(settings.tokenUrl).origin, token_endpoint: settings.tokenUrl };
    const client: oauth.Client = { client_id: settings.clientId };
    const auth = await this.#clientAuth(settings);
    const mtls = settings.tlsCert !== undefined ? await this.#mtlsAgent(settings) : undefined;
    const dispatcher: Dispatcher = mtls ?? (this.#agent ??= this.options.outbound.agentWithTls('token', this.#tls(), this.#timeouts()));
    const http: oauth.TokenEndpointRequestOptions = {
      [oauth.customFetch]: (url, init) => fetch(url, { ...(init as object), dispatcher } as never) as unknown as Promise<Response>,
      // http: only reaches here for a loopback token endpoint (settings.ts secureUrl).
      [oauth.allowInsecureRequests]: new URL(settings.tokenUrl).protocol === 'http:',
      signal: AbortSignal.timeout(this.options.timeoutMs),
    };
    try {
      const sentAt = this.options.now();
      const result = await request(as, client, auth, http);
      const expiresInSeconds = typeof result.expires_in === 'number' && result.expires_in > 0 ? result.expires_in : this.options.defaultLifetimeSeconds;
      // The lifetime counts from when the request was sent, not answered: never later than the provider's.
      return { accessToken: result.access_token, tokenType: result.token_type, expiresAt: sentAt + expiresInSeconds * 1000, expiresInSeconds, refreshToken: result.refresh_token };
    } catch (error) {
      if (error instanceof oauth.ResponseBodyError && FINAL_ERRORS.has(error.error)) throw new GrantRefusedError(error.error, error.status);
      // A 401 with a challenge (RFC 6749 §5.2: invalid_client when the client used the
      // Authorization header): the error code is in the body, which oauth4webapi left unread.
      if (error instanceof oauth.WWWAuthenticateChallengeError) {
        const body = (await error.response.json().catch(() => ({}))) as { error?: unknown };
        const code = typeof body.error === 'string' ? body.error : error.status === 401 ? 'invalid_client' : '';
        if (FINAL_ERRORS.has(code)) throw new GrantRefusedError(code, error.status);
        throw new TokenRequestError(`token endpoint answered ${code || 'a challenge'} (HTTP ${error.status})`, { cause: error });
      }
      if (error instanceof oauth.ResponseBodyError) throw new TokenRequestError(`token endpoint answered ${error.error} (HTTP ${error.status})`, { cause: error });
      throw new TokenRequestError(`token request failed: ${describe(error)}`, { cause: error });
    } finally {
      await mtls?.close();
    }
  }

  async #clientAuth(settings: OAuthCredentialSettings): Promise<oauth.ClientAuth> {
    const secret = (reference: string | undefined) => this.options.secrets.reveal(reference!);
    switch (settings.clientAuth) {
      case 'client_secret_basic':
        return oauth.ClientSecretBasic(await secret(settings.clientSecret));
      case 'client_secret_post':
        return oauth.ClientSecretPost(await secret(settings.clientSecret));
      case 'private_key_jwt': {
        const key = await importPKCS8(await secret(settings.privateKey), settings.privateKeyAlg ?? 'RS256');
        return oauth.PrivateKeyJwt({ key, ...(settings.keyId ? { kid: settings.keyId } : {}) });
      }
      case 'tls_client_auth':
        return oauth.TlsClientAuth();
    }
  }

  async #mtlsAgent(settings: OAuthCredentialSettings): Promise<Agent> {
    const cert = await this.options.secrets.reveal(settings.tlsCert!);
    const key = await this.options.secrets.reveal(settings.tlsKey!);
    return this.options.outbound.agentWithTls('token', { ...this.#tls(), cert, key }, this.#timeouts());
  }

  #tls(): OutboundTls {
    return this.#ca ? { ...DEFAULT_OUTBOUND_TLS, ca: this.#ca } : DEFAULT_OUTBOUND_TLS;
  }

  #timeouts() {
    return { connectTimeoutMs: this.options.timeoutMs, headersTimeoutMs: this.options.timeoutMs, bodyTimeoutMs: this.options.timeoutMs };
  }
}

/** A failure's message and code, without any request body (a token request carries secrets). */
function describe(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  const cause = (error as { cause?: unknown }).cause;
  const code = (cause as { code?: string } | undefined)?.code ?? (error as { code?: string }).code;
  return `${error.name}: ${error.message}${code ? ` (${code})` : ''}`;
}
