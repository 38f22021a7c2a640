/**
 * Expiry watch over every certificate the gateway knows: listener certificates and client CAs,
 * upstream client certificates and the server certificates upstreams presented, our own CA and
 * the certificates it issued, and our CA's CRL until its nextUpdate. Checked at start and every `checkIntervalHours` (the timer is
 * unref'd and cleared on close): each one gets `portcullis_certificate_expiry_seconds{kind,name,
 * subject,serial}`, and one expiring within `warningDays` (or expired) a warning log event,
 * `certificate.expiring` or `certificate.expired`, for alerts.
 */
import type { Gauge } from 'prom-client';
import type { Clock } from '../core/clock.js';
import type { Logger } from '../observability/logger.js';

/** `crl`: our CA's CRL, whose `notAfter` is its nextUpdate. */
export type CertificateKind = 'listener' | 'client_ca' | 'upstream_client' | 'upstream_server' | 'ca' | 'issued' | 'crl';

export interface KnownCertificate {
  readonly kind: CertificateKind;
  /** Which listener, upstream, CA or consumer it belongs to. */
  readonly name: string;
  readonly subject: string;
  readonly serial: string;
  readonly notAfter: number;
}

export interface ExpiryFinding extends KnownCertificate {
  readonly state: 'ok' | 'expiring' | 'expired';
  readonly secondsLeft: number;
}

const DAY_MS = 86400000;

export class ExpiryWatch {
  #timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly certificates: () => readonly KnownCertificate[],
    private readonly options: { warningDays: number; checkIntervalHours: number; clock: Clock; logger: () => Logger; gauge: Gauge<'kind' | 'name' | 'subject' | 'serial'> },
  ) {}

  /** Checks now, then on every interval. */
  start(): void {
    this.check();
    this.#timer = setInterval(() => this.check(), this.options.checkIntervalHours * 3600000);
    this.#timer.unref();
  }

  stop(): void {
    clearInterval(this.#timer);
  }

  /** Checks every known certificate; the metric is rebuilt so replaced certificates leave it. */
  check(): ExpiryFinding[] {
    let known: readonly KnownCertificate[];
    try {
      known = this.certificates();
    } catch (error) {
      this.options.logger().error({ event: 'certificate.watch_failed', reason: (error as Error).message }, 'could not list the certificates to watch');
      return [];
    }
    this.options.gauge.reset();
    return known.map((certificate) => this.observe(certificate));
  }

  /** Checks one certificate (also used when an upstream shows a new one). */
  observe(certificate: KnownCertificate): ExpiryFinding {
    const now = this.options.clock.now();
    const secondsLeft = Math.floor((certificate.notAfter - now) / 1000);
    this.options.gauge.set({ kind: certificate.kind, name: certificate.name, subject: certificate.subject, serial: certificate.serial }, secondsLeft);
    const state = secondsLeft <= 0 ? 'expired' : certificate.notAfter - now <= this.options.warningDays * DAY_MS ? 'expiring' : 'ok';
    if (state !== 'ok') {
      const fields = { event: `certificate.${state}` as const, kind: certificate.kind, name: certificate.name, subject: certificate.subject, serial: certificate.serial, notAfter: new Date(certificate.notAfter).toISOString(), daysLeft: Math.floor(secondsLeft / 86400) };
      this.options.logger().warn(fields, state === 'expired' ? 'a certificate has expired' : `a certificate expires within ${this.options.warningDays} days`);
    }
    return { ...certificate, state, secondsLeft };
  }
}
