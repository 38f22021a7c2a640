/**
 * A `--workers N` worker that is not the lead forwards its alert signals (alerts/signals.ts) to the
 * lead's engine through the primary. One IPC message per signal would cost a message per refused
 * request in an attack, so they are coalesced while they wait (alert-signal-coalescer.ts: a count
 * per source, the highest usage, the last sample ids) and go in batches: at most BATCH_SIZE per
 * message, one message in flight at a time, sent FLUSH_MS after the first waiting one. What waits
 * is bounded: past MAX_QUEUED entries (a lead that does not keep up, a primary gone) new ones are
 * dropped and counted in portcullis_alert_signals_dropped_total, never buffered without limit. A
 * draining worker sends what waits before it exits (`flushAll`).
 */
import { Counter, type Registry } from 'prom-client';
import type { AlertSignal } from '../alerts/signals.js';
import { AlertSignalCoalescer } from './alert-signal-coalescer.js';
import type { FromWorker } from './cluster-messages.js';

export const BATCH_SIZE = 200;
export const MAX_QUEUED = 5000;
const FLUSH_MS = 100;

const DROPPED_HELP = `Alert signals (log events, refused requests, limit usage, sample ids; coalesced per source) of a --workers N worker that did not reach the lead's alert engine, by reason: queue_full (over ${MAX_QUEUED} waiting in the worker), send_failed (a send that failed, worker to primary or primary to lead), not_sent_at_exit (still waiting when a draining worker exited), no_lead (the primary had no connected lead), lead_busy (too many batches already on their way to the lead), not_ready (they reached the lead before its gateway ran).`;

/** The drop counter, in `registry` (the primary's, or a worker's once its gateway runs). */
export function alertSignalsDropped(registry?: Registry): Counter<'reason'> {
  return new Counter({ name: 'portcullis_alert_signals_dropped_total', help: DROPPED_HELP, labelNames: ['reason'] as const, registers: registry ? [registry] : [] });
}

/**
 * Sends one batch. False when the channel is not connected (nothing was sent); else true, and
 * `done` is called once the channel wrote the batch (`failed`: it could not). What `send()` of
 * node:child_process returns is no answer here: false there is back-pressure, the message still
 * queued, its callback still to come.
 */
export type SendBatch = (batch: AlertSignal[], done: (failed: boolean) => void) => boolean;

/** A worker's IPC channel to the primary, as `process` is one. */
export interface SignalChannel {
  readonly connected: boolean;
  send?(message: FromWorker, sendHandle: undefined, options: object, callback: (error: Error | null) => void): boolean;
}

/** Sends batches over a worker's channel (`process`): false only when it is closed; whether a batch went, only the callback says. */
export function sendOver(channel: SignalChannel): SendBatch {
  return function sendSignals(signals, done) {
    if (!channel.connected || !channel.send) return false;
    // Its return value is ignored: false is back-pressure, the message queued all the same.
    channel.send({ kind: 'portcullis.cluster.alert_signals', signals }, undefined, {}, (error) => done(error !== null));
    return true;
  };
}

export class AlertSignalBatcher {
  readonly dropped = alertSignalsDropped();
  readonly #waiting = new AlertSignalCoalescer();
  #inFlight = false;
  #timer: NodeJS.Timeout | undefined;
  /** Set by flushAll: batches go at once, and it hears when none waits any more. */
  #draining: (() => void) | undefined;

  constructor(private readonly send: SendBatch) {}

  push(signal: AlertSignal): void {
    if (!this.#waiting.add(signal, MAX_QUEUED)) return void this.dropped.inc({ reason: 'queue_full' });
    this.#schedule();
  }

  /**
   * Sends what waits now, batch after batch (a draining worker, before it exits). Resolves once
   * nothing waits or is in flight, or after `timeoutMs`: what still waits then is counted
   * (not_sent_at_exit); a batch in flight may yet arrive.
   */
  flushAll(timeoutMs: number): Promise<void> {
    return new Promise((resolve) => {
      const finish = () => {
        clearTimeout(deadline);
        this.#draining = undefined;
        const left = this.#waiting.take(MAX_QUEUED).length;
        if (left > 0) this.dropped.inc({ reason: 'not_sent_at_exit' }, left);
        resolve();
      };
      const deadline = setTimeout(finish, timeoutMs);
      this.#draining = () => {
        if (this.#waiting.size === 0 && !this.#inFlight) finish();
      };
      clearTimeout(this.#timer);
      this.#timer = undefined;
      this.#schedule();
      this.#draining();
    });
  }

  #schedule(): void {
    if (this.#inFlight || this.#timer || this.#waiting.size === 0) return;
    this.#timer = setTimeout(() => this.#flush(), this.#draining || this.#waiting.size >= BATCH_SIZE ? 0 : FLUSH_MS);
    this.#timer.unref();
  }

  #flush(): void {
    this.#timer = undefined;
    const batch = this.#waiting.take(BATCH_SIZE);
    if (batch.length === 0) return;
    this.#inFlight = true;
    let settled = false;
    // Once per batch, whatever the channel does: a second call would free a slot another batch holds.
    const done = (failed: boolean) => {
      if (settled) return;
      settled = true;
      if (failed) this.dropped.inc({ reason: 'send_failed' }, batch.length);
      this.#inFlight = false;
      this.#schedule();
      this.#draining?.();
    };
    if (!this.send(batch, done)) done(true);
  }
}
