/**
 * Portcullis's own CA for partner client certificates, kept in one folder:
 *
 *   ca.json       what the CA is and where its key comes from (names of environment variables, never secrets)
 *   ca.pem        the CA certificate;  chain.pem  it and its parents up to the root (what listeners trust)
 *   ca.key.pem    the CA key as encrypted PKCS#8 (only when the key is not given by an environment variable)
 *   issued.json   every certificate issued: serial, consumer, validity, status
 *   crl.pem       the current CRL, regenerated on every revocation (and by `ca crl`, before nextUpdate)
 *
 * The CA key is read only from an environment variable (`${env:NAME}`-style secret reference) or
 * from the encrypted file with a passphrase from an environment variable (PBES2: PBKDF2-HMAC-SHA256
 * at 600 000 iterations, AES-256-CBC; older, weaker files are encrypted again when opened). Files are written to a temporary name and renamed, so a gateway reading crl.pem
 * never sees half a file. Every change of issued.json (and the CRL made from it) happens under a
 * lock file in the folder, so two commands at once cannot lose a record or undo a revocation.
 */
import { createHash, webcrypto } from 'node:crypto';
import { closeSync, existsSync, mkdirSync, openSync, readFileSync, renameSync, rmSync, statSync, unlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { CONSUMER_URI_PREFIX } from '../auth/consumer-uri.js';
import { createCa, createCrl, crlNumberOf, crlToPem, generateKeyPair, issueLeaf, privateKeyFromPem, privateKeyToPem, type Signer } from './issue.js';
import { isWeakProtection, keyProtection } from './pkcs8-encryption.js';
import { normalizeSerial, parsePemBundle } from './revocation.js';
import { x509 } from '../auth/x509.js';

export class CaError extends Error {}

type KeySource = { file: string; passphraseEnv: string } | { env: string };

interface CaMetadata {
  version: 1;
  subject: string;
  key: KeySource;
  crlDays: number;
  crlUrl?: string;
}

export interface IssuedRecord {
  serial: string;
  consumerId: string;
  subject: string;
  fingerprintSha256: string;
  notBefore: string;
  notAfter: string;
  status: 'active' | 'revoked';
  revokedAt?: string;
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
}

export class PrivateCa {
  private constructor(
    readonly dir: string,
    private readonly metadata: CaMetadata,
    readonly certificate: x509.X509Certificate,
    private readonly privateKey: webcrypto.CryptoKey,
    /** The key file was protected below current guidance and was written again by open(). */
    readonly keyReencrypted = false,
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
    const metadata: CaMetadata = { version: 1, subject: certificate.subject, key, crlDays: options.crlDays, crlUrl: options.crlUrl };
    writeAtomic(join(dir, 'ca.pem'), `${certificate.toString('pem')}\n`);
    writeAtomic(join(dir, 'chain.pem'), `${certificate.toString('pem')}\n${parent ? readFileSync(join(parent.dir, 'chain.pem'), 'utf8') : ''}`);
    writeAtomic(join(dir, 'issued.json'), '[]\n');
    writeAtomic(join(dir, 'ca.json'), `${JSON.stringify(metadata, null, 2)}\n`);
    const ca = new PrivateCa(dir, metadata, certificate, keys.privateKey);
    await ca.writeCrl(options.now);
    return ca;
  }

  /**
   * Opens a CA with its key (from the environment). A key file protected below current guidance
   * (an older CA's 2 048 PBKDF2 iterations) is encrypted again with the same passphrase, as new
   * keys are (pkcs8-encryption.ts), under the folder lock; `keyReencrypted` says so.
   */
  static async open(dir: string, env: NodeJS.ProcessEnv): Promise<PrivateCa> {
    const metadata = readMetadata(dir);
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
    return new PrivateCa(dir, metadata, certificate, privateKey, reencrypted);
  }

  /** What the gateway and `certs list` need, without the key. */
  static readPublic(dir: string): { certificate: x509.X509Certificate; issued: IssuedRecord[] } {
    return { certificate: new x509.X509Certificate(readFileSync(join(dir, 'ca.pem'), 'utf8')), issued: readIssued(dir) };
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
    await withFolderLock(this.dir, () => writeAtomic(join(this.dir, 'issued.json'), `${JSON.stringify([...this.list(), record], null, 2)}\n`));
    // The partner sends its certificate with the CAs between it and the root we trust.
    const chain = parsePemBundle(readFileSync(join(this.dir, 'chain.pem'), 'utf8'));
    const intermediates = chain.filter((ca) => ca.subject !== ca.issuer).map((ca) => ca.toString('pem'));
    return { certificatePem: [certificate.toString('pem'), ...intermediates].join('\n') + '\n', keyPem, record };
  }

  /** Marks a certificate revoked and writes the new CRL. */
  async revoke(serial: string, now: number): Promise<IssuedRecord> {
    const wanted = normalizeSerial(serial.replace(/:/g, ''));
    return withFolderLock(this.dir, async () => {
      const issued = this.list();
      const record = issued.find((entry) => entry.serial === wanted);
      if (!record) throw new CaError(`no certificate with serial ${serial} was issued by this CA`);
      if (record.status !== 'revoked') {
        record.status = 'revoked';
        record.revokedAt = new Date(now).toISOString();
        writeAtomic(join(this.dir, 'issued.json'), `${JSON.stringify(issued, null, 2)}\n`);
      }
      await this.#signCrl(now);
      return record;
    });
  }

  /** Signs a fresh CRL of every revoked certificate, valid for crlDays (run before it lapses). */
  writeCrl(now: number): Promise<x509.X509Crl> {
    return withFolderLock(this.dir, () => this.#signCrl(now));
  }

  async #signCrl(now: number): Promise<x509.X509Crl> {
    const revoked = this.list()
      .filter((entry) => entry.status === 'revoked')
      .map((entry) => ({ serial: entry.serial, revokedAt: new Date(entry.revokedAt!) }));
    const crl = await createCrl({ issuer: this.#signer(), revoked, thisUpdate: new Date(now), nextUpdate: new Date(now + this.metadata.crlDays * DAY_MS), crlNumber: this.#nextCrlNumber(now) });
    writeAtomic(join(this.dir, 'crl.pem'), `${crlToPem(crl)}\n`);
    return crl;
  }

  /**
   * The next CRL Number (RFC 5280 §5.2.3: monotonically increasing); called under the folder
   * lock. One more than the current CRL's, and never below the time in milliseconds, so the
   * numbers keep increasing even when crl.pem was lost or restored from an old backup.
   */
  #nextCrlNumber(now: number): number {
    let current: number | undefined;
    try {
      current = crlNumberOf(new x509.X509Crl(readFileSync(join(this.dir, 'crl.pem'), 'utf8')));
    } catch {
      current = undefined;
    }
    return Math.max((current ?? 0) + 1, Math.floor(now));
  }

  list(): IssuedRecord[] {
    return readIssued(this.dir);
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

function readIssued(dir: string): IssuedRecord[] {
  return JSON.parse(readFileSync(join(dir, 'issued.json'), 'utf8')) as IssuedRecord[];
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

/** A lock older than this is taken to be left by a command that died, and is taken over. */
const STALE_LOCK_MS = 60_000;
const LOCK_WAIT_MS = 15_000;

/**
 * Runs `change` holding the folder's lock file (created with O_EXCL, so only one process can hold
 * it). Waits for another holder up to LOCK_WAIT_MS, then says so rather than proceeding unlocked.
 */
export async function withFolderLock<T>(dir: string, change: () => T | Promise<T>): Promise<T> {
  const lock = join(dir, '.lock');
  const deadline = Date.now() + LOCK_WAIT_MS;
  for (;;) {
    try {
      closeSync(openSync(lock, 'wx'));
      break;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      const age = Date.now() - (statSync(lock, { throwIfNoEntry: false })?.mtimeMs ?? Date.now());
      if (age > STALE_LOCK_MS) {
        rmSync(lock, { force: true });
        continue;
      }
      if (Date.now() > deadline) throw new CaError(`the CA folder is locked by another command (${lock}); if none runs, remove that file`);
      await new Promise((resolve) => setTimeout(resolve, 20 + Math.random() * 30));
    }
  }
  try {
    return await change();
  } finally {
    unlinkSync(lock);
  }
}

function writeAtomic(path: string, content: string, mode = 0o644): void {
  const temporary = `${path}.${process.pid}.tmp`;
  writeFileSync(temporary, content, { mode });
  renameSync(temporary, path);
}
