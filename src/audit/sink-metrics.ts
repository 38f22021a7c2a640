/**
 * The Prometheus metrics of audit streaming and audited security events, registered on the
 * gateway's registry (observability/metrics.ts). Labels are sink names from the config: bounded.
 */
import { Counter, Gauge, type Registry } from 'prom-client';
import type { SinkMetrics } from './sink-deliverer.js';

export class AuditMetrics implements SinkMetrics {
  readonly #delivered: Counter<'sink'>;
  readonly #failures: Counter<'sink'>;
  readonly #skipped: Counter<'sink'>;
  readonly #up: Gauge<'sink'>;
  readonly #backlog: Gauge<'sink'>;
  readonly securityEventsDropped: Counter;
  readonly deniedOverflow: Counter;

  constructor(registry: Registry) {
    const registers = [registry];
    this.#delivered = new Counter({ name: 'portcullis_audit_sink_delivered_total', help: 'Audit records delivered to a sink, by sink.', labelNames: ['sink'] as const, registers });
    this.#failures = new Counter({ name: 'portcullis_audit_sink_failures_total', help: 'Failed deliveries to an audit sink (each attempt), by sink.', labelNames: ['sink'] as const, registers });
    this.#skipped = new Counter({ name: 'portcullis_audit_sink_skipped_total', help: 'Audit records a sink never got (buffer overflow, or archived before delivery), by sink.', labelNames: ['sink'] as const, registers });
    // Only the process holding a sink's lease reports it; under --workers the primary takes the minimum.
    this.#up = new Gauge({ name: 'portcullis_audit_sink_up', help: '1 while the last delivery to an audit sink worked, 0 while it fails (reported by the process that delivers to it).', labelNames: ['sink'] as const, aggregator: 'min', registers });
    this.#backlog = new Gauge({ name: 'portcullis_audit_sink_backlog_records', help: 'Committed audit records not yet delivered to a sink.', labelNames: ['sink'] as const, aggregator: 'max', registers });
    this.securityEventsDropped = new Counter({ name: 'portcullis_audit_security_events_dropped_total', help: 'Data-plane security events dropped because their queue was full or the store failed to take them.', registers });
    this.deniedOverflow = new Counter({ name: 'portcullis_audit_denied_overflow_total', help: 'Denied admin attempts counted under source "*" because an interval had more distinct (IP, reason) pairs than audit.deniedAttempts.maxSourcesPerInterval.', registers });
  }

  delivered(sink: string, records: number): void {
    this.#delivered.inc({ sink }, records);
  }
  failed(sink: string): void {
    this.#failures.inc({ sink });
  }
  skipped(sink: string, records: number): void {
    this.#skipped.inc({ sink }, records);
  }
  up(sink: string, up: boolean): void {
    this.#up.set({ sink }, up ? 1 : 0);
  }
  backlog(sink: string, records: number): void {
    this.#backlog.set({ sink }, records);
  }
}
