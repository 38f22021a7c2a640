/**
 * Authenticates a request by a bearer JWT access token (RFC 6750 §2.1) from a configured issuer:
 * an external identity provider (OIDC discovery, a JWKS URL or static keys) or the gateway's own
 * authorization server. The checks run in security order, each with its own code: size, then
 * the header (algorithm allow-list, `typ`), then the signature with the issuer's keys, then the
 * claims (iss, aud, exp/nbf/iat with bounded skew, required claims), then scopes. The token is
 * never logged nor echoed, and is stripped before forwarding unless `forwardToken` says otherwise.
 */
import { Type, type Static } from '@sinclair/typebox';
import { decodeJwt, decodeProtectedHeader, errors, jwtVerify, type JWK, type JWTPayload } from 'jose';
import type { Principal, RequestContext } from '../../core/context.js';
import { establishPrincipal } from '../../core/auth-composition.js';
import { CONSUMER_ID_PATTERN, isSafeConsumerId } from '../../core/consumer-id.js';
import { looksLikeJwt } from '../../core/credential-shape.js';
import { GatewayError, type ErrorCode } from '../../core/errors.js';
import { definePolicy, policyConfig, type ConfigIssue } from '../../core/policy.js';
import { ISSUER_KEYS_UNAVAILABLE, type IssuerKeys } from '../../core/services.js';
import { MAX_CLOCK_SKEW_SECONDS } from '../../jwt/clock-skew.js';
import { checkKeyUrl } from '../../jwt/key-url.js';
import { jwsJsonProblem } from '../../jwt/strict-json.js';
import { VerifiedTokenCache } from '../../jwt/verified-token-cache.js';

/** Asymmetric algorithms only: `none` and shared-secret (HS*) algorithms can never be allowed. */
export const ASYMMETRIC_ALGORITHMS = ['RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512', 'ES256', 'ES384', 'ES512', 'EdDSA', 'Ed25519'] as const;

/** A consumer id's characters (core/consumer-id.ts), or nothing. */
const CONSUMER_PREFIX_PATTERN = CONSUMER_ID_PATTERN.replace('{1,256}', '{0,200}');

const Algorithm = Type.Unsafe<(typeof ASYMMETRIC_ALGORITHMS)[number]>({ type: 'string', enum: [...ASYMMETRIC_ALGORITHMS], description: 'An asymmetric JWS algorithm.' });

const Issuer = Type.Object(
  {
    issuer: Type.String({ minLength: 1, description: 'The exact `iss` value of the tokens of this issuer.' }),
    discoveryUrl: Type.Optional(Type.String({ description: 'OpenID Connect discovery URL (…/.well-known/openid-configuration); its jwks_uri is used.' })),
    jwksUrl: Type.Optional(Type.String({ description: 'The JWKS URL of the issuer.' })),
    keys: Type.Optional(Type.Array(Type.Object({ kty: Type.String() }, { additionalProperties: true }), { minItems: 1, description: 'Static public keys as JWKs (no private or symmetric keys).' })),
    builtin: Type.Optional(Type.Boolean({ description: 'true: the built-in authorization server of the gateway (oauth section); keys and revocations from memory.' })),
    algorithms: Type.Array(Algorithm, { minItems: 1, uniqueItems: true, default: ['RS256', 'ES256'], description: 'Signature algorithms accepted from this issuer.' }),
    consumerClaim: Type.String({ minLength: 1, default: 'sub', description: 'Claim whose value names the consumer (e.g. sub, client_id).' }),
    consumerPrefix: Type.Optional(
      Type.String({
        maxLength: 200,
        pattern: CONSUMER_PREFIX_PATTERN,
        description: 'Put before the claim to make the consumer id (default: the issuer and #), so issuers cannot name each other\'s consumers nor the store\'s; "" only for an issuer trusted to name any consumer.',
      }),
    ),
    consumerNameClaim: Type.Optional(Type.String({ minLength: 1, description: 'Claim whose value is the consumer name (default: the consumer id).' })),
    refreshSeconds: Type.Integer({ minimum: 10, maximum: 86400, default: 300, description: 'How often the keys are refreshed in the background.' }),
    minRefetchSeconds: Type.Integer({ minimum: 1, maximum: 3600, default: 30, description: 'Fewest seconds between two fetches triggered by unknown kids or failures.' }),
    maxStaleSeconds: Type.Integer({ minimum: 60, maximum: 604800, default: 3600, description: 'How long the last good keys keep serving while the provider is unreachable.' }),
    timeoutMs: Type.Integer({ minimum: 100, maximum: 60000, default: 5000, description: 'Timeout of one discovery or JWKS fetch.' }),
  },
  { additionalProperties: false, description: 'A token issuer and where its keys are.' },
);

const configSchema = policyConfig(
  {
    issuers: Type.Array(Issuer, { minItems: 1, description: 'Issuers whose tokens are accepted.' }),
    audiences: Type.Array(Type.String({ minLength: 1 }), { minItems: 1, description: 'The `aud` of a token must contain one of these (the identifier of this API).' }),
    scopes: Type.Array(Type.String({ pattern: '^[!#-\\[\\]-~]+$' }), { default: [], description: 'Scopes every token must hold (403 auth.insufficient_scope otherwise).' }),
    requiredClaims: Type.Array(Type.String({ minLength: 1 }), { default: [], description: 'Claims every token must carry.' }),
    typ: Type.Optional(Type.String({ minLength: 1, description: 'Required `typ` header, e.g. at+jwt (RFC 9068 §2.1).' })),
    clockSkewSeconds: Type.Integer({ minimum: 0, maximum: MAX_CLOCK_SKEW_SECONDS, default: 60, description: 'Leeway for exp, nbf and iat.' }),
    cacheSeconds: Type.Integer({ minimum: 0, maximum: 300, default: 30, description: 'How long a verified token is remembered (never past its exp), so re-used tokens skip the signature check; 0: off.' }),
    maxTokenBytes: Type.Integer({ minimum: 256, maximum: 65536, default: 8192, description: 'Longer tokens are refused before they are parsed.' }),
    required: Type.Boolean({ default: true, description: 'false: a request without a bearer JWT passes on without a principal (for routes that accept another credential).' }),
    forwardToken: Type.Boolean({ default: false, description: 'Forward the Authorization header upstream (default: stripped).' }),
    realm: Type.String({ default: 'portcullis', pattern: '^[^"\\\\]*$', description: 'Realm named in WWW-Authenticate.' }),
  },
  'Authenticates requests by bearer JWT access tokens from configured issuers.',
);

type JwtConfig = Static<typeof configSchema>;
type IssuerConfig = JwtConfig['issuers'][number];


interface CompiledIssuer {
  readonly config: IssuerConfig;
  readonly keys: IssuerKeys;
  readonly algorithms: string[];
  readonly consumerPrefix: string;
}

/**
 * What goes before the consumer claim: consumer ids are scoped per issuer, so another identity
 * provider's `sub` (or a `sub` that copies a store consumer's id, `con_…`) names another consumer.
 */
function consumerPrefixOf(issuer: IssuerConfig): string {
  return issuer.consumerPrefix ?? `${issuer.issuer}#`;
}

class TokenRejected extends GatewayError {}

const SCOPE_TOKEN = /^[\x21\x23-\x5b\x5d-\x7e]+$/;

interface Verified {
  readonly payload: JWTPayload;
  readonly issuer: CompiledIssuer;
  readonly kid: string | undefined;
}

const TOKEN_REFUSALS = {
  token_revoked: 'The token has been revoked.',
  client_revoked: 'The client this token was issued to has been revoked.',
  consumer_disabled: 'The consumer this token belongs to is disabled.',
} as const;

export const authJwt = definePolicy({
  name: 'auth-jwt',
  description: 'Authenticates requests by bearer JWT access tokens (OIDC discovery, JWKS or static keys).',
  enabledByDefault: false,
  configSchema,
  requires: ['issuerKeys', 'authFailures'],
  credentialLocations(config) {
    return { headers: config.forwardToken ? [] : ['authorization'], queryParams: [] };
  },
  check(config) {
    const issues: ConfigIssue[] = [];
    const seen = new Set<string>();
    config.issuers.forEach((issuer, index) => {
      const at = `issuers[${index}]`;
      const sources = [issuer.discoveryUrl, issuer.jwksUrl, issuer.keys, issuer.builtin || undefined].filter((source) => source !== undefined).length;
      if (sources !== 1) issues.push({ path: at, message: 'needs exactly one of discoveryUrl, jwksUrl, keys or builtin: true' });
      for (const field of ['discoveryUrl', 'jwksUrl'] as const) {
        const problem = issuer[field] === undefined ? undefined : checkKeyUrl(issuer[field]!);
        if (problem) issues.push({ path: `${at}.${field}`, message: problem });
      }
      issuer.keys?.forEach((key, keyIndex) => {
        const jwk = key as JWK;
        if (jwk.kty === 'oct' || jwk.d !== undefined) issues.push({ path: `${at}.keys[${keyIndex}]`, message: 'must be a public key (no symmetric or private keys)' });
      });
      if (seen.has(issuer.issuer)) issues.push({ path: `${at}.issuer`, message: `"${issuer.issuer}" is listed twice` });
      seen.add(issuer.issuer);
      if (!issuer.builtin && issuer.consumerPrefix === undefined && !isSafeConsumerId(`${consumerPrefixOf(issuer)}x`)) {
        issues.push({ path: `${at}.consumerPrefix`, message: 'is needed: the issuer holds characters a consumer id cannot (only visible ASCII without , ; " \\), or is too long, to scope its consumer ids' });
      }
    });
    // One issuer's consumer ids must never be another's: no prefix may start another one.
    const scoped = config.issuers.map((issuer, index) => ({ index, prefix: consumerPrefixOf(issuer), builtin: issuer.builtin === true })).filter((entry) => !entry.builtin && entry.prefix !== '');
    for (const a of scoped) {
      const clash = scoped.find((b) => b.index !== a.index && a.prefix.startsWith(b.prefix));
      if (clash) issues.push({ path: `issuers[${a.index}].consumerPrefix`, message: `the consumer ids of this issuer (prefix "${a.prefix}") could be those of issuers[${clash.index}] (prefix "${clash.prefix}")` });
    }
    return issues;
  },
  create(config, deps) {
    const registry = deps.services.issuerKeys;
    const issuers = new Map<string, CompiledIssuer>();
    for (const issuer of config.issuers) {
      const keys = registry.keysFor({
        issuer: issuer.issuer,
        discoveryUrl: issuer.discoveryUrl,
        jwksUrl: issuer.jwksUrl,
        keys: issuer.keys as JWK[] | undefined,
        builtin: issuer.builtin,
        refreshSeconds: issuer.refreshSeconds,
        minRefetchSeconds: issuer.minRefetchSeconds,
        maxStaleSeconds: issuer.maxStaleSeconds,
        timeoutMs: issuer.timeoutMs,
      });
      issuers.set(issuer.issuer, { config: issuer, keys, algorithms: [...issuer.algorithms], consumerPrefix: consumerPrefixOf(issuer) });
    }
    const challenge = `Bearer realm="${config.realm}"`;
    const failures = deps.services.authFailures;

    /** RFC 6750 §3: every refused token says invalid_token in WWW-Authenticate. */
    function reject(code: ErrorCode, detail: string, internal?: string): TokenRejected {
      return new TokenRejected(code, { detail, internal, headers: { 'www-authenticate': `${challenge}, error="invalid_token"` } });
    }

    const verified = new VerifiedTokenCache<Verified>(config.cacheSeconds * 1000);

    async function verify(token: string, now: number): Promise<Verified> {
      if (Buffer.byteLength(token) > config.maxTokenBytes) throw reject('auth.token_too_large', `The token is longer than ${config.maxTokenBytes} bytes.`);
      if (!looksLikeJwt(token)) throw reject('auth.token_invalid', 'The token is not a JWS compact serialization.');
      const remembered = verified.get(token, now);
      if (remembered) return remembered;
      // RFC 7515 §4, RFC 7519 §4: a repeated header parameter or claim name is read differently
      // by different parsers (jose keeps the last): refused before anything is read from the token.
      const jsonProblem = jwsJsonProblem(token);
      if (jsonProblem) throw reject('auth.token_invalid', 'The token header or claims are not strict JSON without repeated names.', jsonProblem);
      let header: ReturnType<typeof decodeProtectedHeader>;
      let unverified: JWTPayload;
      try {
        header = decodeProtectedHeader(token);
        // Only to choose the issuer's keys; nothing else is read before the signature is checked.
        unverified = decodeJwt(token);
      } catch {
        throw reject('auth.token_invalid', 'The token cannot be decoded.');
      }
      const issuer = typeof unverified.iss === 'string' ? issuers.get(unverified.iss) : undefined;
      if (!issuer) throw reject('auth.token_issuer_unknown', 'The token was not issued by an issuer this route accepts.');
      // `none` and HS* are never in the list, so a token signed with a public key used as an
      // HMAC secret is refused here, before any key is touched (RFC 8725 §3.1, §2.1).
      if (typeof header.alg !== 'string' || !issuer.algorithms.includes(header.alg)) throw reject('auth.token_algorithm_refused', 'The token signature algorithm is not accepted.', `alg ${String(header.alg)}`);
      if (config.typ !== undefined && !typMatches(header.typ, config.typ)) throw reject('auth.token_claims_invalid', `The token type must be ${config.typ}.`);
      let payload: JWTPayload;
      try {
        ({ payload } = await jwtVerify(token, (h, t) => issuer.keys.getKey(h, t), {
          algorithms: issuer.algorithms,
          issuer: issuer.config.issuer,
          audience: config.audiences,
          clockTolerance: config.clockSkewSeconds,
          currentDate: new Date(now),
          requiredClaims: ['exp', ...config.requiredClaims],
        }));
      } catch (error) {
        throw mapJoseError(error);
      }
      // RFC 7519 §4.1.6: a token issued in the future is not valid yet (jose checks iat only with maxTokenAge).
      if (typeof payload.iat === 'number' && payload.iat * 1000 > now + config.clockSkewSeconds * 1000) throw reject('auth.token_not_yet_valid', 'The token was issued in the future.');
      const result = { payload, issuer, kid: header.kid };
      // Until exp (with the skew jose allowed): past it, the token is verified again and refused.
      verified.set(token, result, now, (payload.exp! + config.clockSkewSeconds) * 1000);
      return result;
    }

    function mapJoseError(error: unknown): GatewayError {
      if ((error as { code?: string }).code === ISSUER_KEYS_UNAVAILABLE) {
        return new GatewayError('auth.issuer_unavailable', { detail: 'The token issuer keys cannot be obtained right now; try again later.', headers: { 'retry-after': '30' } });
      }
      if (error instanceof errors.JWTExpired) return reject('auth.token_expired', 'The token has expired.');
      if (error instanceof errors.JWTClaimValidationFailed) {
        if (error.claim === 'nbf') return reject('auth.token_not_yet_valid', 'The token is not valid yet.');
        if (error.claim === 'aud') return reject('auth.token_audience_invalid', 'The token is not meant for this API.');
        if (error.claim === 'iss') return reject('auth.token_issuer_unknown', 'The token was not issued by an issuer this route accepts.');
        return reject('auth.token_claims_invalid', `The token's ${error.claim} claim is missing or not valid.`);
      }
      if (error instanceof errors.JOSEAlgNotAllowed) return reject('auth.token_algorithm_refused', 'The token signature algorithm is not accepted.');
      if (error instanceof errors.JWKSNoMatchingKey) return reject('auth.token_key_unknown', 'The token was signed with a key the issuer does not publish.');
      if (error instanceof errors.JWSSignatureVerificationFailed) return reject('auth.token_invalid', 'The token signature is not valid.');
      if (error instanceof errors.JOSEError) return reject('auth.token_invalid', 'The token is not valid.', (error as Error).message);
      return new GatewayError('internal', { internal: (error as Error).message, cause: error });
    }

    /** The consumer: from the built-in server's client, or from the configured claims. */
    function consumerOf(payload: JWTPayload, issuer: CompiledIssuer): { id: string; name: unknown } {
      if (issuer.keys.resolveConsumer) {
        const resolved = issuer.keys.resolveConsumer(payload);
        if (!resolved.ok) throw reject(resolved.reason === 'consumer_disabled' ? 'auth.consumer_disabled' : 'auth.token_revoked', TOKEN_REFUSALS[resolved.reason]);
        return { id: resolved.consumerId, name: resolved.consumerName };
      }
      const claimed = payload[issuer.config.consumerClaim];
      if (typeof claimed !== 'string' || claimed === '') throw reject('auth.token_claims_invalid', `The token has no ${issuer.config.consumerClaim} claim.`);
      const consumer = `${issuer.consumerPrefix}${claimed}`;
      // It becomes X-Consumer-Id and a rate-limit key: a consumer id's characters only, bounded.
      if (!isSafeConsumerId(consumer)) throw reject('auth.token_claims_invalid', `The token's ${issuer.config.consumerClaim} claim is not a usable consumer id.`);
      return { id: consumer, name: issuer.config.consumerNameClaim === undefined ? undefined : payload[issuer.config.consumerNameClaim] };
    }

    function toPrincipal(payload: JWTPayload, issuer: CompiledIssuer, kid: string | undefined): Principal {
      const { id: consumer, name } = consumerOf(payload, issuer);
      const clientId = typeof payload.client_id === 'string' ? payload.client_id : typeof payload.azp === 'string' ? payload.azp : undefined;
      return {
        type: 'jwt',
        consumerId: consumer,
        consumerName: typeof name === 'string' && name !== '' ? name : consumer,
        scopes: tokenScopes(payload),
        // Never the token itself: its id, or which key signed it.
        credentialId: typeof payload.jti === 'string' ? payload.jti : `${issuer.config.issuer}#${kid ?? ''}`,
        ...(clientId === undefined ? {} : { clientId }),
        ...(typeof payload.sub === 'string' && payload.sub !== consumer ? { subject: payload.sub } : {}),
      };
    }

    return {
      authenticate: async function authenticateJwt(ctx: RequestContext) {
        const now = deps.clock.now();
        const token = bearerToken(ctx);
        // With required: false, no bearer value or one that is clearly not a JWT (an API key,
        // say) is for another authentication policy on this route.
        if (token === undefined || (!config.required && !looksLikeJwt(token))) {
          if (config.required) throw new GatewayError('auth.missing_credentials', { detail: 'This route needs a bearer token.', headers: { 'www-authenticate': challenge } });
          return;
        }
        if (!config.forwardToken) ctx.removedHeaders.push('authorization');
        const blockedFor = failures?.blockedForSeconds(ctx.clientIp, now) ?? 0;
        if (blockedFor > 0) {
          ctx.logFields.authFailure = 'blocked';
          throw new GatewayError('auth.too_many_failures', { detail: 'Too many failed attempts from this address; try again later.', headers: { 'retry-after': String(blockedFor) } });
        }
        let principal: Principal;
        try {
          const result = await verify(token, now);
          principal = toPrincipal(result.payload, result.issuer, result.kid);
        } catch (error) {
          if (error instanceof TokenRejected) {
            ctx.logFields.authFailure = error.code;
            deps.services.metrics?.tokenRejected?.(ctx.route.name, error.code);
            // Awaited: under --workers the answer waits until every worker knows of a block.
            if (await failures?.recordFailure(ctx.clientIp, now)) {
              deps.logger.warn({ event: 'auth.client_blocked', clientIp: ctx.clientIp, requestId: ctx.requestId }, 'too many failed authentications: client blocked');
            }
          }
          throw error;
        }
        const missing = config.scopes.filter((scope) => !principal.scopes.includes(scope));
        if (missing.length > 0) {
          throw new GatewayError('auth.insufficient_scope', {
            detail: `This request needs the scope${missing.length > 1 ? 's' : ''} ${missing.join(', ')}.`,
            headers: { 'www-authenticate': `${challenge}, error="insufficient_scope", scope="${config.scopes.join(' ')}"` },
          });
        }
        // Two credentials must name the same consumer; the earlier policy's principal stays.
        establishPrincipal(ctx, principal);
      },
    };
  },
});

function bearerToken(ctx: RequestContext): string | undefined {
  const value = ctx.req.headers.authorization;
  if (typeof value !== 'string' || value.length < 8 || value.slice(0, 7).toLowerCase() !== 'bearer ') return undefined;
  const token = value.slice(7).trim();
  return token === '' ? undefined : token;
}

/** RFC 9068 §2.1: `at+jwt`, also written `application/at+jwt` (media types compare case-insensitively). */
function typMatches(actual: unknown, expected: string): boolean {
  if (typeof actual !== 'string') return false;
  const normalize = (value: string) => value.toLowerCase().replace(/^application\//, '');
  return normalize(actual) === normalize(expected);
}

/** Scopes from `scope` (RFC 8693 §4.2, RFC 9068 §2.2.3: space-separated) or `scp` (a list, or a string). */
function tokenScopes(payload: JWTPayload): readonly string[] {
  const raw = payload.scope ?? payload.scp;
  const list = typeof raw === 'string' ? raw.split(' ') : Array.isArray(raw) ? raw : [];
  // Only RFC 6749 §3.3 scope-tokens: anything else can match no required scope, and could not
  // travel in the X-Consumer-Scopes header.
  return list.filter((scope): scope is string => typeof scope === 'string' && SCOPE_TOKEN.test(scope));
}
