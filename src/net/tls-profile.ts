/**
 * The TLS profile every TLS connection of the gateway uses, inbound and outbound: protocol
 * versions, cipher suites and key-exchange groups. One place, so a listener, an upstream pool and
 * a JWKS, CRL or OCSP fetch cannot drift apart.
 *
 * Suites: TLS 1.2 at least (1.3 preferred: OpenSSL negotiates the highest both sides support),
 * and for TLS 1.2 only ECDHE (forward secret) with AEAD ciphers (GCM, ChaCha20-Poly1305): no CBC,
 * no static RSA key exchange, no RC4/3DES (RFC 9325 §4.2). The set equals Mozilla's
 * "intermediate" profile.
 *
 * Groups: X25519, P-256 and P-384 only by default. The finite-field groups (ffdhe2048 …
 * ffdhe8192, RFC 7919) cost the server up to ~60 times the CPU of X25519 per handshake, paid
 * before any authentication: a client offering only ffdhe8192 makes each hello ~187 ms of server
 * CPU for almost nothing of its own (issue 14). X448 and P-521 add cost without a client that
 * needs them. A listener or upstream may widen the list (`tls.groups`).
 */

/** TLS 1.3 suites (all AEAD and forward secret), then the TLS 1.2 ECDHE AEAD suites, strongest first. */
export const HARDENED_CIPHERS = [
  'TLS_AES_256_GCM_SHA384',
  'TLS_CHACHA20_POLY1305_SHA256',
  'TLS_AES_128_GCM_SHA256',
  'ECDHE-ECDSA-AES256-GCM-SHA384',
  'ECDHE-RSA-AES256-GCM-SHA384',
  'ECDHE-ECDSA-CHACHA20-POLY1305',
  'ECDHE-RSA-CHACHA20-POLY1305',
  'ECDHE-ECDSA-AES128-GCM-SHA256',
  'ECDHE-RSA-AES128-GCM-SHA256',
].join(':');

/** Every key-exchange group a config may name (OpenSSL's names), cheapest first. */
export const TLS_GROUPS = ['X25519', 'P-256', 'P-384', 'X448', 'P-521', 'ffdhe2048', 'ffdhe3072', 'ffdhe4096', 'ffdhe6144', 'ffdhe8192'] as const;
export type TlsGroup = (typeof TLS_GROUPS)[number];

/** The groups offered and accepted unless a config widens them; X25519 preferred. */
export const DEFAULT_GROUPS: readonly TlsGroup[] = Object.freeze(['X25519', 'P-256', 'P-384']);

/** The `ecdhCurve` value for Node's TLS (OpenSSL's groups list: in TLS 1.3 it covers ffdhe too). */
export function groupList(groups: readonly TlsGroup[] = DEFAULT_GROUPS): string {
  return groups.join(':');
}

/** Options for an outbound TLS connection that has no config of its own (JWKS, CRL, OCSP fetches). */
export const OUTBOUND_TLS = Object.freeze({ minVersion: 'TLSv1.2' as const, ciphers: HARDENED_CIPHERS, ecdhCurve: groupList() });
