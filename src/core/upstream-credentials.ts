/**
 * The contract between the upstream-auth policy (policies/upstream-auth/) and the credential
 * service that holds third-party credentials and their tokens (credentials/), and the seam the
 * proxy uses to give that policy a say on the upstream's answer (one forced refresh and retry on a
 * 401, issue 19 §4). Core names only what they exchange.
 */
import { defineStateKey } from './request-state.js';

/** The header a credential puts on an upstream request (lower-case name) and its value. */
export interface InjectedCredential {
  readonly header: string;
  readonly value: string;
  /** The token version it came from: a forced refresh replaces exactly this one, not a newer one. */
  readonly version: number;
}

export interface UpstreamCredentialSource {
  /**
   * What to send for credential `name` now: from memory while its token is valid beyond the
   * refresh skew, else refreshed (single flight per node, a lock across nodes). Never a token past
   * its expiry: throws GatewayError `upstream.credential_unavailable` when none can be had.
   * `force` with the version the upstream refused: refresh unless a newer token is already there.
   */
  inject(name: string, options?: { readonly forceAfterVersion?: number | undefined }): Promise<InjectedCredential>;
  /** The upstream's status to a request that carried `name` (401/403 streaks quarantine it; success resets them). */
  reportStatus(name: string, status: number): void;
}

/** Set by upstream-auth in the transform phase; the proxy asks it once the upstream's head is in. */
export interface UpstreamAuthHook {
  /**
   * The upstream answered `status`. Returns true when the request is to be sent once more (the
   * header in ctx.upstreamHeaders was replaced with a fresh token): only on a first 401, for an
   * idempotent request without a body, and when a newer token could be had.
   */
  onUpstreamStatus(status: number, retryable: boolean): Promise<boolean>;
}

export const UPSTREAM_AUTH_HOOK = defineStateKey<UpstreamAuthHook>('upstream-auth.hook');
