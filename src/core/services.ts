/**
 * Services the gateway hands to policies through PolicyDeps, described by what policies need of
 * them, so core and policies never import the modules that implement them.
 */

export interface ApiKeyPrincipal {
  readonly keyId: string;
  readonly consumerId: string;
  readonly consumerName: string;
  readonly scopes: readonly string[];
}

export type ApiKeyVerdict =
  | { ok: true; principal: ApiKeyPrincipal }
  | { ok: false; reason: 'malformed' | 'unknown' | 'mismatch' | 'expired' | 'revoked' | 'consumer_disabled' };

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
  /** Counts a failure; true when this failure starts a block. */
  recordFailure(clientIp: string, now: number): boolean;
}

export interface GeoLookup {
  lookup(ip: string): import('./context.js').GeoInfo;
}

/** Counters policies report to (see observability/metrics.ts for the names). */
export interface PolicyMetrics {
  locationMismatch(route: string, action: 'flag' | 'deny'): void;
}

export interface GatewayServices {
  readonly metrics?: PolicyMetrics;
  readonly apiKeys?: ApiKeyVerifier;
  readonly geo?: GeoLookup;
  readonly authFailures?: AuthFailureTracker;
}
