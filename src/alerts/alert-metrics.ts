/**
 * The alert engine's own metrics (docs/alerts.md#metrics), in the gateway's registry: what was
 * sent and how it went, what fires, what waits, and which sinks work. Delivery is itself not silent.
 */
import { Counter, Gauge, type Registry } from 'prom-client';

export type NotificationOutcome = 'delivered' | 'failed' | 'rejected' | 'dropped';

export class AlertMetrics {
  readonly notifications: Counter<'sink' | 'outcome'>;
  readonly firing: Gauge<'rule' | 'severity'>;
  readonly queued: Gauge;
  readonly sinkUp: Gauge<'sink'>;
  readonly evaluations: Counter<'outcome'>;

  constructor(registry: Registry) {
    const registers = [registry];
    this.notifications = new Counter({ name: 'portcullis_alert_notifications_total', help: 'Attempts to deliver an alert notification, by sink and outcome (delivered; failed: will be retried; rejected: refused for good by the receiver; dropped: queue full or given up).', labelNames: ['sink', 'outcome'] as const, registers });
    this.firing = new Gauge({ name: 'portcullis_alerts_firing', help: 'Alerts firing now (silenced and inhibited ones included), by rule and severity.', labelNames: ['rule', 'severity'] as const, aggregator: 'max', registers });
    this.queued = new Gauge({ name: 'portcullis_alert_notifications_queued', help: 'Alert notifications waiting for delivery.', aggregator: 'max', registers });
    this.sinkUp = new Gauge({ name: 'portcullis_alert_sink_up', help: '1 while the last delivery to an alert sink worked (or none was tried), 0 while it fails.', labelNames: ['sink'] as const, aggregator: 'min', registers });
    this.evaluations = new Counter({ name: 'portcullis_alert_evaluations_total', help: 'Rule evaluation rounds, by outcome (ok, failed).', labelNames: ['outcome'] as const, registers });
  }
}
