/**
 * Rules of the TLS check (docs/assess.md#tls): protocols and cipher suites a provider offers.
 * Caps follow the well-known graders: an old protocol or a suite without forward secrecy caps at
 * B, neither TLS 1.2 nor 1.3 at C, NULL and anonymous suites at F, no TLS 1.3 keeps a provider from A+.
 */
import type { AssessRule } from '../finding.js';

export const TLS_RULES = {
  tls10: { id: 'AS-TLS-001', severity: 'high', cap: 'B', title: 'TLS 1.0 offered', why: 'RFC 8996 deprecates TLS 1.0: no modern AEAD suites, SHA-1 in the handshake; PCI DSS forbids it.', fix: 'Turn TLS 1.0 off; offer TLS 1.2 and 1.3 only.' },
  tls11: { id: 'AS-TLS-002', severity: 'high', cap: 'B', title: 'TLS 1.1 offered', why: 'RFC 8996 deprecates TLS 1.1 for the same reasons as TLS 1.0.', fix: 'Turn TLS 1.1 off; offer TLS 1.2 and 1.3 only.' },
  noTls13: { id: 'AS-TLS-003', severity: 'low', cap: 'A', title: 'TLS 1.3 not offered', why: 'TLS 1.3 (RFC 8446) has only forward-secret AEAD suites and a shorter, encrypted handshake; the best grade needs it.', fix: 'Enable TLS 1.3.' },
  sslNotTested: { id: 'AS-TLS-004', severity: 'info', title: 'SSLv2 and SSLv3 not tested', why: "Node 20's OpenSSL cannot offer SSLv2 or SSLv3, so their absence is not claimed (RFC 7568 forbids SSLv3).", fix: 'Check with a tool that still speaks SSLv3 (testssl.sh) if the provider may be old.' },
  noForwardSecrecy: { id: 'AS-TLS-005', severity: 'high', cap: 'B', title: 'Cipher suites without forward secrecy', why: 'With static RSA or static (EC)DH key exchange, whoever gets the server key later decrypts recorded traffic (RFC 7525 §4.2 recommends only (EC)DHE).', fix: 'Offer only ECDHE/DHE suites (and TLS 1.3).' },
  cbc: { id: 'AS-TLS-006', severity: 'low', title: 'CBC cipher suites offered', why: 'CBC suites in TLS ≤ 1.2 are MAC-then-encrypt and the source of padding-oracle attacks (Lucky13); RFC 9325 §4.2 recommends AEAD suites.', fix: 'Offer AEAD suites (AES-GCM, ChaCha20-Poly1305) only.' },
  nullCipher: { id: 'AS-TLS-007', severity: 'critical', cap: 'F', title: 'NULL cipher suites offered (no encryption)', why: 'A NULL suite sends the traffic in clear text behind a TLS handshake (RFC 9325 §4.1 forbids them).', fix: 'Remove every NULL suite from the server configuration.' },
  anonymous: { id: 'AS-TLS-008', severity: 'critical', cap: 'F', title: 'Anonymous cipher suites offered (no authentication)', why: 'An anonymous (EC)DH suite authenticates no server: anyone in the path can impersonate it (RFC 9325 §4.1).', fix: 'Remove every aNULL suite.' },
  legacyNotTested: { id: 'AS-TLS-009', severity: 'info', title: '3DES, RC4 and export suites not tested', why: "Node 20's OpenSSL cannot offer 3DES, RC4 or export suites, so their absence is not claimed (RFC 7465 forbids RC4).", fix: 'Check with testssl.sh if the provider may still offer them.' },
  clientOrder: { id: 'AS-TLS-010', severity: 'info', title: 'The server follows the client\'s cipher order', why: 'Without its own preference order a server lets a client pick its weakest accepted suite.', fix: 'Set the server to prefer its own order (honorCipherOrder, ssl_prefer_server_ciphers).' },
  weakDh: { id: 'AS-TLS-011', severity: 'medium', cap: 'B', title: 'Diffie-Hellman group below 2048 bits', why: 'DH groups under 2048 bits are within reach of precomputation (Logjam; RFC 9325 §4.1).', fix: 'Use ECDHE, or DHE with the RFC 7919 ffdhe2048+ groups.' },
  noHandshake: { id: 'AS-TLS-012', severity: 'critical', cap: 'F', title: 'No TLS handshake succeeded', why: 'The endpoint answered but refused every protocol and suite this client offered.', fix: 'Serve TLS 1.2/1.3 with standard AEAD suites on this port.' },
  tls13: { id: 'AS-TLS-013', severity: 'info', title: 'TLS 1.3 offered', why: 'Noted, as the issue asks: TLS 1.3 is the protocol to have (RFC 8446).', fix: 'Nothing to do.' },
  noModern: { id: 'AS-TLS-014', severity: 'high', cap: 'C', title: 'Neither TLS 1.2 nor TLS 1.3 offered', why: 'RFC 9325 §3.1.1: TLS 1.2 must be supported; a client that refuses the deprecated versions (RFC 8996) cannot connect at all.', fix: 'Enable TLS 1.2 and TLS 1.3.' },
  groups: { id: 'AS-TLS-015', severity: 'info', title: 'Key-exchange groups offered', why: 'Noted, as the issue asks: the (EC)DH groups the server accepts when offered alone (RFC 8446 §4.2.7, RFC 7919).', fix: 'Nothing to do (offer X25519 and P-256).' },
} as const satisfies Record<string, AssessRule>;
