/**
 * A `--workers N` worker that is not the lead forwards its alert signals (alerts/signals.ts) to the
 * lead's engine through the primary. One IPC message per signal would cost a message per refused
 * request in an attack, so they go in batches: at most BATCH_SIZE per message, one message in
 * flight at a time, sent FLUSH_MS after the first waiting one. The queue is bounded: past
 * MAX_QUEUED (a lead that does not keep up, a primary gone) signals are dropped and counted in
 * portcullis_alert_signals_dropped_total, never buffered without limit.
 */
import { Counter, type Registry } from 'prom-client';
import type { AlertSignal } from '../alerts/signals.js';

export const BATCH_SIZE = 200;
export const MAX_QUEUED = 5000;
const FLUSH_MS = 100;

const DROPPED_HELP = 'Alert signals (log events, refused requests, limit usage, sample ids) of a --workers N worker that did not reach the lead\'s alert engine, by reason: queue_full, send_failed (this worker), no_lead (the primary had no lead worker to relay them to).';

/** The drop counter, in `registry` (the primary's, or a worker's once its gateway runs). */
export function alertSignalsDropped(registry?: Registry): Counter<'reason'> {
  return new Counter({ name: 'portcullis_alert_signals_dropped_total', help: DROPPED_HELP, labelNames: ['reason'] as const, registers: registry ? [registry] : [] });
}

export class AlertSignalBatcher {
  readonly dropped = alertSignalsDropped();
  #queue: AlertSignal[] = [];
  #inFlight = false;
  #timer: NodeJS.Timeout | undefined;

  /**
   * `send`: sends one batch; false when it cannot be sent at all; else calls `done` once the
   * channel took it (`failed`: it did not).
   */
  constructor(private readonly send: (batch: AlertSignal[], done: (failed: boolean) => void) => boolean) {}

  push(signal: AlertSignal): void {
    if (this.#queue.length >= MAX_QUEUED) return void this.dropped.inc({ reason: 'queue_full' });
    this.#queue.push(signal);
    this.#schedule();
  }

  #schedule(): void {
    if (this.#inFlight || this.#timer || this.#queue.length === 0) return;
    this.#timer = setTimeout(() => this.#flush(), this.#queue.length >= BATCH_SIZE ? 0 : FLUSH_MS);
    this.#timer.unref();
  }

  #flush(): void {
    this.#timer = undefined;
    const batch = this.#queue.splice(0, BATCH_SIZE);
    if (batch.length === 0) return;
    this.#inFlight = true;
    const done = (failed: boolean) => {
      if (failed) this.dropped.inc({ reason: 'send_failed' }, batch.length);
      this.#inFlight = false;
      this.#schedule();
    };
    if (!this.send(batch, done)) done(true);
  }
}
