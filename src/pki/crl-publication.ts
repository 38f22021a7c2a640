/**
 * Serves the private CA's current CRL to partners over HTTP (the URL `ca init --crl-url` writes
 * into issued certificates), as DER with `application/pkix-crl` (RFC 5280 §4.2.1.13, RFC 2585 §4).
 * The file is read again only when it changed (checked at most once a second), so a revocation
 * is served as soon as `certs revoke` has written it.
 */
import { stat, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { x509 } from '../auth/x509.js';

export class CrlPublication {
  #der: Buffer | undefined;
  #mtimeMs = -1;
  #checkedAt = 0;

  constructor(
    readonly path: string,
    private readonly caDir: string,
  ) {}

  /** The CRL as DER, or undefined when there is none (yet). */
  async current(): Promise<Buffer | undefined> {
    const now = Date.now();
    if (now - this.#checkedAt < 1000 && this.#der) return this.#der;
    this.#checkedAt = now;
    const file = join(this.caDir, 'crl.pem');
    try {
      const info = await stat(file);
      if (info.mtimeMs !== this.#mtimeMs || !this.#der) {
        this.#der = Buffer.from(new x509.X509Crl(await readFile(file, 'utf8')).rawData);
        this.#mtimeMs = info.mtimeMs;
      }
    } catch {
      // A missing or half-written file: keep serving the last good CRL, if any.
    }
    return this.#der;
  }
}
