/**
 * The primary's part in cluster-wide alerting (`--workers N`): the lead worker's engine is the one
 * that evaluates, so the alert signals of the other workers (alerts/signals.ts), and the watched
 * events of the primary's own log (a rejected reload: cluster.reload_failed, config.reload_rejected),
 * are relayed to it. While no lead is ready (it is starting or being replaced) they are dropped and
 * counted (portcullis_alert_signals_dropped_total{reason="no_lead"}): an alert engine that is not
 * running keeps nothing either. The cluster's metrics reach the lead by another path
 * (cluster-primary.ts, `alert_metrics_request`).
 */
import type { Registry } from 'prom-client';
import { watchedFields } from '../alerts/event-window.js';
import type { AlertSignal } from '../alerts/signals.js';
import type { LogEventTap } from '../observability/log-tap.js';
import { alertSignalsDropped } from './alert-signal-batcher.js';
import type { ToWorker } from './cluster-messages.js';

export class ClusterAlertRelay {
  readonly #dropped: ReturnType<typeof alertSignalsDropped>;
  readonly #unsubscribe: () => void;

  /** `lead`: sends to the lead worker, or undefined while none is ready. */
  constructor(
    registry: Registry,
    private readonly lead: () => ((message: ToWorker) => void) | undefined,
    logEvents: LogEventTap | undefined,
  ) {
    this.#dropped = alertSignalsDropped(registry);
    this.#unsubscribe =
      logEvents?.subscribe((event, fields) => {
        const kept = watchedFields(event, fields);
        if (kept) this.relay([{ type: 'event', event, fields: kept }]);
      }) ?? (() => {});
  }

  relay(signals: AlertSignal[]): void {
    const send = this.lead();
    if (send) send({ kind: 'portcullis.cluster.alert_signals', signals });
    else this.#dropped.inc({ reason: 'no_lead' }, signals.length);
  }

  close(): void {
    this.#unsubscribe();
  }
}
