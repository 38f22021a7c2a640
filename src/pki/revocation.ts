/**
 * Revocation of client certificates by CRLs (RFC 5280 §5), held in memory: a request checks its
 * certificate's serial in a Set, never reads a file or the network. The CRLs are read from files
 * and fetched from URLs at start and every `refreshSeconds`; each must be signed by one of the
 * listener's CAs allowed to sign CRLs (its signature is verified, the issuer matched by name), and
 * be a complete CRL with a nextUpdate and no critical extension we cannot process. A CRL that fails to
 * load keeps the previous one in force until that one's nextUpdate; past it, the issuer's status
 * is unknown and `whenUnavailable` decides (fail-closed by default). Every failure is logged
 * with an `event` and counted.
 */
import { readFile } from 'node:fs/promises';
import { request } from 'undici';
import type { Clock } from '../core/clock.js';
import type { CrlConfig } from '../config/schema.js';
import type { Logger } from '../observability/logger.js';
import type { Outbound } from '../outbound/index.js';
import { x509 } from '../auth/x509.js';
import { readCappedBody } from '../net/read-capped.js';

export type RevocationStatus = 'good' | 'revoked' | 'unknown';

export interface RevocationMetrics {
  crlRefresh(source: string, result: 'ok' | 'failed'): void;
}

interface LoadedCrl {
  readonly source: string;
  readonly issuer: string;
  readonly serials: ReadonlySet<string>;
  readonly thisUpdate: number;
  /** Milliseconds (a CRL without nextUpdate is refused). */
  readonly nextUpdate: number;
}

/** Largest CRL fetched or read (a CRL of a million entries is ~40 MB; ours are small). */
const MAX_CRL_BYTES = 32 * 1024 * 1024;
const FETCH_TIMEOUT_MS = 10000;

/** Serial numbers as lower-case hex without leading zeros, so `00ab` and `AB` compare equal. */
export function normalizeSerial(serial: string): string {
  return serial.toLowerCase().replace(/^0+(?=.)/, '');
}

export class RevocationChecker {
  /** Per issuer name, the newest valid CRL seen from each source. */
  #bySource = new Map<string, LoadedCrl>();
  #byIssuer = new Map<string, LoadedCrl>();
  #timer: NodeJS.Timeout | undefined;
  #refreshing: Promise<void> | undefined;

  constructor(
    private readonly config: CrlConfig,
    private readonly cas: readonly x509.X509Certificate[],
    /** CRL URLs are fetched through `outbound`'s `crl` agent. */
    private readonly deps: { logger: Logger; clock: Clock; metrics?: RevocationMetrics | undefined; listener: string; outbound: Outbound },
  ) {}

  get whenUnavailable(): CrlConfig['whenUnavailable'] {
    return this.config.whenUnavailable;
  }

  /** Reads every source; concurrent calls share one refresh. */
  refresh(): Promise<void> {
    this.#refreshing ??= this.#refreshAll().finally(() => (this.#refreshing = undefined));
    return this.#refreshing;
  }

  start(): void {
    this.#timer = setInterval(() => void this.refresh(), this.config.refreshSeconds * 1000);
    this.#timer.unref();
  }

  async stop(): Promise<void> {
    clearInterval(this.#timer);
    await this.#refreshing;
  }

  /** The certificate's status from memory: good, revoked, or unknown (no current CRL for its issuer). */
  check(issuer: string, serial: string): RevocationStatus {
    const crl = this.#byIssuer.get(issuer);
    if (!crl || crl.nextUpdate <= this.deps.clock.now()) return 'unknown';
    return crl.serials.has(normalizeSerial(serial)) ? 'revoked' : 'good';
  }

  async #refreshAll(): Promise<void> {
    const sources = [...this.config.files.map((file) => ({ source: file, read: () => readCrlFile(file) })), ...this.config.urls.map((url) => ({ source: url, read: () => fetchCrl(url, this.deps.outbound) }))];
    await Promise.all(
      sources.map(async ({ source, read }) => {
        try {
          const crl = await this.#verify(source, await read());
          const previous = this.#bySource.get(source);
          // Never step back to an older CRL (a replayed or cached one): RFC 5280 §5.1.2.4.
          if (previous && previous.thisUpdate > crl.thisUpdate) throw new Error('is older than the CRL already loaded');
          this.#bySource.set(source, crl);
          this.deps.metrics?.crlRefresh(source, 'ok');
          if (crl.nextUpdate <= this.deps.clock.now()) {
            this.deps.logger.warn({ event: 'crl.stale', listener: this.deps.listener, source, nextUpdate: new Date(crl.nextUpdate).toISOString() }, 'the CRL is past its nextUpdate: certificates of its issuer have an unknown revocation status');
          } else if (!previous || previous.thisUpdate !== crl.thisUpdate) {
            this.deps.logger.info({ event: 'crl.loaded', listener: this.deps.listener, source, issuer: crl.issuer, revoked: crl.serials.size }, 'CRL loaded');
          }
        } catch (error) {
          this.deps.metrics?.crlRefresh(source, 'failed');
          const kept = this.#bySource.get(source);
          this.deps.logger.error(
            { event: 'crl.refresh_failed', listener: this.deps.listener, source, reason: (error as Error).message, keptUntil: kept ? new Date(kept.nextUpdate).toISOString() : undefined, whenUnavailable: this.config.whenUnavailable },
            kept ? 'CRL refresh failed: the previous CRL stays in force until its nextUpdate' : 'CRL could not be loaded: revocation status unknown for its issuer',
          );
        }
      }),
    );
    const byIssuer = new Map<string, LoadedCrl>();
    for (const crl of this.#bySource.values()) {
      const other = byIssuer.get(crl.issuer);
      if (!other || other.thisUpdate < crl.thisUpdate) byIssuer.set(crl.issuer, crl);
    }
    this.#byIssuer = byIssuer;
  }

  /**
   * Parses, refuses what this checker cannot read as a complete CRL, finds the issuing CA by name
   * (one allowed to sign CRLs) and verifies the CRL's signature with its key.
   */
  async #verify(source: string, bytes: Buffer): Promise<LoadedCrl> {
    const text = bytes.toString('latin1');
    const crl = new x509.X509Crl(text.includes('-----BEGIN') ? text : bytes);
    checkCompleteCrl(crl);
    const named = this.cas.filter((ca) => ca.subject === crl.issuer);
    if (named.length === 0) throw new Error(`is issued by "${crl.issuer}", which is not one of the listener's CAs`);
    // RFC 5280 §4.2.1.3: only a key whose certificate asserts cRLSign may sign CRLs.
    const issuers = named.filter(maySignCrls);
    if (issuers.length === 0) throw new Error(`is issued by "${crl.issuer}", whose certificate does not allow CRL signing (no cRLSign key usage)`);
    let verified = false;
    for (const ca of issuers) if (await crl.verify({ publicKey: ca.publicKey })) verified = true;
    if (!verified) throw new Error('has a signature that does not verify with its CA');
    return {
      source,
      issuer: crl.issuer,
      serials: new Set(crl.entries.map((entry) => normalizeSerial(entry.serialNumber))),
      thisUpdate: crl.thisUpdate.getTime(),
      nextUpdate: crl.nextUpdate!.getTime(),
    };
  }
}

const ID_CE = '2.5.29';
/** CRL extensions this checker understands (none of them changes which certificates are listed). */
const KNOWN_CRL_EXTENSIONS = new Set([`${ID_CE}.20` /* cRLNumber */, `${ID_CE}.35` /* authorityKeyIdentifier */]);
const DELTA_CRL_INDICATOR = `${ID_CE}.27`;
/** Entry extensions this checker understands: reasonCode, invalidityDate. */
const KNOWN_ENTRY_EXTENSIONS = new Set([`${ID_CE}.21`, `${ID_CE}.24`]);

/**
 * Refuses a CRL that cannot be read as the complete list of its issuer's revocations with a
 * known freshness:
 * - no nextUpdate (RFC 5280 §5.1.2.5 requires it): it could never be judged stale;
 * - a delta CRL (§5.2.4): it lists only changes since a base CRL, so a certificate revoked before
 *   that base would be taken as good;
 * - a critical extension, or a critical entry extension, this checker does not process
 *   (§5.2, §5.3: such a CRL MUST NOT be used), e.g. an issuing distribution point that limits its
 *   scope, or a certificateIssuer entry of an indirect CRL.
 */
export function checkCompleteCrl(crl: x509.X509Crl): void {
  if (crl.nextUpdate === undefined) throw new Error('has no nextUpdate (RFC 5280 §5.1.2.5), so its freshness cannot be judged');
  if (crl.extensions.some((extension) => extension.type === DELTA_CRL_INDICATOR)) throw new Error('is a delta CRL, which is not supported: publish complete CRLs');
  const critical = crl.extensions.find((extension) => extension.critical && !KNOWN_CRL_EXTENSIONS.has(extension.type));
  if (critical) throw new Error(`has a critical extension ${critical.type} that cannot be processed (RFC 5280 §5.2)`);
  for (const entry of crl.entries) {
    const entryCritical = entry.extensions.find((extension) => extension.critical && !KNOWN_ENTRY_EXTENSIONS.has(extension.type));
    if (entryCritical) throw new Error(`has an entry with a critical extension ${entryCritical.type} that cannot be processed (RFC 5280 §5.3)`);
  }
}

/** RFC 5280 §4.2.1.3: a CA certificate must carry key usage, with cRLSign, for its key to sign CRLs. */
function maySignCrls(ca: x509.X509Certificate): boolean {
  const usage = ca.getExtension(x509.KeyUsagesExtension);
  return usage !== null && (usage.usages & x509.KeyUsageFlags.cRLSign) !== 0;
}

async function readCrlFile(path: string): Promise<Buffer> {
  const bytes = await readFile(path);
  if (bytes.length > MAX_CRL_BYTES) throw new Error('is too large');
  return bytes;
}

async function fetchCrl(url: string, outbound: Outbound): Promise<Buffer> {
  // An overall deadline, not only one on silence: a server trickling a byte at a time must not
  // hold the refresh (and every later one, start-up and shutdown) forever.
  const response = await request(url, { dispatcher: outbound.agent('crl'), headersTimeout: FETCH_TIMEOUT_MS, bodyTimeout: FETCH_TIMEOUT_MS, signal: AbortSignal.timeout(FETCH_TIMEOUT_MS) });
  if (response.statusCode !== 200) {
    await response.body.dump();
    throw new Error(`answered ${response.statusCode}`);
  }
  return readCappedBody(response.body, MAX_CRL_BYTES, 'is too large');
}

/** Every certificate in a PEM bundle. */
export function parsePemBundle(pem: string): x509.X509Certificate[] {
  return [...pem.matchAll(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g)].map((match) => new x509.X509Certificate(match[0]));
}
