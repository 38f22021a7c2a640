/**
 * Rules of the certificate check (docs/assess.md#certificate): whether an API client can trust
 * the provider's certificate chain, and how strong and how fresh it is. API clients do not fetch
 * missing intermediates (no AIA chasing), so an incomplete chain breaks them even where a browser
 * copes.
 */
import type { AssessRule } from '../finding.js';

export const CERTIFICATE_RULES = {
  untrusted: { id: 'AS-CERT-001', severity: 'critical', cap: 'F', title: 'The certificate chain is not trusted', why: 'A client that verifies certificates (as it must, RFC 9110 §4.3.4) refuses the connection; one that does not can be impersonated.', fix: 'Serve a chain issued by a publicly trusted CA (or give the private CA with --ca-file).' },
  selfSigned: { id: 'AS-CERT-002', severity: 'critical', cap: 'F', title: 'Self-signed certificate', why: 'Nothing vouches for a self-signed certificate: any attacker can make one.', fix: 'Use a certificate from a trusted CA.' },
  expired: { id: 'AS-CERT-003', severity: 'critical', cap: 'F', title: 'The certificate has expired (or is not yet valid)', why: 'RFC 5280 §4.1.2.5: outside its validity a certificate must be refused.', fix: 'Renew the certificate; automate renewal (ACME, RFC 8555).' },
  incompleteChain: { id: 'AS-CERT-004', severity: 'high', cap: 'B', title: 'The chain is incomplete (an intermediate is missing)', why: 'RFC 8446 §4.4.2: the server sends the chain up to (not including) the root. API clients do not fetch a missing intermediate and fail.', fix: 'Serve the leaf followed by every intermediate certificate.' },
  hostnameMismatch: { id: 'AS-CERT-005', severity: 'critical', cap: 'F', title: 'The certificate does not match the host name', why: 'RFC 9525 §6: the client must find the host it connected to among the certificate\'s DNS names.', fix: 'Issue a certificate whose subjectAltName includes this host.' },
  weakKey: { id: 'AS-CERT-006', severity: 'high', cap: 'B', title: 'Weak certificate key', why: 'RSA keys below 2048 bits and EC keys below 256 bits are under the minimum of NIST SP 800-57 and the CA/Browser Forum.', fix: 'Reissue with RSA 2048+ or ECDSA P-256+.' },
  weakSignature: { id: 'AS-CERT-007', severity: 'high', cap: 'C', title: 'Weak certificate signature algorithm', why: 'SHA-1 and MD5 signatures can be forged by chosen-prefix collisions (RFC 9155 deprecates them in TLS 1.2).', fix: 'Reissue with a SHA-256 (or stronger) signature.' },
  expiresSoon: { id: 'AS-CERT-008', severity: 'medium', title: 'The certificate expires within 30 days', why: 'An expiry nobody noticed is an outage; renewal should be automatic and early.', fix: 'Renew now and automate renewal.' },
  noOcspStapling: { id: 'AS-CERT-009', severity: 'info', title: 'No OCSP stapling', why: 'Without a stapled OCSP response (RFC 6066 §8) clients cannot cheaply learn that the certificate was revoked.', fix: 'Enable OCSP stapling on the server.' },
  noSct: { id: 'AS-CERT-010', severity: 'info', title: 'No Certificate Transparency SCTs in the certificate', why: 'Embedded SCTs (RFC 6962 §3.3) prove the certificate was logged publicly, so a mis-issued one can be found.', fix: 'Use a CA that embeds SCTs (every public CA does); a private CA need not.' },
} as const satisfies Record<string, AssessRule>;
