/**
 * Authenticates a request by API key. The key is read from the configured places (by default
 * `Authorization: Bearer` and `X-API-Key`; the query string only if explicitly allowed), checked
 * against the in-memory key index (shape and checksum first, then the keyed hash in constant time,
 * then status, expiry and consumer), and stripped before forwarding. The gateway turns the
 * principal into identity headers (core/identity-headers.ts). A key in its warn window (issue 24
 * §5, docs/api-keys.md#the-api-key-expires-header) is answered with `API-Key-Expires`, so the
 * partner's client can see that its credential, not the API, is about to end.
 */
import { Type } from '@sinclair/typebox';
import { establishPrincipal } from '../../core/auth-composition.js';
import type { RequestContext } from '../../core/context.js';
import { looksLikeJwt } from '../../core/credential-shape.js';
import { GatewayError, type ErrorCode } from '../../core/errors.js';
import { definePolicy, policyConfig } from '../../core/policy.js';
import { defineStateKey } from '../../core/request-state.js';
import type { ApiKeyVerdict } from '../../core/services.js';
import { httpDate } from '../../http/lifecycle-headers.js';

/**
 * The response header naming when the authenticated key ends (an IMF-fixdate, RFC 9110 §5.6.7).
 * Not `Deprecation`/`Sunset` (RFC 9745, RFC 8594): those describe the API, this the credential.
 */
export const API_KEY_EXPIRES_HEADER = 'api-key-expires';
/** When the request's key ends, set at authentication for the respond phase. */
const KEY_EXPIRES_AT = defineStateKey<number>('auth-apikey.expiresAt');

const configSchema = policyConfig(
  {
    sources: Type.Array(
      Type.Object(
        {
          header: Type.String({ pattern: '^[A-Za-z0-9-]+$', description: 'Header to read the key from.' }),
          scheme: Type.Optional(Type.String({ pattern: '^[A-Za-z]+$', description: 'Authorization scheme before the key, e.g. Bearer.' })),
        },
        { additionalProperties: false },
      ),
      { minItems: 1, default: [{ header: 'authorization', scheme: 'Bearer' }, { header: 'x-api-key' }], description: 'Where to look for the key, in order.' },
    ),
    queryParam: Type.Optional(Type.String({ pattern: '^[A-Za-z0-9_.-]+$', description: 'Also accept the key in this query parameter (discouraged: URLs end up in logs and histories).' })),
    required: Type.Boolean({ default: true, description: 'false: a request without an API key (or whose bearer value is a JWT) passes on without a principal, for routes that accept another credential.' }),
    realm: Type.String({ default: 'portcullis', pattern: '^[^"\\\\]*$', description: 'Realm named in WWW-Authenticate.' }),
  },
  'Authenticates requests by API key.',
);

/** Verdicts map to distinct problems; the detail never contains the key. */
const FAILURES: Record<Exclude<ApiKeyVerdict, { ok: true }>['reason'], { code: ErrorCode; detail: string }> = {
  malformed: { code: 'auth.key_invalid', detail: 'The API key is not valid.' },
  unknown: { code: 'auth.key_invalid', detail: 'The API key is not valid.' },
  mismatch: { code: 'auth.key_invalid', detail: 'The API key is not valid.' },
  expired: { code: 'auth.key_expired', detail: 'The API key has expired.' },
  revoked: { code: 'auth.key_revoked', detail: 'The API key has been revoked.' },
  consumer_disabled: { code: 'auth.consumer_disabled', detail: 'The consumer this key belongs to is disabled.' },
};

export const authApiKey = definePolicy({
  name: 'auth-apikey',
  description: 'Authenticates requests by API key; the gateway then sets identity headers for the upstream.',
  enabledByDefault: false,
  configSchema,
  requires: ['apiKeys', 'authFailures'],
  credentialLocations(config) {
    return { headers: config.sources.map((source) => source.header.toLowerCase()), queryParams: config.queryParam ? [config.queryParam] : [] };
  },
  create(config, deps) {
    const verifier = deps.services.apiKeys;
    const failures = deps.services.authFailures;
    const sources = config.sources.map((source) => ({ header: source.header.toLowerCase(), prefix: source.scheme ? `${source.scheme.toLowerCase()} ` : undefined }));
    const challenge = `Bearer realm="${config.realm}"`;
    const queryParam = config.queryParam;
    const skipJwts = !config.required;

    const sourceHeaders = sources.map((source) => source.header);

    /**
     * Takes every place a key may be out of the request, whether or not it is the one used: a
     * second key (or the query key beside a header key) must not reach the upstream or the log.
     */
    function takeKey(ctx: RequestContext): string | undefined {
      let queryKey: string | null = null;
      if (queryParam && ctx.search !== '') {
        const params = new URLSearchParams(ctx.search);
        // Two keys in the query: which one counts is a guess the upstream may make otherwise.
        if (params.getAll(queryParam).length > 1) throw new GatewayError('request.malformed', { detail: `The query names ${queryParam} more than once: a credential must be named once.` });
        queryKey = params.get(queryParam);
        if (params.has(queryParam)) {
          params.delete(queryParam);
          const rest = params.toString();
          ctx.search = rest === '' ? '' : `?${rest}`;
        }
      }
      ctx.removedHeaders.push(...sourceHeaders);
      for (const source of sources) {
        const value = ctx.req.headers[source.header];
        if (typeof value !== 'string' || value === '') continue;
        let candidate: string | undefined;
        if (source.prefix === undefined) candidate = value.trim();
        else if (value.length > source.prefix.length && value.slice(0, source.prefix.length).toLowerCase() === source.prefix) candidate = value.slice(source.prefix.length).trim();
        // With required: false, a bearer JWT is for the JWT policy: look on for an API key.
        if (candidate !== undefined && !(skipJwts && looksLikeJwt(candidate))) return candidate;
      }
      return queryKey || undefined;
    }

    /**
     * Counts the failure, then refuses. Async only here: under `--workers` the count is the
     * primary's, and the answer waits until every worker knows of a block it starts.
     */
    async function refuseKey(ctx: RequestContext, reason: keyof typeof FAILURES, now: number): Promise<never> {
      ctx.logFields.authFailure = reason;
      if (await failures?.recordFailure(ctx.clientIp, now)) {
        deps.logger.warn({ event: 'auth.client_blocked', clientIp: ctx.clientIp, requestId: ctx.requestId }, 'too many failed authentications: client blocked');
      }
      const failure = FAILURES[reason];
      throw new GatewayError(failure.code, { detail: failure.detail, headers: { 'www-authenticate': `${challenge}, error="invalid_token"` } });
    }

    return {
      authenticate: function authenticateApiKey(ctx) {
        const now = deps.clock.now();
        const key = takeKey(ctx);
        // With required: false, a request without a key is for another authentication policy.
        if (!config.required && key === undefined) return;
        const blockedFor = failures?.blockedForSeconds(ctx.clientIp, now) ?? 0;
        if (blockedFor > 0) {
          ctx.logFields.authFailure = 'blocked';
          throw new GatewayError('auth.too_many_failures', { detail: 'Too many failed attempts from this address; try again later.', headers: { 'retry-after': String(blockedFor) } });
        }
        if (key === undefined) {
          throw new GatewayError('auth.missing_credentials', { detail: 'This route needs an API key.', headers: { 'www-authenticate': challenge } });
        }
        const verdict = verifier.verify(key, now);
        if (!verdict.ok) {
          // A genuine key after its revocation: leaked, or a partner not told. An audit event (batched, off this path).
          if (verdict.reason === 'revoked') deps.services.securityEvents?.report({ kind: 'api_key.used_after_revocation', clientIp: ctx.clientIp, subject: verdict.keyId, requestId: ctx.requestId });
          return refuseKey(ctx, verdict.reason, now);
        }
        const { principal } = verdict;
        establishPrincipal(ctx, { type: 'api_key', consumerId: principal.consumerId, consumerName: principal.consumerName, scopes: principal.scopes, credentialId: principal.keyId });
        verifier.markUsed(principal.keyId, now);
        if (principal.warnExpiresAt !== undefined) ctx.state.set(KEY_EXPIRES_AT, principal.warnExpiresAt);
      },
      // On every answer to the request, the upstream's or a problem: the partner learns either way.
      respond: function announceKeyExpiry(ctx) {
        const expiresAt = ctx.state.get(KEY_EXPIRES_AT);
        if (expiresAt !== undefined && ctx.response) ctx.response.headers[API_KEY_EXPIRES_HEADER] = httpDate(expiresAt);
      },
    };
  },
});
