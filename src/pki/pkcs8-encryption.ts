/**
 * Encrypted PKCS#8 for the private CA's key, with a key-derivation cost chosen here rather than
 * OpenSSL's default. Node's `KeyObject.export({ cipher, passphrase })` always derives the key with
 * PBKDF2 at 2 048 iterations, far below current guidance (OWASP: 600 000 for
 * PBKDF2-HMAC-SHA256). So the EncryptedPrivateKeyInfo is built here (RFC 5208 §6, PBES2 of
 * RFC 8018 §6.2): PBKDF2 with HMAC-SHA256 (RFC 8018 §5.2, A.2), and AES-256-CBC with PKCS#7
 * padding (RFC 8018 §B.2.5 via NIST OIDs). The DER is written and read by @peculiar/asn1-schema
 * (the PBES2 structures, which no @peculiar package ships, are declared with its decorators);
 * the derivation and the cipher are node:crypto's. OpenSSL reads the result (`openssl pkey`,
 * createPrivateKey), which is how keys are decrypted: nothing here decrypts.
 */
import { createCipheriv, pbkdf2, randomBytes } from 'node:crypto';
import { promisify } from 'node:util';
import { AsnConvert, AsnProp, AsnPropTypes } from '@peculiar/asn1-schema';
import { EncryptedData, EncryptedPrivateKeyInfo } from '@peculiar/asn1-pkcs8';
import { AlgorithmIdentifier } from '@peculiar/asn1-x509';
import { x509 } from '../auth/x509.js';

const pbkdf2Async = promisify(pbkdf2);

/** RFC 8018 Appendix C and NIST CSOR object identifiers. */
const OID = {
  pbes2: '1.2.840.113549.1.5.13',
  pbkdf2: '1.2.840.113549.1.5.12',
  hmacWithSHA1: '1.2.840.113549.2.7',
  hmacWithSHA256: '1.2.840.113549.2.9',
  aes256Cbc: '2.16.840.1.101.3.4.1.42',
} as const;

/** The PBKDF2 cost for new keys: OWASP's password-storage guidance for PBKDF2-HMAC-SHA256. */
export const PBKDF2_ITERATIONS = 600_000;
const SALT_BYTES = 16;
const AES_256_KEY_BYTES = 32;
const AES_BLOCK_BYTES = 16;
const ASN1_NULL = new Uint8Array([0x05, 0x00]).buffer;

/**
 * PBKDF2-params ::= SEQUENCE { salt CHOICE { specified OCTET STRING, ... }, iterationCount INTEGER,
 * keyLength INTEGER OPTIONAL, prf AlgorithmIdentifier DEFAULT algid-hmacWithSHA1 } (RFC 8018 A.2).
 * Only the `specified` salt is used (the other choice is reserved, RFC 8018 §5.2).
 */
class Pbkdf2Params {
  salt: ArrayBuffer = new ArrayBuffer(0);
  iterationCount = 0;
  keyLength?: number;
  prf?: AlgorithmIdentifier;
  constructor(params: Partial<Pbkdf2Params> = {}) {
    Object.assign(this, params);
  }
}
AsnProp({ type: AsnPropTypes.OctetString })(Pbkdf2Params.prototype, 'salt');
AsnProp({ type: AsnPropTypes.Integer })(Pbkdf2Params.prototype, 'iterationCount');
AsnProp({ type: AsnPropTypes.Integer, optional: true })(Pbkdf2Params.prototype, 'keyLength');
AsnProp({ type: AlgorithmIdentifier, optional: true })(Pbkdf2Params.prototype, 'prf');

/** PBES2-params ::= SEQUENCE { keyDerivationFunc AlgorithmIdentifier, encryptionScheme AlgorithmIdentifier } (RFC 8018 A.4). */
class Pbes2Params {
  keyDerivationFunc = new AlgorithmIdentifier();
  encryptionScheme = new AlgorithmIdentifier();
  constructor(params: Partial<Pbes2Params> = {}) {
    Object.assign(this, params);
  }
}
AsnProp({ type: AlgorithmIdentifier })(Pbes2Params.prototype, 'keyDerivationFunc');
AsnProp({ type: AlgorithmIdentifier })(Pbes2Params.prototype, 'encryptionScheme');

/** How an encrypted PKCS#8 key is protected, as read from its DER. */
export type KeyProtection =
  | { kdf: 'pbkdf2'; prf: 'hmacWithSHA1' | 'hmacWithSHA256' | string; iterations: number; saltBytes: number; cipher: 'aes-256-cbc' | string }
  | { kdf: 'other'; algorithm: string };

/**
 * PKCS#8 DER (PrivateKeyInfo) encrypted as PEM `ENCRYPTED PRIVATE KEY`: PBES2, PBKDF2-HMAC-SHA256
 * with `iterations` (default 600 000) and a 16-byte random salt, AES-256-CBC with a random IV.
 */
export async function encryptPkcs8(privateKeyInfo: Uint8Array, passphrase: string, iterations = PBKDF2_ITERATIONS): Promise<string> {
  const salt = randomBytes(SALT_BYTES);
  const iv = randomBytes(AES_BLOCK_BYTES);
  const key = await pbkdf2Async(Buffer.from(passphrase, 'utf8'), salt, iterations, AES_256_KEY_BYTES, 'sha256');
  const cipher = createCipheriv('aes-256-cbc', key, iv);
  const encrypted = Buffer.concat([cipher.update(privateKeyInfo), cipher.final()]);
  const kdf = new Pbkdf2Params({
    salt: toArrayBuffer(salt),
    iterationCount: iterations,
    keyLength: AES_256_KEY_BYTES,
    prf: new AlgorithmIdentifier({ algorithm: OID.hmacWithSHA256, parameters: ASN1_NULL }),
  });
  const pbes2 = new Pbes2Params({
    keyDerivationFunc: new AlgorithmIdentifier({ algorithm: OID.pbkdf2, parameters: AsnConvert.serialize(kdf) }),
    encryptionScheme: new AlgorithmIdentifier({ algorithm: OID.aes256Cbc, parameters: AsnConvert.serialize(new EncryptedData(toArrayBuffer(iv))) }),
  });
  const info = new EncryptedPrivateKeyInfo({
    encryptionAlgorithm: new AlgorithmIdentifier({ algorithm: OID.pbes2, parameters: AsnConvert.serialize(pbes2) }),
    encryptedData: new EncryptedData(toArrayBuffer(encrypted)),
  });
  return `${x509.PemConverter.encode(AsnConvert.serialize(info), 'ENCRYPTED PRIVATE KEY')}\n`;
}

/**
 * Reads how a PEM `ENCRYPTED PRIVATE KEY` is protected (no passphrase needed), to tell an old key
 * (2 048 iterations) from a current one.
 * @throws Error when the PEM is not an encrypted PKCS#8 key
 */
export function keyProtection(pem: string): KeyProtection {
  const der = x509.PemConverter.decodeFirst(pem);
  const info = AsnConvert.parse(der, EncryptedPrivateKeyInfo);
  const scheme = info.encryptionAlgorithm;
  if (scheme.algorithm !== OID.pbes2 || !scheme.parameters) return { kdf: 'other', algorithm: scheme.algorithm };
  const pbes2 = AsnConvert.parse(scheme.parameters, Pbes2Params);
  if (pbes2.keyDerivationFunc.algorithm !== OID.pbkdf2 || !pbes2.keyDerivationFunc.parameters) return { kdf: 'other', algorithm: pbes2.keyDerivationFunc.algorithm };
  const kdf = AsnConvert.parse(pbes2.keyDerivationFunc.parameters, Pbkdf2Params);
  const prfOid = kdf.prf?.algorithm ?? OID.hmacWithSHA1;
  return {
    kdf: 'pbkdf2',
    prf: prfOid === OID.hmacWithSHA256 ? 'hmacWithSHA256' : prfOid === OID.hmacWithSHA1 ? 'hmacWithSHA1' : prfOid,
    iterations: kdf.iterationCount,
    saltBytes: kdf.salt.byteLength,
    cipher: pbes2.encryptionScheme.algorithm === OID.aes256Cbc ? 'aes-256-cbc' : pbes2.encryptionScheme.algorithm,
  };
}

/** True when a key's protection is below what new keys get (and it should be written again). */
export function isWeakProtection(protection: KeyProtection): boolean {
  return protection.kdf !== 'pbkdf2' || protection.prf !== 'hmacWithSHA256' || protection.iterations < PBKDF2_ITERATIONS || protection.saltBytes < SALT_BYTES || protection.cipher !== 'aes-256-cbc';
}

function toArrayBuffer(bytes: Uint8Array): ArrayBuffer {
  return bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer;
}
