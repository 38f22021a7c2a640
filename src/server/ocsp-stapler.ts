/**
 * OCSP stapling for one listener certificate (RFC 6066 §8, RFC 6960): fetches its status from the
 * issuer's responder, keeps the last checked response until its nextUpdate, refreshes it half-way
 * through its validity, and hands it to each handshake that asks ('OCSPRequest'). A stapling
 * failure never fails a handshake: the handshake goes on without a staple (or with the previous,
 * still current response), and the failure is logged (`ocsp.staple_failed`) and counted.
 */
import { request } from 'undici';
import type { Clock } from '../core/clock.js';
import type { Logger } from '../observability/logger.js';
import type { Outbound } from '../outbound/index.js';
import { certId, checkOcspResponse, ocspRequest, type OcspSubject } from '../pki/ocsp.js';
import { readCappedBody } from '../net/read-capped.js';

/** A responder that does not answer in full within this long counts as failed. */
const FETCH_TIMEOUT_MS = 5000;
const MAX_RESPONSE_BYTES = 64 * 1024;
/** A response without nextUpdate is stapled this long after it was fetched, and refreshed twice as often. */
const NO_NEXT_UPDATE_MAX_AGE_MS = 60 * 60_000;
const MIN_REFRESH_MS = 60_000;
const MAX_REFRESH_MS = 12 * 60 * 60_000;
const MAX_RETRY_MS = 60 * 60_000;

export interface OcspStaplerDeps {
  readonly listener: string;
  readonly logger: Logger;
  readonly clock: Clock;
  /** The responder is fetched through its `ocsp` agent. */
  readonly outbound: Outbound;
  readonly count?: (result: 'ok' | 'failed') => void;
}

interface Staple {
  readonly der: Buffer;
  readonly fetchedAt: number;
  readonly nextUpdate: number | undefined;
}

export class OcspStapler {
  readonly #request: Buffer;
  readonly #id: ReturnType<typeof certId>;
  #staple: Staple | undefined;
  #failures = 0;
  #timer: NodeJS.Timeout | undefined;
  #stopped = false;

  constructor(
    private readonly subject: OcspSubject,
    private readonly deps: OcspStaplerDeps,
  ) {
    this.#id = certId(subject);
    this.#request = ocspRequest(this.#id);
  }

  /** The response to staple to a handshake now, or undefined (none yet, or past its time by the clock). */
  current(): Buffer | undefined {
    const staple = this.#staple;
    if (!staple) return undefined;
    const now = this.deps.clock.now();
    const expiresAt = staple.nextUpdate ?? staple.fetchedAt + NO_NEXT_UPDATE_MAX_AGE_MS;
    return now < expiresAt ? staple.der : undefined;
  }

  /** Fetches and checks a response now; false (logged, counted) when that failed. */
  async refresh(): Promise<boolean> {
    try {
      const der = await this.#fetch();
      const now = this.deps.clock.now();
      const checked = checkOcspResponse(der, this.subject, this.#id, now);
      this.#staple = { der, fetchedAt: now, nextUpdate: checked.nextUpdate };
      this.#failures = 0;
      this.deps.count?.('ok');
      const nextUpdate = checked.nextUpdate === undefined ? undefined : new Date(checked.nextUpdate).toISOString();
      if (checked.status === 'revoked') {
        this.deps.logger.error({ event: 'ocsp.certificate_revoked', listener: this.deps.listener, url: this.subject.url, nextUpdate }, "the responder says this listener's certificate is revoked: clients will refuse it; replace it");
      } else {
        this.deps.logger.info({ event: 'ocsp.stapled', listener: this.deps.listener, url: this.subject.url, nextUpdate }, 'OCSP response fetched for stapling');
      }
      return true;
    } catch (error) {
      this.#failures += 1;
      this.deps.count?.('failed');
      this.deps.logger.warn(
        { event: 'ocsp.staple_failed', listener: this.deps.listener, url: this.subject.url, reason: (error as Error).message, stapling: this.current() ? 'previous response' : 'none' },
        'OCSP stapling failed: handshakes go on without a fresh staple',
      );
      return false;
    }
  }

  /** Refreshes on a schedule: half-way to nextUpdate after a success, with a growing delay after failures. */
  start(): void {
    this.#schedule();
  }

  stop(): void {
    this.#stopped = true;
    clearTimeout(this.#timer);
  }

  #schedule(): void {
    if (this.#stopped) return;
    const delay = Math.min(MAX_REFRESH_MS, Math.max(MIN_REFRESH_MS, this.#nextDelay()));
    this.#timer = setTimeout(() => void this.refresh().then(() => this.#schedule()), delay);
    this.#timer.unref();
  }

  #nextDelay(): number {
    if (this.#failures > 0) return Math.min(MAX_RETRY_MS, MIN_REFRESH_MS * 2 ** (this.#failures - 1));
    const staple = this.#staple;
    if (!staple) return MIN_REFRESH_MS;
    if (staple.nextUpdate === undefined) return NO_NEXT_UPDATE_MAX_AGE_MS / 2;
    return (staple.nextUpdate - this.deps.clock.now()) / 2;
  }

  /** POSTs the request (RFC 6960 Appendix A.1), with an overall deadline and a size limit. */
  async #fetch(): Promise<Buffer> {
    // The egress rules: the responder the listener's own certificate names is declared (OCSP is
    // plain http by design, RFC 6960 Appendix A: the response is signed).
    this.deps.outbound.egress.declare(`ocsp responder of listener ${this.deps.listener}`, [this.subject.url], 'operator');
    const response = await request(this.subject.url, {
      method: 'POST',
      dispatcher: this.deps.outbound.agent('ocsp'),
      headers: { 'content-type': 'application/ocsp-request', accept: 'application/ocsp-response' },
      body: this.#request,
      // One request now and then: no connection kept (responders such as `openssl ocsp` close it anyway).
      reset: true,
      headersTimeout: FETCH_TIMEOUT_MS,
      bodyTimeout: FETCH_TIMEOUT_MS,
      signal: AbortSignal.timeout(FETCH_TIMEOUT_MS),
    });
    if (response.statusCode !== 200) {
      await response.body.dump();
      throw new Error(`the responder answered HTTP ${response.statusCode}`);
    }
    return readCappedBody(response.body, MAX_RESPONSE_BYTES, 'the response is too large');
  }
}
