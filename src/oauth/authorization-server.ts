/**
 * The built-in authorization server's endpoints, served by the gateway itself on the client-facing
 * listeners (partners must reach them), before route matching:
 * - `/.well-known/oauth-authorization-server[/<issuer path>]`: metadata (RFC 8414 §3),
 * - `<prefix>/token`: the client credentials grant (RFC 6749 §4.4), RFC 9068 JWT access tokens,
 * - `<prefix>/jwks`: the public signing keys, the retired ones until their tokens have expired,
 * - `<prefix>/revoke`: token revocation (RFC 7009),
 * - `<prefix>/introspect`: token introspection (RFC 7662).
 * Errors use RFC 6749 §5.2 JSON. Failed client authentications count towards the same
 * brute-force throttle as every other authentication.
 */
import { randomUUID } from 'node:crypto';
import { jwtVerify, SignJWT, type JWTPayload } from 'jose';
import type { Actor } from '../core/actor.js';
import type { Clock } from '../core/clock.js';
import type { RequestContext } from '../core/context.js';
import type { DirectResponse } from '../core/policy.js';
import type { AuthFailureTracker, BuiltinEndpoint, BuiltinEndpoints } from '../core/services.js';
import { MAX_CLOCK_SKEW_SECONDS } from '../jwt/clock-skew.js';
import { jwsJsonProblem } from '../jwt/strict-json.js';
import type { Logger } from '../observability/logger.js';
import type { TokenRevocationRepository } from '../store/oauth-repositories.js';
import type { Store } from '../store/store.js';
import { ASSERTION_ALGORITHMS, authenticateClient, type ClientAuthDeps } from './client-auth.js';
import { OAuthError } from './errors.js';
import type { OAuthState, StateClient } from './oauth-state.js';

export interface AuthorizationServerOptions {
  readonly issuer: string;
  readonly pathPrefix: string;
  readonly audience: string;
  readonly accessTokenTtlSeconds: number;
  readonly assertionMaxAgeSeconds: number;
  readonly signingAlgorithm: string;
}

/** Token endpoint parameters are small; anything larger is not a token request. */
const MAX_FORM_BYTES = 16 * 1024;
const REALM = 'portcullis-oauth';

export class AuthorizationServer implements BuiltinEndpoints {
  readonly #endpoints = new Map<string, { name: string; methods: readonly string[]; handle: BuiltinEndpoint }>();
  readonly #urls: { token: string; jwks: string; revoke: string; introspect: string };
  readonly #clientAuth: ClientAuthDeps;

  constructor(
    private readonly options: AuthorizationServerOptions,
    private readonly state: OAuthState,
    private readonly revocations: TokenRevocationRepository,
    private readonly store: Store,
    pepper: string,
    private readonly failures: AuthFailureTracker | undefined,
    private readonly clock: Clock,
    private readonly logger: Logger,
    /** Counts each answer of the token, revoke and introspect endpoints by outcome (ok or the OAuth error). */
    private readonly count: (endpoint: string, outcome: string) => void = () => {},
  ) {
    const prefix = options.pathPrefix.replace(/\/+$/, '');
    const url = (path: string) => new URL(`${prefix}${path}`, options.issuer).toString();
    this.#urls = { token: url('/token'), jwks: url('/jwks'), revoke: url('/revoke'), introspect: url('/introspect') };
    // RFC 8414 §3.1: the well-known segment goes between the host and the issuer's path.
    const issuerPath = new URL(options.issuer).pathname.replace(/\/+$/, '');
    this.#endpoints.set(`/.well-known/oauth-authorization-server${issuerPath}`, { name: 'oauth-metadata', methods: ['GET', 'HEAD'], handle: async () => this.#metadata() });
    this.#endpoints.set(`${prefix}/jwks`, { name: 'oauth-jwks', methods: ['GET', 'HEAD'], handle: async () => this.#jwks() });
    this.#endpoints.set(`${prefix}/token`, { name: 'oauth-token', methods: ['POST'], handle: (ctx) => this.#guard(ctx, (params, client) => this.#token(params, client)) });
    this.#endpoints.set(`${prefix}/revoke`, { name: 'oauth-revoke', methods: ['POST'], handle: (ctx) => this.#guard(ctx, (params, client) => this.#revoke(params, client, ctx.clientIp)) });
    this.#endpoints.set(`${prefix}/introspect`, { name: 'oauth-introspect', methods: ['POST'], handle: (ctx) => this.#guard(ctx, (params, client) => this.#introspect(params, client)) });
    this.#clientAuth = {
      state,
      pepper,
      assertionAudiences: [options.issuer, this.#urls.token],
      assertionMaxAgeSeconds: options.assertionMaxAgeSeconds,
      useAssertion: (clientId, jti, expiresAt) => revocations.useAssertion(clientId, jti, expiresAt),
    };
  }

  match(method: string, path: string): { name: string; handle: BuiltinEndpoint } | undefined {
    const endpoint = this.#endpoints.get(path);
    if (!endpoint) return undefined;
    if (endpoint.methods.includes(method)) return endpoint;
    return {
      name: endpoint.name,
      handle: async () => {
        const response = new OAuthError('invalid_request', `Use ${endpoint.methods.join(' or ')} here.`, { status: 405 }).toResponse(REALM);
        return { ...response, headers: { ...response.headers, allow: endpoint.methods.join(', ') } };
      },
    };
  }

  #metadata(): DirectResponse {
    const methods = ['client_secret_basic', 'client_secret_post', 'private_key_jwt'];
    return json(200, {
      issuer: this.options.issuer,
      token_endpoint: this.#urls.token,
      jwks_uri: this.#urls.jwks,
      revocation_endpoint: this.#urls.revoke,
      introspection_endpoint: this.#urls.introspect,
      grant_types_supported: ['client_credentials'],
      response_types_supported: [],
      token_endpoint_auth_methods_supported: methods,
      token_endpoint_auth_signing_alg_values_supported: ASSERTION_ALGORITHMS,
      revocation_endpoint_auth_methods_supported: methods,
      introspection_endpoint_auth_methods_supported: methods,
    }, 'public, max-age=300');
  }

  #jwks(): DirectResponse {
    const keys = this.state.publishedKeys(this.clock.now()).map((key) => key.publicJwk);
    // Short caching: a new key must reach verifiers that cache well before it signs much.
    return json(200, { keys }, 'public, max-age=60');
  }

  /** Form body, throttle, client authentication; then the endpoint. Every failure is §5.2 JSON. */
  async #guard(ctx: RequestContext, handle: (params: URLSearchParams, client: StateClient) => Promise<DirectResponse>): Promise<DirectResponse> {
    const now = this.clock.now();
    try {
      const blockedFor = this.failures?.blockedForSeconds(ctx.clientIp, now) ?? 0;
      if (blockedFor > 0) {
        ctx.logFields.authFailure = 'blocked';
        throw new OAuthError('invalid_client', 'Too many failed attempts from this address; try again later.', { status: 429, retryAfterSeconds: blockedFor });
      }
      const params = await readForm(ctx);
      let client: StateClient;
      try {
        ({ client } = await authenticateClient(stringHeader(ctx.req.headers.authorization), params, now, this.#clientAuth));
      } catch (error) {
        if (error instanceof OAuthError && error.error === 'invalid_client') {
          ctx.logFields.authFailure = 'invalid_client';
          // Awaited: under --workers the answer waits until every worker knows of a block.
          if (await this.failures?.recordFailure(ctx.clientIp, now)) {
            this.logger.warn({ event: 'auth.client_blocked', clientIp: ctx.clientIp, requestId: ctx.requestId }, 'too many failed authentications: client blocked');
          }
        }
        throw error;
      }
      ctx.logFields.clientId = client.id;
      const answer = await handle(params, client);
      this.count(ctx.route.name, 'ok');
      return answer;
    } catch (error) {
      if (error instanceof OAuthError) {
        this.count(ctx.route.name, error.error);
        return error.toResponse(REALM);
      }
      this.count(ctx.route.name, 'store_failed');
      // The store (assertion replay, revocation) failed: an outage, not an answer about the client.
      this.logger.error({ event: 'oauth.endpoint_failed', route: ctx.route.name, requestId: ctx.requestId, err: error }, 'an authorization server endpoint failed');
      return new OAuthError('temporarily_unavailable', 'The authorization server cannot answer right now; try again.', { status: 503, retryAfterSeconds: 5 }).toResponse(REALM);
    }
  }

  /** RFC 6749 §4.4 with an RFC 9068 access token for the requested ∩ allowed scopes. */
  async #token(params: URLSearchParams, client: StateClient): Promise<DirectResponse> {
    const grantType = params.get('grant_type');
    if (grantType === null) throw new OAuthError('invalid_request', 'grant_type is required.');
    if (grantType !== 'client_credentials') throw new OAuthError('unsupported_grant_type', 'Only the client_credentials grant is supported.');
    const requested = params.get('scope')?.split(' ').filter((scope) => scope !== '');
    // RFC 6749 §3.3: without a scope parameter, the client's registered scopes.
    const granted = requested === undefined ? [...client.scopes] : [...new Set(requested.filter((scope) => client.scopes.includes(scope)))];
    if (requested !== undefined && requested.length > 0 && granted.length === 0) throw new OAuthError('invalid_scope', 'None of the requested scopes is allowed for this client.');
    const key = this.state.signingKey();
    if (!key) {
      this.logger.error({ event: 'oauth.no_signing_key' }, 'no usable OAuth signing key: tokens cannot be issued');
      throw new OAuthError('temporarily_unavailable', 'Tokens cannot be issued right now.', { status: 503, retryAfterSeconds: 30 });
    }
    const now = Math.floor(this.clock.now() / 1000);
    const jti = randomUUID();
    const token = await new SignJWT({ client_id: client.id, scope: granted.join(' ') })
      .setProtectedHeader({ alg: key.algorithm, kid: key.kid, typ: 'at+jwt' })
      .setIssuer(this.options.issuer)
      // RFC 9068 §2.2: with no resource owner, sub identifies the client.
      .setSubject(client.id)
      .setAudience(this.options.audience)
      .setIssuedAt(now)
      .setExpirationTime(now + this.options.accessTokenTtlSeconds)
      .setJti(jti)
      .sign(key.privateKey);
    this.logger.info({ event: 'oauth.token_issued', clientId: client.id, jti, scopes: granted, kid: key.kid }, 'access token issued');
    const body: Record<string, unknown> = { access_token: token, token_type: 'Bearer', expires_in: this.options.accessTokenTtlSeconds };
    if (granted.length > 0) body.scope = granted.join(' ');
    return json(200, body);
  }

  /**
   * RFC 7009: the client's own token is revoked; an invalid or unknown token, or another client's,
   * is not an error (§2.2) and changes nothing.
   */
  async #revoke(params: URLSearchParams, client: StateClient, clientIp: string): Promise<DirectResponse> {
    const token = params.get('token');
    if (!token) throw new OAuthError('invalid_request', 'token is required.');
    const payload = await this.#verifyOwnToken(token, { allowExpired: true });
    // Another client's token is left alone, with the same answer as an unknown one (RFC 7009
    // §2.2): a different answer would tell the caller that the token is valid and whose it is.
    if (payload && typeof payload.jti === 'string' && payload.client_id === client.id) {
      // Kept as long as any verifier could still accept the token: past exp by the largest clock
      // skew auth-jwt allows. Dropped at exp, a revoked token would work again within the skew.
      const acceptedUntil = payload.exp! * 1000 + MAX_CLOCK_SKEW_SECONDS * 1000;
      if (acceptedUntil > this.clock.now()) {
        // The partner acts through the data plane: the revocation is attributed to its client id.
        const actor: Actor = { kind: 'data-plane', id: client.id, ip: clientIp };
        const jti = payload.jti;
        await this.store.write(actor, 'oauth_token.revoke', (tx) => this.revocations.revoke(tx, jti, client.id, acceptedUntil));
        await this.state.refresh();
        this.logger.info({ event: 'oauth.token_revoked', clientId: client.id, jti: payload.jti }, 'access token revoked');
      }
    }
    return { status: 200, headers: { 'cache-control': 'no-store', 'content-length': '0' } };
  }

  /** RFC 7662: a client may introspect its own tokens; anything else is simply inactive (§4). */
  async #introspect(params: URLSearchParams, client: StateClient): Promise<DirectResponse> {
    const token = params.get('token');
    if (!token) throw new OAuthError('invalid_request', 'token is required.');
    const payload = await this.#verifyOwnToken(token, { allowExpired: false });
    if (!payload || payload.client_id !== client.id || !this.state.resolveConsumer(payload).ok) return json(200, { active: false });
    const { iss, sub, aud, exp, iat, jti, scope, client_id } = payload;
    return json(200, { active: true, scope, client_id, sub, aud, iss, exp, iat, jti, token_type: 'Bearer' });
  }

  async #verifyOwnToken(token: string, options: { allowExpired: boolean }): Promise<JWTPayload | undefined> {
    // Not ours if its JSON repeats a name (RFC 7519 §4): we never sign such a token.
    if (token.length > 8192 || jwsJsonProblem(token) !== undefined) return undefined;
    try {
      const { payload } = await jwtVerify(token, (header, jws) => this.state.getKey(header, jws), {
        issuer: this.options.issuer,
        algorithms: [this.options.signingAlgorithm],
        typ: 'at+jwt',
        currentDate: new Date(this.clock.now()),
        // An expired token can still be named in a revocation request; it just needs no action.
        clockTolerance: options.allowExpired ? Number.MAX_SAFE_INTEGER : 0,
        requiredClaims: ['exp', 'jti', 'client_id'],
      });
      return payload;
    } catch {
      return undefined;
    }
  }
}

async function readForm(ctx: RequestContext): Promise<URLSearchParams> {
  const type = stringHeader(ctx.req.headers['content-type'])?.split(';')[0]?.trim().toLowerCase();
  if (type !== 'application/x-www-form-urlencoded') throw new OAuthError('invalid_request', 'Send the parameters as application/x-www-form-urlencoded.');
  ctx.maxBodyBytes = Math.min(ctx.maxBodyBytes, MAX_FORM_BYTES);
  let body: Buffer;
  try {
    body = await ctx.readBody();
  } catch {
    throw new OAuthError('invalid_request', `The request body must be at most ${MAX_FORM_BYTES} bytes and arrive in time.`);
  }
  const params = new URLSearchParams(body.toString('utf8'));
  // RFC 6749 §3.2: parameters MUST NOT be included more than once.
  const names = [...params.keys()];
  if (new Set(names).size !== names.length) throw new OAuthError('invalid_request', 'A parameter is repeated.');
  return params;
}

/** JSON; not cached unless told (RFC 6749 §5.1: token responses are no-store, no-cache). */
function json(status: number, body: unknown, cacheControl = 'no-store'): DirectResponse {
  const headers: Record<string, string> = { 'content-type': 'application/json', 'cache-control': cacheControl };
  if (cacheControl === 'no-store') headers.pragma = 'no-cache';
  return { status, headers, body: JSON.stringify(body) };
}

function stringHeader(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}
