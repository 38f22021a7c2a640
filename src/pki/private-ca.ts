/**
 * Portcullis's own CA for partner client certificates, kept in one folder:
 *
 *   ca.json       what the CA is and where its key comes from (names of environment variables, never secrets)
 *   ca.pem        the CA certificate;  chain.pem  it and its parents up to the root (what listeners trust)
 *   ca.key.pem    the CA key as encrypted PKCS#8 (only when the key is not given by an environment variable)
 *   issued.json   every certificate issued: serial, consumer, validity, status (a CA without a store)
 *   crl.pem       the current CRL, regenerated on every revocation (and by `ca crl`, before nextUpdate)
 *
 * Used with a store, the CA keeps what it issued and revoked, and its newest CRL, in the store instead
 * of issued.json (store-ledger.ts): each change is a unit of work with the command's actor, and
 * reaches every node; crl.pem stays as a copy. The key never leaves the folder (or the environment).
 *
 * The CA key is read only from an environment variable (`${env:NAME}`-style secret reference) or
 * from the encrypted file with a passphrase from an environment variable (PBES2: PBKDF2-HMAC-SHA256
 * at 600 000 iterations, AES-256-CBC; older, weaker files are encrypted again when opened). Files are written to a temporary name and renamed, so a gateway reading crl.pem
 * never sees half a file. Every change of issued.json (and the CRL made from it) happens under a
 * lock file in the folder, so two commands at once cannot lose a record or undo a revocation.
 */
import { createHash, webcrypto } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { CONSUMER_URI_PREFIX } from '../auth/consumer-uri.js';
import { x509 } from '../auth/x509.js';
import { createCa, createCrl, crlToPem, generateKeyPair, issueLeaf, privateKeyFromPem, privateKeyToPem, type Signer } from './issue.js';
import { CaError, FileLedger, ISSUED_FILE, readIssued, withFolderLock, writeAtomic, type CrlSigner, type IssuedLedger, type IssuedRecord } from './ledger.js';
import { isWeakProtection, keyProtection } from './pkcs8-encryption.js';
import { normalizeSerial, parsePemBundle } from './revocation.js';
import { StoreLedger, type CaStoreAccess } from './store-ledger.js';

export { CaError, withFolderLock, type IssuedRecord };
export type { CaStoreAccess };

type KeySource = { file: string; passphraseEnv: string } | { env: string };

interface CaMetadata {
  version: 1;
  subject: string;
  key: KeySource;
  crlDays: number;
  crlUrl?: string;
  /** `store`: the records are in the store (store-ledger.ts); absent: issued.json in the folder. */
  ledger?: 'store';
}

const DAY_MS = 86400000;
const CONSUMER_ID = /^[A-Za-z0-9._:-]{1,128}$/;

export interface InitOptions {
  dir: string;
  subject: string;
  days: number;
  /** Generate a key and store it encrypted with the passphrase in this environment variable... */
  keyPassphraseEnv?: string;
  /** ...or use the PEM key in this environment variable (nothing written). */
  keyEnv?: string;
  /** Makes an intermediate signed by this CA. */
  parent?: PrivateCa;
  crlDays: number;
  crlUrl?: string;
  env: NodeJS.ProcessEnv;
  now: number;
  /** Keep the records in this store (from the first certificate on) instead of issued.json. */
  store?: CaStoreAccess;
}

export class PrivateCa {
  private constructor(
    readonly dir: string,
    private readonly metadata: CaMetadata,
    readonly certificate: x509.X509Certificate,
    private readonly privateKey: webcrypto.CryptoKey,
    /** Where issued certificates, revocations and the newest CRL are kept. */
    readonly ledger: IssuedLedger,
    /** The key file was protected below current guidance and was written again by open(). */
    readonly keyReencrypted = false,
    /** How many issued.json records open() moved into the store (0 when there was nothing to move). */
    readonly imported = 0,
  ) {}

  static async init(options: InitOptions): Promise<PrivateCa> {
    const { dir } = options;
    if (existsSync(join(dir, 'ca.json'))) throw new CaError(`${dir} already holds a CA (ca.json)`);
    if ((options.keyPassphraseEnv === undefined) === (options.keyEnv === undefined)) throw new CaError('give exactly one of --key-passphrase-env or --key-env');
    let keys: { privateKey: webcrypto.CryptoKey; publicKey: webcrypto.CryptoKey | x509.PublicKey };
    let key: KeySource;
    if (options.keyEnv !== undefined) {
      const privateKey = await privateKeyFromPem(secretFromEnv(options.env, options.keyEnv, 'CA key'));
      keys = { privateKey, publicKey: await publicKeyOf(privateKey) };
      key = { env: options.keyEnv };
    } else {
      const passphrase = secretFromEnv(options.env, options.keyPassphraseEnv!, 'CA key passphrase');
      if (passphrase.length < 16) throw new CaError(`the passphrase in ${options.keyPassphraseEnv} must be at least 16 characters`);
      keys = await generateKeyPair();
      key = { file: 'ca.key.pem', passphraseEnv: options.keyPassphraseEnv! };
      mkdirSync(dir, { recursive: true });
      writeAtomic(join(dir, key.file), await privateKeyToPem(keys.privateKey, passphrase), 0o600);
    }
    mkdirSync(dir, { recursive: true });
    const parent = options.parent;
    let certificate: x509.X509Certificate;
    try {
      certificate = await createCa({
        subject: options.subject,
        keys: keys as never,
        notBefore: new Date(options.now - 60000),
        notAfter: new Date(options.now + options.days * DAY_MS),
        parent: parent ? { certificate: parent.certificate, privateKey: parent.privateKey } : undefined,
        // An intermediate issues only leaf certificates.
        pathLength: parent ? 0 : undefined,
      });
    } catch (error) {
      throw new CaError(`cannot create the CA certificate: ${(error as Error).message}`);
    }
    const metadata: CaMetadata = { version: 1, subject: certificate.subject, key, crlDays: options.crlDays, crlUrl: options.crlUrl, ...(options.store ? { ledger: 'store' as const } : {}) };
    writeAtomic(join(dir, 'ca.pem'), `${certificate.toString('pem')}\n`);
    writeAtomic(join(dir, 'chain.pem'), `${certificate.toString('pem')}\n${parent ? readFileSync(join(parent.dir, 'chain.pem'), 'utf8') : ''}`);
    if (!options.store) writeAtomic(join(dir, ISSUED_FILE), '[]\n');
    writeAtomic(join(dir, 'ca.json'), `${JSON.stringify(metadata, null, 2)}\n`);
    const ca = new PrivateCa(dir, metadata, certificate, keys.privateKey, ledgerFor(dir, certificate, options.store));
    await ca.writeCrl(options.now);
    return ca;
  }

  /**
   * Opens a CA with its key (from the environment). A key file protected below current guidance
   * (an older CA's 2 048 PBKDF2 iterations) is encrypted again with the same passphrase, as new
   * keys are (pkcs8-encryption.ts), under the folder lock; `keyReencrypted` says so.
   *
   * With `store`, the records are kept there: a folder that still has issued.json has them moved
   * into the store first (`imported` says how many). Without it, a CA whose records are in the
   * store is refused (CaError): its folder no longer holds them.
   */
  static async open(dir: string, env: NodeJS.ProcessEnv, store?: CaStoreAccess): Promise<PrivateCa> {
    const metadata = readMetadata(dir);
    if (metadata.ledger === 'store' && !store) throw new CaError(`${dir} keeps its records in the store: name the gateway config with --config`);
    const certificate = new x509.X509Certificate(readFileSync(join(dir, 'ca.pem'), 'utf8'));
    let privateKey: webcrypto.CryptoKey;
    let keyPem: string | undefined;
    let passphrase: string | undefined;
    try {
      if ('env' in metadata.key) {
        privateKey = await privateKeyFromPem(secretFromEnv(env, metadata.key.env, 'CA key'));
      } else {
        keyPem = readFileSync(join(dir, metadata.key.file), 'utf8');
        passphrase = secretFromEnv(env, metadata.key.passphraseEnv, 'CA key passphrase');
        privateKey = await privateKeyFromPem(keyPem, passphrase);
      }
    } catch (error) {
      if (error instanceof CaError) throw error;
      throw new CaError(`cannot read the CA key: ${'env' in metadata.key ? `check ${metadata.key.env}` : `wrong passphrase in ${metadata.key.passphraseEnv}?`}`);
    }
    let reencrypted = false;
    if (keyPem !== undefined && passphrase !== undefined && !('env' in metadata.key) && isWeakProtection(keyProtection(keyPem))) {
      const file = join(dir, metadata.key.file);
      const stronger = await privateKeyToPem(privateKey, passphrase);
      await withFolderLock(dir, () => writeAtomic(file, stronger, 0o600));
      reencrypted = true;
    }
    const imported = store ? await adoptStore(dir, metadata, certificate, store) : 0;
    return new PrivateCa(dir, metadata, certificate, privateKey, ledgerFor(dir, certificate, store), reencrypted, imported);
  }

  /**
   * Opens the CA with its key secret given directly, for a gateway that opted in to issuing
   * (`pki.issuing.caKey`): the passphrase of the key file, or the PEM key of a CA made with
   * `--key-env`, whichever ca.json names. Records are kept in `store` (moved there first if needed).
   */
  static async openWithKeySecret(dir: string, secret: string, store: CaStoreAccess): Promise<PrivateCa> {
    const { key } = readMetadata(dir);
    return PrivateCa.open(dir, { ['env' in key ? key.env : key.passphraseEnv]: secret }, store);
  }

  /** `certs list --config`: the records in the store, without the key (moved there first if needed). */
  static async listInStore(dir: string, store: CaStoreAccess): Promise<IssuedRecord[]> {
    const metadata = readMetadata(dir);
    const certificate = new x509.X509Certificate(readFileSync(join(dir, 'ca.pem'), 'utf8'));
    await adoptStore(dir, metadata, certificate, store);
    return new StoreLedger(dir, caIdOf(certificate), store).list();
  }

  /**
   * What the gateway and `certs list` need, without the key. `issued` is the folder's issued.json:
   * empty for a CA whose records are in the store (`inStore`; read them with PkiRepository by `caId`).
   */
  static readPublic(dir: string): { certificate: x509.X509Certificate; caId: string; inStore: boolean; issued: IssuedRecord[] } {
    const certificate = new x509.X509Certificate(readFileSync(join(dir, 'ca.pem'), 'utf8'));
    const inStore = readMetadata(dir).ledger === 'store';
    return { certificate, caId: caIdOf(certificate), inStore, issued: inStore ? [] : readIssued(dir) };
  }

  /**
   * Issues a client certificate for a consumer: from a CSR (its signature checked; the partner
   * keeps its key) or with a new key pair returned once. The consumer id goes into the SAN as
   * `urn:portcullis:consumer:<id>` for auth-mtls `consumerUri`.
   */
  async issue(options: { consumerId: string; csrPem?: string; subject?: string; days: number; now: number }): Promise<{ certificatePem: string; keyPem?: string; record: IssuedRecord }> {
    if (!CONSUMER_ID.test(options.consumerId)) throw new CaError('the consumer id may hold letters, digits and . _ : - only');
    let publicKey: webcrypto.CryptoKey | x509.PublicKey;
    let subject = options.subject;
    let keyPem: string | undefined;
    if (options.csrPem !== undefined) {
      let csr: x509.Pkcs10CertificateRequest;
      try {
        csr = new x509.Pkcs10CertificateRequest(options.csrPem);
      } catch {
        throw new CaError('the CSR is not a PEM PKCS#10 request');
      }
      if (!(await csr.verify())) throw new CaError('the CSR signature does not verify');
      publicKey = csr.publicKey;
      subject ??= csr.subject;
    } else {
      const keys = await generateKeyPair();
      publicKey = keys.publicKey;
      keyPem = await privateKeyToPem(keys.privateKey);
    }
    subject ??= `CN=${options.consumerId}`;
    const notAfter = Math.min(options.now + options.days * DAY_MS, this.certificate.notAfter.getTime());
    let certificate: x509.X509Certificate;
    try {
      certificate = await issueLeaf({
        subject,
        publicKey,
        issuer: this.#signer(),
        notBefore: new Date(options.now - 60000),
        notAfter: new Date(notAfter),
        usage: 'client',
        altNames: [{ type: 'url', value: `${CONSUMER_URI_PREFIX}${options.consumerId}` }],
        crlUrl: this.metadata.crlUrl,
      });
    } catch (error) {
      // A CSR whose key cannot sign (X25519, DH) gets no certificate: say so plainly.
      throw new CaError(`cannot issue the certificate: ${(error as Error).message}`);
    }
    const record: IssuedRecord = {
      serial: normalizeSerial(certificate.serialNumber),
      consumerId: options.consumerId,
      subject: certificate.subject,
      fingerprintSha256: createHash('sha256').update(Buffer.from(certificate.rawData)).digest('hex'),
      notBefore: certificate.notBefore.toISOString(),
      notAfter: certificate.notAfter.toISOString(),
      status: 'active',
    };
    await this.ledger.add(record);
    // The partner sends its certificate with the CAs between it and the root we trust.
    const chain = parsePemBundle(readFileSync(join(this.dir, 'chain.pem'), 'utf8'));
    const intermediates = chain.filter((ca) => ca.subject !== ca.issuer).map((ca) => ca.toString('pem'));
    return { certificatePem: [certificate.toString('pem'), ...intermediates].join('\n') + '\n', keyPem, record };
  }

  /** Marks a certificate revoked and signs the new CRL, as one change of the ledger. */
  async revoke(serial: string, now: number): Promise<IssuedRecord> {
    return (await this.ledger.revoke(normalizeSerial(serial.replace(/:/g, '')), now, this.#crlSigner(now))).record;
  }

  /** Signs a fresh CRL of every revoked certificate, valid for crlDays (run before it lapses). */
  async writeCrl(now: number): Promise<x509.X509Crl> {
    return new x509.X509Crl((await this.ledger.signCrl(this.#crlSigner(now))).pem);
  }

  /**
   * Signs CRLs valid for crlDays from `now`. The CRL Number (RFC 5280 §5.2.3: monotonically
   * increasing) is one more than the ledger's newest CRL, and never below the time in
   * milliseconds, so the numbers keep increasing even when crl.pem was lost or restored from an
   * old backup.
   */
  #crlSigner(now: number): CrlSigner {
    return async (revoked, previousNumber) => {
      const crlNumber = Math.max((previousNumber ?? 0) + 1, Math.floor(now));
      const nextUpdate = now + this.metadata.crlDays * DAY_MS;
      const crl = await createCrl({ issuer: this.#signer(), revoked: [...revoked], thisUpdate: new Date(now), nextUpdate: new Date(nextUpdate), crlNumber });
      return { pem: `${crlToPem(crl)}\n`, crlNumber, thisUpdate: now, nextUpdate };
    };
  }

  /** Every certificate issued, oldest first. */
  list(): Promise<IssuedRecord[]> {
    return this.ledger.list();
  }

  #signer(): Signer {
    return { certificate: this.certificate, privateKey: this.privateKey };
  }
}

function readMetadata(dir: string): CaMetadata {
  try {
    return JSON.parse(readFileSync(join(dir, 'ca.json'), 'utf8')) as CaMetadata;
  } catch {
    throw new CaError(`${dir} holds no CA (run \`portcullis ca init --dir ${dir}\`)`);
  }
}

/** The CA's id in the store: its certificate's SHA-256 fingerprint, hex. */
export function caIdOf(certificate: x509.X509Certificate): string {
  return createHash('sha256').update(Buffer.from(certificate.rawData)).digest('hex');
}

/** Moves a folder's issued.json into the store once, then marks ca.json; the number of records moved. */
async function adoptStore(dir: string, metadata: CaMetadata, certificate: x509.X509Certificate, store: CaStoreAccess): Promise<number> {
  if (metadata.ledger === 'store') return 0;
  return new StoreLedger(dir, caIdOf(certificate), store).importFolder(() => {
    metadata.ledger = 'store';
    writeAtomic(join(dir, 'ca.json'), `${JSON.stringify(metadata, null, 2)}\n`);
  });
}

function ledgerFor(dir: string, certificate: x509.X509Certificate, store: CaStoreAccess | undefined): IssuedLedger {
  return store ? new StoreLedger(dir, caIdOf(certificate), store) : new FileLedger(dir);
}

function secretFromEnv(env: NodeJS.ProcessEnv, name: string, what: string): string {
  const value = env[name];
  if (value === undefined || value === '') throw new CaError(`${what}: the environment variable ${name} is not set`);
  return value;
}

async function publicKeyOf(privateKey: webcrypto.CryptoKey): Promise<webcrypto.CryptoKey> {
  // The public point is part of the PKCS#8 EC key; JWK export carries it without the secret part.
  const { d: _secret, ...jwk } = await webcrypto.subtle.exportKey('jwk', privateKey);
  return webcrypto.subtle.importKey('jwk', { ...jwk, key_ops: ['verify'] }, { name: 'ECDSA', namedCurve: 'P-256' }, true, ['verify']);
}
