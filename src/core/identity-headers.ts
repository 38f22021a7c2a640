/**
 * The identity headers the upstream receives, written by the gateway from ctx.principal whichever
 * authentication policy set it (API key, JWT, client certificate). The gateway owns these names:
 * they are removed from every incoming request on every route and then set or cleared, so a
 * client can never pass its own `X-Consumer-Id` through (see STYLE.md, Kong).
 */
import type { HeaderMap, Principal } from './context.js';

export const IDENTITY_HEADERS = ['x-consumer-id', 'x-consumer-name', 'x-consumer-scopes', 'x-auth-method', 'x-client-id', 'x-auth-subject', 'x-client-cert-fingerprint'] as const;

/** The headers for a principal; none at all for an anonymous request. */
export function identityHeaders(principal: Principal | undefined): HeaderMap {
  if (!principal) return {};
  const headers: HeaderMap = {
    'x-consumer-id': principal.consumerId,
    // A consumer name is free text: percent-encoded so it is always a valid header value.
    'x-consumer-name': encodeURIComponent(principal.consumerName),
    'x-consumer-scopes': principal.scopes.join(' '),
    'x-auth-method': principal.type,
  };
  if (principal.clientId !== undefined) headers['x-client-id'] = encodeURIComponent(principal.clientId);
  if (principal.subject !== undefined) headers['x-auth-subject'] = encodeURIComponent(principal.subject);
  // For a client certificate the credential id is its SHA-256 fingerprint (hex): upstreams can pin it.
  if (principal.type === 'client_certificate') headers['x-client-cert-fingerprint'] = principal.credentialId;
  return headers;
}
