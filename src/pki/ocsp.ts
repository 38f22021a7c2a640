/**
 * OCSP for stapling (RFC 6960): the request for one certificate, and the checks a response must
 * pass before the gateway staples it. All ASN.1 is @peculiar/asn1-ocsp's and asn1-x509's; hashes
 * and signature checks are node:crypto's.
 *
 * A response is stapled only when it is a successful basicOCSPResponse, signed by the issuer or by
 * a responder certificate the issuer signed for OCSP signing (RFC 6960 §4.2.2.2), answering for
 * exactly our certificate (CertID), current (thisUpdate not in the future, nextUpdate not past),
 * and `good` or `revoked` (an `unknown` answer tells a client nothing).
 */
import { createHash, verify as verifySignature, X509Certificate as NodeCertificate, type KeyObject } from 'node:crypto';
import { AsnConvert, OctetString } from '@peculiar/asn1-schema';
import { BasicOCSPResponse, CertID, id_kp_OCSPSigning, id_pkix_ocsp_basic, OCSPRequest, OCSPResponse, OCSPResponseStatus, Request, TBSRequest } from '@peculiar/asn1-ocsp';
import { AlgorithmIdentifier, Certificate } from '@peculiar/asn1-x509';
import { x509 } from '../auth/x509.js';

const SHA1_OID = '1.3.14.3.2.26';
/** Clocks differ: a response made a little "in the future" by the responder's clock is still fine. */
const CLOCK_SKEW_MS = 5 * 60_000;

/** Signature algorithms responders use, as node:crypto names their digest (null: implied by the key). */
const SIGNATURE_DIGESTS: Record<string, string | null> = {
  '1.2.840.10045.4.3.2': 'sha256', // ecdsa-with-SHA256
  '1.2.840.10045.4.3.3': 'sha384',
  '1.2.840.10045.4.3.4': 'sha512',
  '1.2.840.113549.1.1.11': 'sha256', // sha256WithRSAEncryption
  '1.2.840.113549.1.1.12': 'sha384',
  '1.2.840.113549.1.1.13': 'sha512',
  '1.3.101.112': null, // Ed25519
};

export class OcspError extends Error {}

/** The certificate to staple for, its issuer, and where the issuer's responder is. */
export interface OcspSubject {
  readonly leaf: NodeCertificate;
  readonly issuer: NodeCertificate;
  readonly url: string;
}

/**
 * Finds, in a listener's chain (leaf first), the leaf's issuer and the OCSP URL of the leaf's
 * Authority Information Access extension (RFC 5280 §4.2.2.1).
 * @throws OcspError when the leaf names no responder or its issuer is not in the chain
 */
export function ocspSubject(chain: readonly x509.X509Certificate[]): OcspSubject {
  const [first, ...rest] = chain;
  if (!first) throw new OcspError('the certificate chain is empty');
  const leaf = new NodeCertificate(Buffer.from(first.rawData));
  const access = first.getExtension(x509.AuthorityInfoAccessExtension);
  const url = access?.ocsp.find((name) => name.type === 'url')?.value;
  if (!url || !/^https?:\/\//i.test(url)) throw new OcspError('the certificate names no http(s) OCSP responder (Authority Information Access)');
  const issuer = rest.map((certificate) => new NodeCertificate(Buffer.from(certificate.rawData))).find((candidate) => leaf.checkIssued(candidate) && leaf.verify(candidate.publicKey));
  if (!issuer) throw new OcspError("the leaf's issuer is not in the certificate chain (add it after the leaf in certFile)");
  return { leaf, issuer, url };
}

/** The CertID of a certificate (RFC 6960 §4.1.1), with SHA-1 as every responder supports it (RFC 5019 §2.1.1). */
export function certId(subject: OcspSubject): CertID {
  const issuer = AsnConvert.parse(subject.issuer.raw, Certificate);
  const leaf = AsnConvert.parse(subject.leaf.raw, Certificate);
  const sha1 = (data: ArrayBuffer) => new OctetString(createHash('sha1').update(Buffer.from(data)).digest());
  return new CertID({
    hashAlgorithm: new AlgorithmIdentifier({ algorithm: SHA1_OID, parameters: null }),
    issuerNameHash: sha1(AsnConvert.serialize(issuer.tbsCertificate.subject)),
    issuerKeyHash: sha1(issuer.tbsCertificate.subjectPublicKeyInfo.subjectPublicKey),
    serialNumber: leaf.tbsCertificate.serialNumber,
  });
}

/** DER of an unsigned OCSP request for one certificate (RFC 6960 §4.1.1). */
export function ocspRequest(id: CertID): Buffer {
  return Buffer.from(AsnConvert.serialize(new OCSPRequest({ tbsRequest: new TBSRequest({ requestList: [new Request({ reqCert: id })] }) })));
}

export interface CheckedResponse {
  readonly status: 'good' | 'revoked';
  readonly thisUpdate: number;
  /** Absent when the responder says newer information is always available (RFC 6960 §4.2.2.1). */
  readonly nextUpdate: number | undefined;
}

/**
 * Checks an OCSP response for stapling (see the module comment).
 * @param now milliseconds since the epoch
 * @throws OcspError saying what is wrong
 */
export function checkOcspResponse(der: Uint8Array, subject: OcspSubject, id: CertID, now: number): CheckedResponse {
  let response: OCSPResponse;
  let basic: BasicOCSPResponse;
  try {
    response = AsnConvert.parse(der, OCSPResponse);
    if (response.responseStatus !== OCSPResponseStatus.successful) throw new OcspError(`the responder answered ${OCSPResponseStatus[response.responseStatus] ?? response.responseStatus}`);
    if (response.responseBytes?.responseType !== id_pkix_ocsp_basic) throw new OcspError('the response is not a basic OCSP response');
    basic = AsnConvert.parse(response.responseBytes.response, BasicOCSPResponse);
  } catch (error) {
    if (error instanceof OcspError) throw error;
    throw new OcspError('the response is not DER OCSP');
  }
  const signer = responseSigner(basic, subject.issuer, now);
  const digest = SIGNATURE_DIGESTS[basic.signatureAlgorithm.algorithm];
  if (digest === undefined) throw new OcspError(`unsupported signature algorithm ${basic.signatureAlgorithm.algorithm}`);
  if (!basic.tbsResponseDataRaw || !verifySignature(digest, Buffer.from(basic.tbsResponseDataRaw), signer, Buffer.from(basic.signature))) throw new OcspError('the response signature does not verify');
  const single = basic.tbsResponseData.responses.find((candidate) => sameCertId(candidate.certID, id));
  if (!single) throw new OcspError('the response is not about this certificate');
  const thisUpdate = single.thisUpdate.getTime();
  const nextUpdate = single.nextUpdate?.getTime();
  if (thisUpdate > now + CLOCK_SKEW_MS) throw new OcspError('the response is not valid yet (thisUpdate in the future)');
  if (nextUpdate !== undefined && nextUpdate <= now) throw new OcspError('the response has expired (nextUpdate passed)');
  if (single.certStatus.good !== undefined) return { status: 'good', thisUpdate, nextUpdate };
  if (single.certStatus.revoked !== undefined) return { status: 'revoked', thisUpdate, nextUpdate };
  throw new OcspError('the responder does not know this certificate (status unknown)');
}

/** Field by field: a responder may write the hash algorithm's NULL parameters or leave them out. */
function sameCertId(a: CertID, b: CertID): boolean {
  const bytes = (value: ArrayBuffer | OctetString) => Buffer.from(value instanceof OctetString ? value.buffer : value);
  return (
    a.hashAlgorithm.algorithm === b.hashAlgorithm.algorithm &&
    bytes(a.issuerNameHash).equals(bytes(b.issuerNameHash)) &&
    bytes(a.issuerKeyHash).equals(bytes(b.issuerKeyHash)) &&
    bytes(a.serialNumber).equals(bytes(b.serialNumber))
  );
}

/** The key that must have signed: the issuer's, or a delegated responder's (RFC 6960 §4.2.2.2). */
function responseSigner(basic: BasicOCSPResponse, issuer: NodeCertificate, now: number): KeyObject {
  for (const embedded of basic.certs ?? []) {
    const responder = new NodeCertificate(Buffer.from(AsnConvert.serialize(embedded)));
    if (responder.fingerprint256 === issuer.fingerprint256) return issuer.publicKey;
    const delegated = responder.checkIssued(issuer) && responder.verify(issuer.publicKey) && (responder.keyUsage ?? []).includes(id_kp_OCSPSigning);
    const current = Date.parse(responder.validFrom) <= now && now < Date.parse(responder.validTo);
    if (delegated && current) return responder.publicKey;
  }
  // No (usable) certificate in the response: only the issuer itself can have signed it.
  return issuer.publicKey;
}
