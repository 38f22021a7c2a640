/**
 * Services the gateway hands to policies through PolicyDeps, described by what policies need of
 * them, so core and policies never import the modules that implement them.
 */
import type { CryptoKey, FlattenedJWSInput, JWK, JWSHeaderParameters, JWTPayload } from 'jose';

export interface ApiKeyPrincipal {
  readonly keyId: string;
  readonly consumerId: string;
  readonly consumerName: string;
  readonly scopes: readonly string[];
  /**
   * Set when the key is in its warn window (issue 24 §5): when it ends (epoch ms), by its expiry or
   * its consumer's age policy, whichever is sooner; sent to the client as `API-Key-Expires`.
   */
  readonly warnExpiresAt?: number;
}

export type ApiKeyVerdict =
  | { ok: true; principal: ApiKeyPrincipal }
  | { ok: false; reason: 'malformed' | 'unknown' | 'mismatch' | 'expired' | 'revoked' | 'consumer_disabled'; /** The key's id, for a genuine key refused by its state (revoked): never the key. */ keyId?: string };

export interface ApiKeyVerifier {
  /** Answers from memory only: never a store query per request. */
  verify(key: string, now: number): ApiKeyVerdict;
  /** Notes a successful use; written to the store in batches. */
  markUsed(keyId: string, now: number): void;
}

/** Failed authentications per client IP, shared by every authentication policy on a node. */
export interface AuthFailureTracker {
  /** Seconds the client must wait, or 0 when it is not blocked. */
  blockedForSeconds(clientIp: string, now: number): number;
  /**
   * Counts a failure; true when this failure starts a block. Under `--workers` the count is the
   * primary's, and the Promise resolves once every worker knows of a block it starts: await it
   * before answering, so the client's next attempt is refused whichever worker takes it.
   */
  recordFailure(clientIp: string, now: number): boolean | Promise<boolean>;
}

/**
 * A security event of the data plane that belongs in the audit trail (docs/audit.md): a genuine
 * API key presented after its revocation, a client blocked after too many failed
 * authentications. Ids and addresses only, never a credential.
 */
export interface SecurityEvent {
  readonly kind: 'api_key.used_after_revocation' | 'brute_force.blocked';
  readonly clientIp: string;
  /** The key id, or the scope of a block (`data`, `admin`). */
  readonly subject?: string | undefined;
  readonly requestId?: string | undefined;
}

/** Takes security events without waiting: they are written in batches, off the request path. */
export interface SecurityEventReporter {
  report(event: SecurityEvent): void;
}

/** Where an issuer's verification keys come from, and how they are cached (auth-jwt). */
export interface IssuerKeysOptions {
  /** The issuer's `iss` value; a discovery document must name exactly this issuer. */
  readonly issuer: string;
  readonly discoveryUrl?: string | undefined;
  readonly jwksUrl?: string | undefined;
  readonly keys?: readonly JWK[] | undefined;
  /** The gateway's own authorization server (keys and revocations from memory). */
  readonly builtin?: boolean | undefined;
  readonly refreshSeconds: number;
  readonly minRefetchSeconds: number;
  readonly maxStaleSeconds: number;
  readonly timeoutMs: number;
}

/** The `code` of the error getKey throws when the keys cannot be had (a 503, not a 401). */
export const ISSUER_KEYS_UNAVAILABLE = 'ERR_ISSUER_KEYS_UNAVAILABLE';

export interface IssuerKeys {
  /** jose's key-resolver shape: the key for a token's protected header, or a jose error. */
  getKey(header: JWSHeaderParameters, token: FlattenedJWSInput): Promise<CryptoKey | Uint8Array>;
  /**
   * Only for an issuer that knows its own tokens (the built-in server), after the signature and
   * claims are verified: the consumer the token's client belongs to, or why the token no longer counts.
   */
  resolveConsumer?(payload: JWTPayload): TokenConsumer;
}

export type TokenConsumer = { ok: true; consumerId: string; consumerName: string } | { ok: false; reason: 'token_revoked' | 'client_revoked' | 'consumer_disabled' };

/** Key sets shared by every route and kept across reloads, so a reload does not refetch them. */
export interface IssuerKeyRegistry {
  keysFor(options: IssuerKeysOptions): IssuerKeys;
}

/** An endpoint the gateway answers itself on its client listeners (the authorization server's). */
export type BuiltinEndpoint = (ctx: import('./context.js').RequestContext) => Promise<import('./context.js').DirectResponse>;

export interface BuiltinEndpoints {
  /** The endpoint at this path (a wrong method gets an answer too), or undefined: route as usual. */
  match(method: string, path: string): { name: string; handle: BuiltinEndpoint } | undefined;
}

export interface GeoLookup {
  lookup(ip: string): import('./context.js').GeoInfo;
}

/**
 * Field-usage evidence (issue 20 §4): which allowed response fields reached a partner, per route
 * and consumer. Counted in memory on the hot path (never a store query per request) and written
 * in batches by the implementation (store/field-usage.ts).
 */
export interface FieldUsageRecorder {
  /** Counts one response of `route` to `consumer` (`-` when anonymous) in which `paths` were present. */
  record(route: string, consumer: string, paths: Iterable<string>, now: number): void;
}

/**
 * Route traffic for the API inventory (issue 24 §1, store/route-traffic.ts): one count per
 * response of a route, by consumer (`-` when anonymous) and hour, in memory on the hot path and
 * written in batches. `failed` is a 5xx or no response at all.
 */
export interface RouteTrafficRecorder {
  record(route: string, consumer: string, failed: boolean, now: number): void;
}

/** Requests on a whole-contract route that matched no operation, by method and path template (store/route-unmatched.ts). */
export interface RouteUnmatchedRecorder {
  record(route: string, method: string, template: string, now: number): void;
}

/** Counters policies report to (see observability/metrics.ts for the names). */
export interface PolicyMetrics {
  locationMismatch(route: string, action: 'flag' | 'deny'): void;
  /** A token was refused (auth-jwt), by error code. */
  tokenRejected?(route: string, code: string): void;
  /** A request refused by the validate policy (400 validation.failed). */
  validationFailure?(route: string): void;
  /** An upstream response that does not match the contract: reported, or blocked with 502. */
  contractViolation?(route: string, action: 'report' | 'block'): void;
}

/** Consumers by id, from memory (the key index follows the store's change feed). */
export interface ConsumerDirectory {
  /** `apiKeys`: the consumer's stored `metadata.apiKeys` (its key-age policy), absent when it has none. */
  consumer(id: string): { readonly name: string; readonly active: boolean; readonly apiKeys?: unknown } | undefined;
}

/** What the ratelimit policy needs: the stores, overrides and in-flight counts of this node. */
export interface RateLimitServices {
  /**
   * This node's memory: the `memory` store, and the `local` fallback when Redis fails. Under
   * `--workers`, the primary's memory over IPC (shared by every worker), which can fail.
   */
  readonly local: import('./rate-limit.js').RateLimitStore;
  /**
   * Under `--workers` only: this worker's own memory and slots, for `onStoreFailure: local` when
   * the primary does not answer (limits then hold per worker). Never fails.
   */
  readonly lastResort?: { readonly store: import('./rate-limit.js').RateLimitStore; readonly concurrency: import('./rate-limit.js').ConcurrencySlots };
  /** Redis, shared by every node, when the redis section is configured. */
  readonly shared: import('./rate-limit.js').RateLimitStore | undefined;
  /** Per-consumer and per-key overrides from the store, when there is a store. */
  readonly overrides: import('./rate-limit.js').OverrideLookup | undefined;
  readonly concurrency: import('./rate-limit.js').ConcurrencySlots;
  /** Counts a decision taken by the fallback because Redis (or, under `--workers`, the primary) failed. */
  fallbackUsed(route: string, mode: 'local' | 'open' | 'closed'): void;
  /** Counts a refusal, by the limit's name (or `concurrency`). */
  refused(route: string, limit: string): void;
  /**
   * A consumer's use of its most used limit after a decision: `used` is the share of the burst
   * spent (0..1; 1 when refused). Called only from USAGE_REPORT_FLOOR up, for the alert rule
   * rate_limit_saturation (alerts/limit-usage.ts); absent: nobody listens.
   */
  usage?(route: string, limit: string, consumer: string, used: number): void;
}

/** Uses below this share of a limit are not reported (the request path stays quiet for most requests). */
export const USAGE_REPORT_FLOOR = 0.5;

/**
 * Every service a policy can be given. Each is optional here because the gateway opens only what
 * the active policies declare in `requires` (core/policy.ts); a policy's own `deps.services` has
 * the ones it declared as present.
 */
export interface GatewayServices {
  readonly issuerKeys?: IssuerKeyRegistry;
  readonly consumers?: ConsumerDirectory;
  /** The built-in authorization server's endpoints, when `oauth` is configured. */
  readonly endpoints?: BuiltinEndpoints;
  readonly rateLimits?: RateLimitServices;
  readonly metrics?: PolicyMetrics;
  readonly apiKeys?: ApiKeyVerifier;
  readonly geo?: GeoLookup;
  readonly authFailures?: AuthFailureTracker;
  /** With a store: security events to record in the audit trail (batched off the request path). */
  readonly securityEvents?: SecurityEventReporter;
  /** With a store: where the private CA's newest CRL is read (served at `pki.crlPath`). */
  /** With a store: field-usage counters (the fields policy reports the allowed paths it saw). */
  readonly fieldUsage?: FieldUsageRecorder;
  readonly caCrls?: { latestCrl(caId: string): Promise<{ crlNumber: number; pem: string } | undefined> };
  /** With a store: the credentials the gateway injects into upstream requests (upstream-auth). */
  readonly upstreamCredentials?: import('./upstream-credentials.js').UpstreamCredentialSource;
}

/** The name of a service, as a policy declares it in `requires`. */
export type ServiceName = keyof GatewayServices;
