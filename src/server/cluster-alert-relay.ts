/**
 * The primary's part in cluster-wide alerting (`--workers N`): the lead worker's engine is the one
 * that evaluates, so the alert signals of the other workers (alerts/signals.ts), and the watched
 * events of the primary's own log (a rejected reload: cluster.reload_failed, config.reload_rejected),
 * are relayed to it. While no lead is ready and connected (it is starting or being replaced) they
 * are dropped and counted (portcullis_alert_signals_dropped_total{reason="no_lead"}): an alert
 * engine that is not running keeps nothing either. The bound of each worker's batcher (one batch in
 * flight) holds on this leg too: at most MAX_TO_LEAD_IN_FLIGHT batches are on their way to the lead
 * (counted with the send's callback); past that, a lead that does not keep up costs drops
 * (`lead_busy`), not the primary's memory. The cluster's metrics reach the lead by another path
 * (cluster-primary.ts, `alert_metrics_request`).
 */
import type { Worker } from 'node:cluster';
import type { Registry } from 'prom-client';
import { systemClock, type Clock } from '../core/clock.js';
import { watchedFields } from '../alerts/event-window.js';
import type { AlertSignal } from '../alerts/signals.js';
import type { LogEventTap } from '../observability/log-tap.js';
import { alertSignalsDropped } from './alert-signal-batcher.js';
import type { ToWorker } from './cluster-messages.js';

/** Batches on their way to the lead at most. */
export const MAX_TO_LEAD_IN_FLIGHT = 4;

/** Sends to the lead; `done` once the channel wrote the message (`failed`: it could not). */
export type SendToLead = (message: ToWorker, done: (failed: boolean) => void) => void;

/** The lead's slot as the primary keeps it (cluster-primary.ts). */
export interface LeadSlot {
  readonly ready: boolean;
  readonly worker: Pick<Worker, 'isConnected' | 'send'> | undefined;
}

/** How to send to the lead: only when it is ready and its channel connected (else its signals are counted as no_lead). */
export function leadChannel(lead: LeadSlot | undefined): SendToLead | undefined {
  const worker = lead?.ready ? lead.worker : undefined;
  if (!worker?.isConnected()) return undefined;
  // With a callback a failed send is no 'error' event on the worker.
  return (message, done) => void worker.send(message, undefined, (error) => done(error !== null));
}

export class ClusterAlertRelay {
  readonly #dropped: ReturnType<typeof alertSignalsDropped>;
  readonly #unsubscribe: () => void;
  #inFlight = 0;

  /** `lead`: how to send to the lead worker, or undefined while none is ready (leadChannel). */
  constructor(
    registry: Registry,
    private readonly lead: () => SendToLead | undefined,
    logEvents: LogEventTap | undefined,
    clock: Clock = systemClock,
  ) {
    this.#dropped = alertSignalsDropped(registry);
    this.#unsubscribe =
      logEvents?.subscribe((event, fields) => {
        const kept = watchedFields(event, fields);
        if (kept) this.relay([{ type: 'event', event, fields: kept, at: clock.now() }]);
      }) ?? (() => {});
  }

  relay(signals: AlertSignal[]): void {
    const send = this.lead();
    if (!send) return void this.#dropped.inc({ reason: 'no_lead' }, signals.length);
    if (this.#inFlight >= MAX_TO_LEAD_IN_FLIGHT) return void this.#dropped.inc({ reason: 'lead_busy' }, signals.length);
    this.#inFlight++;
    let settled = false;
    send({ kind: 'portcullis.cluster.alert_signals', signals }, (failed) => {
      if (settled) return;
      settled = true;
      this.#inFlight--;
      if (failed) this.#dropped.inc({ reason: 'send_failed' }, signals.length);
    });
  }

  close(): void {
    this.#unsubscribe();
  }
}
