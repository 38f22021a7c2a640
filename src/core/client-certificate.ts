/**
 * The problems a TLS client-certificate outcome turns into, shared by the listener (mode
 * `required`) and the auth-mtls policy so both answer alike. The detail says what is wrong in
 * words a partner can act on; the OpenSSL reason goes to the log only.
 */
import type { ClientCertificate } from './context.js';
import { GatewayError } from './errors.js';
import type { AuthFailureTracker } from './services.js';

export function clientCertificateError(outcome: ClientCertificate | undefined): GatewayError | undefined {
  if (!outcome || outcome.status === 'none') {
    return new GatewayError('auth.client_cert_required', { detail: 'This request needs a TLS client certificate.' });
  }
  if (outcome.status === 'revoked') {
    return new GatewayError('auth.client_cert_revoked', { detail: 'The client certificate has been revoked.', internal: `serial ${outcome.certificate.serial} of ${outcome.certificate.issuer} revoked` });
  }
  if (outcome.status === 'invalid') {
    const detail = INVALID_DETAILS[outcome.reason] ?? 'The client certificate could not be verified against the trusted CAs.';
    return new GatewayError('auth.client_cert_invalid', { detail, internal: `client certificate not accepted: ${outcome.reason}` });
  }
  return undefined;
}

/**
 * Whether a refused outcome counts towards brute-force blocking (`bruteForce`): a certificate
 * presented and refused (untrusted, expired, revoked, mapped to no consumer) is a failed
 * authentication like a wrong API key. Not counted: no certificate at all (nothing was tried,
 * as with a missing API key), and a revocation status we cannot know because our own CRL source
 * is down (the client did nothing wrong; counting it would block every partner during an outage).
 */
export function certificateFailureCounts(outcome: ClientCertificate | undefined): boolean {
  if (!outcome || outcome.status === 'none') return false;
  return !(outcome.status === 'invalid' && outcome.reason === 'REVOCATION_STATUS_UNKNOWN');
}

export interface FailureAccounting {
  readonly failures: AuthFailureTracker | undefined;
  readonly clientIp: string;
  readonly now: number;
  /** Called when this failure starts a block (to log it). */
  onBlocked(): void;
}

/** 429 auth.too_many_failures for a client blocked for `seconds`, or undefined when it is not blocked. */
export function blockedError(accounting: FailureAccounting): GatewayError | undefined {
  const seconds = accounting.failures?.blockedForSeconds(accounting.clientIp, accounting.now) ?? 0;
  if (seconds <= 0) return undefined;
  return new GatewayError('auth.too_many_failures', { detail: 'Too many failed attempts from this address; try again later.', headers: { 'retry-after': String(seconds) } });
}

/**
 * Counts a refused certificate outcome when it should count (certificateFailureCounts). Await it
 * before answering: under `--workers` it settles once every worker knows of a block it starts.
 */
export async function countCertificateFailure(outcome: ClientCertificate | undefined, accounting: FailureAccounting): Promise<void> {
  if (certificateFailureCounts(outcome) && (await accounting.failures?.recordFailure(accounting.clientIp, accounting.now))) accounting.onBlocked();
}

/** OpenSSL verification codes (as Node reports them) that deserve their own wording. */
const INVALID_DETAILS: Record<string, string> = {
  CERT_HAS_EXPIRED: 'The client certificate has expired.',
  CERT_NOT_YET_VALID: 'The client certificate is not valid yet.',
  REVOCATION_STATUS_UNKNOWN: 'The revocation status of the client certificate cannot be checked right now.',
};
