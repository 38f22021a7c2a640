/**
 * Making certificates and CRLs: a CA (root or intermediate), leaf certificates for clients and
 * servers, and signed CRLs. Used by the `ca`/`certs` commands and by the tests, which generate
 * every certificate they use. All ASN.1 work is @peculiar/x509's (and asn1-schema's for encrypted
 * keys); keys are Node's (WebCrypto for signing, KeyObject for PEM).
 */
import { createPrivateKey, randomBytes, webcrypto } from 'node:crypto';
import { AsnConvert } from '@peculiar/asn1-schema';
import { CRLNumber, id_ce_cRLNumber } from '@peculiar/asn1-x509';
import { encryptPkcs8 } from './pkcs8-encryption.js';
import { SIGNING_ALGORITHM, x509 } from '../auth/x509.js';

type Key = webcrypto.CryptoKey;
export interface KeyPair {
  readonly privateKey: Key;
  readonly publicKey: Key;
}

/** A certificate and the key that signs with it. */
export interface Signer {
  readonly certificate: x509.X509Certificate;
  readonly privateKey: Key;
}

export async function generateKeyPair(): Promise<KeyPair> {
  return (await webcrypto.subtle.generateKey(SIGNING_ALGORITHM, true, ['sign', 'verify'])) as KeyPair;
}

/** A positive 128-bit serial (RFC 5280 §4.1.2.2: unique per CA, at most 20 octets, positive). */
export function randomSerial(): string {
  const bytes = randomBytes(16);
  bytes[0] = bytes[0]! & 0x7f;
  if (bytes[0] === 0) bytes[0] = 0x01;
  return bytes.toString('hex');
}

export interface CaOptions {
  readonly subject: string;
  readonly keys: KeyPair;
  readonly notBefore: Date;
  readonly notAfter: Date;
  /** Absent: a self-signed root. Present: an intermediate signed by this CA. */
  readonly parent?: Signer;
  /** How many CAs may follow below this one (0: it issues only leaf certificates). */
  readonly pathLength?: number;
}

export async function createCa(options: CaOptions): Promise<x509.X509Certificate> {
  const extensions: x509.Extension[] = [
    new x509.BasicConstraintsExtension(true, options.pathLength, true),
    new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign | x509.KeyUsageFlags.digitalSignature, true),
    await x509.SubjectKeyIdentifierExtension.create(options.keys.publicKey as never),
  ];
  if (!options.parent) {
    return x509.X509CertificateGenerator.createSelfSigned({
      serialNumber: randomSerial(),
      name: options.subject,
      notBefore: options.notBefore,
      notAfter: options.notAfter,
      keys: options.keys as never,
      signingAlgorithm: SIGNING_ALGORITHM,
      extensions,
    });
  }
  extensions.push(await x509.AuthorityKeyIdentifierExtension.create(options.parent.certificate));
  return x509.X509CertificateGenerator.create({
    serialNumber: randomSerial(),
    subject: options.subject,
    issuer: options.parent.certificate.subject,
    notBefore: options.notBefore,
    notAfter: options.notAfter,
    publicKey: options.keys.publicKey as never,
    signingKey: options.parent.privateKey as never,
    signingAlgorithm: SIGNING_ALGORITHM,
    extensions,
  });
}

export interface LeafOptions {
  readonly subject: string;
  readonly publicKey: Key | x509.PublicKey;
  readonly issuer: Signer;
  readonly notBefore: Date;
  readonly notAfter: Date;
  /** `client` (TLS client authentication) or `server` (TLS server authentication). */
  readonly usage: 'client' | 'server';
  /** Subject alternative names, e.g. { type: 'dns', value: 'localhost' }. */
  readonly altNames?: ReadonlyArray<{ type: 'dns' | 'ip' | 'url' | 'email'; value: string }>;
  readonly serial?: string;
  /** Where partners fetch the CRL (RFC 5280 §4.2.1.13). */
  readonly crlUrl?: string;
  /** The issuer's OCSP responder, in Authority Information Access (RFC 5280 §4.2.2.1). */
  readonly ocspUrl?: string;
}

/**
 * The key usage a leaf certificate may claim, by what its key can do (RFC 5280 §4.2.1.3):
 * - EC (ECDSA) keys: digitalSignature only. keyEncipherment is for RSA key transport; an EC key
 *   cannot encipher keys (RFC 5480 §3, RFC 8813 §3), and strict clients refuse the claim.
 * - Ed25519 and Ed448 keys: digitalSignature only (RFC 8410 §5).
 * - RSA keys: digitalSignature, plus keyEncipherment for a server certificate (RSA key transport
 *   in TLS 1.2 is the only use; our listeners do not offer it, other servers may).
 * Other keys (X25519, DH, ...) cannot authenticate a TLS peer at all and are refused.
 * @param algorithmName WebCrypto algorithm name of the subject public key ('ECDSA', 'RSASSA-PKCS1-v1_5', ...)
 * @throws Error for a key that cannot sign
 */
export function leafKeyUsage(algorithmName: string, usage: 'client' | 'server'): x509.KeyUsageFlags {
  switch (algorithmName) {
    case 'ECDSA':
    case 'Ed25519':
    case 'Ed448':
      return x509.KeyUsageFlags.digitalSignature;
    case 'RSASSA-PKCS1-v1_5':
    case 'RSA-PSS':
      return usage === 'server' ? x509.KeyUsageFlags.digitalSignature | x509.KeyUsageFlags.keyEncipherment : x509.KeyUsageFlags.digitalSignature;
    default:
      throw new Error(`a ${algorithmName} key cannot sign: only EC, RSA, Ed25519 and Ed448 keys get certificates`);
  }
}

export async function issueLeaf(options: LeafOptions): Promise<x509.X509Certificate> {
  const algorithm = (options.publicKey as { algorithm: { name: string } }).algorithm.name;
  const extensions: x509.Extension[] = [
    new x509.BasicConstraintsExtension(false, undefined, true),
    new x509.KeyUsagesExtension(leafKeyUsage(algorithm, options.usage), true),
    new x509.ExtendedKeyUsageExtension([options.usage === 'client' ? x509.ExtendedKeyUsage.clientAuth : x509.ExtendedKeyUsage.serverAuth], false),
    await x509.AuthorityKeyIdentifierExtension.create(options.issuer.certificate),
  ];
  if (options.altNames && options.altNames.length > 0) extensions.push(new x509.SubjectAlternativeNameExtension(options.altNames.map((name) => ({ ...name }))));
  if (options.crlUrl) extensions.push(new x509.CRLDistributionPointsExtension([options.crlUrl]));
  if (options.ocspUrl) extensions.push(new x509.AuthorityInfoAccessExtension({ ocsp: [new x509.GeneralName('url', options.ocspUrl)] }));
  return x509.X509CertificateGenerator.create({
    serialNumber: options.serial ?? randomSerial(),
    subject: options.subject,
    issuer: options.issuer.certificate.subject,
    notBefore: options.notBefore,
    notAfter: options.notAfter,
    publicKey: options.publicKey as never,
    signingKey: options.issuer.privateKey as never,
    signingAlgorithm: SIGNING_ALGORITHM,
    extensions,
  });
}

export interface CrlOptions {
  readonly issuer: Signer;
  readonly revoked: ReadonlyArray<{ serial: string; revokedAt: Date }>;
  readonly thisUpdate: Date;
  readonly nextUpdate: Date;
  /** RFC 5280 §5.2.3: increases with every CRL the issuer signs (never reused, never lower). */
  readonly crlNumber: number;
}

/**
 * A complete (not delta) v2 CRL with the two extensions RFC 5280 §5.2 requires of a conforming
 * issuer: Authority Key Identifier (§5.2.1) and CRL Number (§5.2.3), both non-critical.
 */
export async function createCrl(options: CrlOptions): Promise<x509.X509Crl> {
  if (!Number.isSafeInteger(options.crlNumber) || options.crlNumber < 0) throw new Error('the CRL number must be a non-negative integer');
  return x509.X509CrlGenerator.create({
    issuer: options.issuer.certificate.subject,
    thisUpdate: options.thisUpdate,
    nextUpdate: options.nextUpdate,
    entries: options.revoked.map((entry) => ({ serialNumber: entry.serial, revocationDate: entry.revokedAt })),
    extensions: [
      await x509.AuthorityKeyIdentifierExtension.create(options.issuer.certificate),
      new x509.Extension(id_ce_cRLNumber, false, AsnConvert.serialize(new CRLNumber(options.crlNumber))),
    ],
    signingKey: options.issuer.privateKey as never,
    signingAlgorithm: SIGNING_ALGORITHM,
  });
}

/** The CRL Number of a CRL (RFC 5280 §5.2.3), or undefined when it has none. */
export function crlNumberOf(crl: x509.X509Crl): number | undefined {
  const extension = crl.extensions.find((candidate) => candidate.type === id_ce_cRLNumber);
  if (extension === undefined) return undefined;
  // The schema types it as a number, but numbers past 32 bits come back as decimal strings.
  const value = Number(AsnConvert.parse(extension.value, CRLNumber).value as number | string);
  return Number.isSafeInteger(value) ? value : undefined;
}

/**
 * PEM with the label RFC 7468 §6 gives CRLs, `X509 CRL` (the library writes `CRL`, which OpenSSL
 * and most tools cannot read).
 */
export function crlToPem(crl: x509.X509Crl): string {
  return x509.PemConverter.encode(crl.rawData, 'X509 CRL');
}

/**
 * PKCS#8 PEM of a private key; encrypted when a passphrase is given, as PBES2 with
 * PBKDF2-HMAC-SHA256 (600 000 iterations) and AES-256-CBC (pkcs8-encryption.ts: Node's own export
 * would use 2 048 iterations).
 */
export async function privateKeyToPem(key: Key, passphrase?: string): Promise<string> {
  const der = Buffer.from(await webcrypto.subtle.exportKey('pkcs8', key));
  if (passphrase !== undefined) return encryptPkcs8(der, passphrase);
  return createPrivateKey({ key: der, format: 'der', type: 'pkcs8' }).export({ format: 'pem', type: 'pkcs8' }) as string;
}

/** Reads a PEM private key (encrypted or not) into a WebCrypto signing key; ECDSA P-256 only. */
export async function privateKeyFromPem(pem: string, passphrase?: string): Promise<Key> {
  const keyObject = createPrivateKey({ key: pem, format: 'pem', passphrase });
  if (keyObject.asymmetricKeyType !== 'ec' || keyObject.asymmetricKeyDetails?.namedCurve !== 'prime256v1') throw new Error('the CA key must be an ECDSA P-256 key');
  const der = keyObject.export({ format: 'der', type: 'pkcs8' });
  return webcrypto.subtle.importKey('pkcs8', der, SIGNING_ALGORITHM, true, ['sign']);
}
