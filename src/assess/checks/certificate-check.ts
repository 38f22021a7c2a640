/**
 * The certificate check of `portcullis assess` (issue 23 §2): one handshake as an ordinary client
 * makes it (the default roots, plus `--ca-file`'s CAs: tls/trust.ts; OCSP stapling asked for), then the chain Node verified is
 * judged: trust, completeness, host name (RFC 9525), key, signature algorithm, expiry, OCSP
 * stapling and embedded SCTs. Certificates are parsed by Node and @peculiar/x509, never by hand.
 */
import { X509Certificate as NodeX509 } from 'node:crypto';
import { checkServerIdentity, type DetailedPeerCertificate } from 'node:tls';
import { x509 } from '../../auth/x509.js';
import type { AssessCheck, AssessFinding, AssessTarget } from '../finding.js';
import { ProviderUnreachableError } from '../run-assessment.js';
import { handshake } from '../tls/handshake.js';
import { admittedEndpoint } from '../tls/endpoint.js';
import { trustedCas } from '../tls/trust.js';
import { CERTIFICATE_RULES as RULES } from './certificate-rules.js';
import { found } from './found.js';

const DAY_MS = 86_400_000;
/** RFC 6962 §3.3: the X.509v3 extension that carries embedded SCTs. */
const SCT_LIST_OID = '1.3.6.1.4.1.11129.2.4.2';
const WEAK_SIGNATURE = /sha1|md5|md2/i;

export function certificateCheck(): AssessCheck {
  return {
    name: 'certificate',
    rules: Object.values(RULES),
    async run(target: AssessTarget): Promise<AssessFinding[]> {
      // Continuous mode: exactly the upstream's tls.caFiles, as its pool trusts them; else trust.ts.
      const endpoint = await admittedEndpoint(target, target.ca !== undefined ? [target.ca] : trustedCas(target));
      const where = `${endpoint.host}:${endpoint.port}`;
      const result = await handshake({ ...endpoint, minVersion: 'TLSv1', ciphers: 'DEFAULT@SECLEVEL=0', requestOCSP: true });
      if (!result.ok) throw new ProviderUnreachableError(`${where}: ${result.error}`);
      const leaf = result.certificate;
      if (!leaf?.raw) return [found(RULES.untrusted, 'the server sent no certificate', where)];
      const findings: AssessFinding[] = [];
      const error = result.authorizationError;
      if (error === 'DEPTH_ZERO_SELF_SIGNED_CERT') findings.push(found(RULES.selfSigned, `${leaf.subject?.CN ?? 'the certificate'} is self-signed`, where));
      else if (error === 'CERT_HAS_EXPIRED' || error === 'CERT_NOT_YET_VALID') findings.push(found(RULES.expired, `valid ${leaf.valid_from} to ${leaf.valid_to} (${error})`, where));
      else if (error === 'UNABLE_TO_VERIFY_LEAF_SIGNATURE' && !endsAtSelfIssued(leaf)) findings.push(found(RULES.incompleteChain, `the server sent no issuer for ${describe(lastOf(leaf))}`, where));
      else if (error !== undefined) findings.push(found(RULES.untrusted, `the chain does not verify: ${error}`, where));
      const mismatch = checkServerIdentity(endpoint.host, leaf);
      if (mismatch) findings.push(found(RULES.hostnameMismatch, mismatch.message, where));
      const node = new NodeX509(leaf.raw);
      const key = node.publicKey.asymmetricKeyDetails;
      const type = node.publicKey.asymmetricKeyType;
      if (type === 'rsa' && (key?.modulusLength ?? 0) < 2048) findings.push(found(RULES.weakKey, `RSA ${key?.modulusLength} bits`, where, (key?.modulusLength ?? 0) < 1024 ? 'critical' : 'high'));
      if (type === 'ec' && /^(secp192|prime192|secp224)/.test(key?.namedCurve ?? '')) findings.push(found(RULES.weakKey, `EC ${key?.namedCurve}`, where));
      const parsed = new x509.X509Certificate(leaf.raw);
      const algorithm = parsed.signatureAlgorithm as { name?: string; hash?: { name?: string } };
      const signature = `${algorithm.hash?.name ?? ''} ${algorithm.name ?? ''}`.trim();
      if (WEAK_SIGNATURE.test(signature)) findings.push(found(RULES.weakSignature, `signed with ${signature}`, where));
      const daysLeft = Math.floor((Date.parse(node.validTo) - target.clock.now()) / DAY_MS);
      if (error !== 'CERT_HAS_EXPIRED' && daysLeft >= 0 && daysLeft < 30) findings.push(found(RULES.expiresSoon, `expires in ${daysLeft} days (${node.validTo})`, where, daysLeft <= 7 ? 'high' : 'medium'));
      if (!result.ocspResponse) findings.push(found(RULES.noOcspStapling, 'no stapled OCSP response', where));
      if (!parsed.extensions.some((extension) => extension.type === SCT_LIST_OID)) findings.push(found(RULES.noSct, 'no embedded SCT list', where));
      return findings;
    },
  };
}

/** The last certificate the server sent (Node links the chain by issuerCertificate). */
function lastOf(leaf: DetailedPeerCertificate): DetailedPeerCertificate {
  let current = leaf;
  const seen = new Set<string>();
  while (current.issuerCertificate && current.issuerCertificate !== current && !seen.has(current.fingerprint256)) {
    seen.add(current.fingerprint256);
    current = current.issuerCertificate;
  }
  return current;
}

/** Whether the sent chain ends at a self-issued (root) certificate: then nothing is missing, the root is just unknown. */
function endsAtSelfIssued(leaf: DetailedPeerCertificate): boolean {
  const last = lastOf(leaf);
  return new NodeX509(last.raw).checkIssued(new NodeX509(last.raw));
}

function describe(certificate: DetailedPeerCertificate): string {
  return `"${certificate.subject?.CN ?? certificate.subject?.O ?? 'certificate'}" (issued by "${certificate.issuer?.CN ?? certificate.issuer?.O ?? '?'}")`;
}
