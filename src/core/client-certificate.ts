/**
 * The problems a TLS client-certificate outcome turns into, shared by the listener (mode
 * `required`) and the auth-mtls policy so both answer alike. The detail says what is wrong in
 * words a partner can act on; the OpenSSL reason goes to the log only.
 */
import type { ClientCertificate } from './context.js';
import { GatewayError } from './errors.js';

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

/** OpenSSL verification codes (as Node reports them) that deserve their own wording. */
const INVALID_DETAILS: Record<string, string> = {
  CERT_HAS_EXPIRED: 'The client certificate has expired.',
  CERT_NOT_YET_VALID: 'The client certificate is not valid yet.',
  REVOCATION_STATUS_UNKNOWN: 'The revocation status of the client certificate cannot be checked right now.',
};
