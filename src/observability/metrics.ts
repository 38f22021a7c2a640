/**
 * Prometheus metrics (prom-client), served on the admin listener at /metrics. One registry per
 * gateway, so tests and several gateways in one process do not mix their counts. Labels are
 * bounded: route and upstream names come from the config, statuses are grouped by class.
 */
import { Counter, Registry, collectDefaultMetrics } from 'prom-client';

export class GatewayMetrics {
  readonly registry = new Registry();
  readonly requests = new Counter({ name: 'portcullis_requests_total', help: 'Requests answered, by route and status class.', labelNames: ['route', 'status'] as const, registers: [this.registry] });
  readonly locationMismatches = new Counter({ name: 'portcullis_geo_location_mismatch_total', help: 'Requests whose asserted country differed from their IP country.', labelNames: ['route', 'action'] as const, registers: [this.registry] });
  readonly targetCooldowns = new Counter({ name: 'portcullis_upstream_target_cooldowns_total', help: 'Times an upstream target was put in cool-down after failures.', labelNames: ['upstream'] as const, registers: [this.registry] });

  constructor(options: { processMetrics: boolean } = { processMetrics: true }) {
    if (options.processMetrics) collectDefaultMetrics({ register: this.registry, prefix: 'portcullis_' });
  }

  /** 0 (no response), 1xx … 5xx */
  static statusClass(status: number): string {
    return status === 0 ? '0' : `${Math.floor(status / 100)}xx`;
  }
}
