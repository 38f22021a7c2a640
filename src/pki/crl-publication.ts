/**
 * Serves the private CA's current CRL to partners over HTTP (the URL `ca init --crl-url` writes
 * into issued certificates), as DER with `application/pkix-crl` (RFC 5280 §4.2.1.13, RFC 2585 §4).
 * The file is read again only when it changed (checked at most once a second), so a revocation
 * is served as soon as `certs revoke` has written it. A gateway with a store also reads the CA's
 * newest CRL there (at most once a second): a revocation made on another host with `--config`
 * is served without that host's crl.pem. Of the two, the CRL with the higher number wins
 * (RFC 5280 §5.2.3).
 */
import { stat, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { x509 } from '../auth/x509.js';
import { crlNumberOf } from './issue.js';
import { caIdOf } from './private-ca.js';

/** Where a gateway with a store reads a CA's newest CRL (store/pki-repository.ts). */
export interface StoredCrlSource {
  latestCrl(caId: string): Promise<{ crlNumber: number; pem: string } | undefined>;
}

interface Served {
  readonly der: Buffer;
  readonly number: number;
}

export class CrlPublication {
  #file: Served | undefined;
  #stored: Served | undefined;
  #mtimeMs = -1;
  #checkedAt = 0;
  #caId: string | undefined;

  constructor(
    readonly path: string,
    private readonly caDir: string,
    private readonly store?: StoredCrlSource,
  ) {}

  /** The CRL as DER, or undefined when there is none (yet). */
  async current(): Promise<Buffer | undefined> {
    const now = Date.now();
    if (now - this.#checkedAt >= 1000 || (!this.#file && !this.#stored)) {
      this.#checkedAt = now;
      await Promise.all([this.#readFile(), this.#readStore()]);
    }
    const [file, stored] = [this.#file, this.#stored];
    if (file && stored) return stored.number > file.number ? stored.der : file.der;
    return (file ?? stored)?.der;
  }

  async #readFile(): Promise<void> {
    const file = join(this.caDir, 'crl.pem');
    try {
      const info = await stat(file);
      if (info.mtimeMs !== this.#mtimeMs || !this.#file) {
        this.#file = served(await readFile(file, 'utf8'));
        this.#mtimeMs = info.mtimeMs;
      }
    } catch {
      // A missing or half-written file: keep serving the last good CRL, if any.
    }
  }

  async #readStore(): Promise<void> {
    if (!this.store) return;
    try {
      this.#caId ??= caIdOf(new x509.X509Certificate(await readFile(join(this.caDir, 'ca.pem'), 'utf8')));
      const latest = await this.store.latestCrl(this.#caId);
      if (latest && (!this.#stored || latest.crlNumber > this.#stored.number)) this.#stored = served(latest.pem);
    } catch {
      // The store did not answer (its outage is logged by the store's health): keep the last CRL.
    }
  }
}

function served(pem: string): Served {
  const crl = new x509.X509Crl(pem);
  return { der: Buffer.from(crl.rawData), number: crlNumberOf(crl) ?? 0 };
}
