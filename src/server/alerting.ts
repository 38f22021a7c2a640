/**
 * Builds the gateway's alert engine (alerts/alert-engine.ts, docs/alerts.md): its view of the
 * runtime in force (routes, upstream target health), its sinks through the gateway's Outbound, and
 * its queue and delivery lease in the store when there is one (else in memory, this node alone).
 */
import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import type { Clock } from '../core/clock.js';
import type { AlertsConfig } from '../config/alerts-schema.js';
import type { Logger } from '../observability/logger.js';
import type { GatewayMetrics } from '../observability/metrics.js';
import type { Outbound } from '../outbound/index.js';
import type { Store } from '../store/store.js';
import { AlertEngine } from '../alerts/alert-engine.js';
import { createAlertSinks } from '../alerts/sink-factory.js';
import { MemoryQueue } from '../alerts/queue.js';
import { StoreLease, StoreQueue, StoreSilences } from '../alerts/store-queue.js';
import type { Runtime } from './runtime.js';
import type { KeyIndex } from '../keys/key-index.js';
import type { MetricSource } from '../alerts/metric-history.js';
import type { AlertSignal } from '../alerts/signals.js';
import { keysPastAge, type KeyAgeConsumers } from '../keys/aged-keys.js';

export interface AlertingDeps {
  readonly clock: Clock;
  readonly logger: () => Logger;
  readonly metrics: GatewayMetrics;
  readonly outbound: Outbound;
  readonly store: Store | undefined;
  /** The runtime in force (replaced by each reload). */
  readonly runtime: () => Runtime | undefined;
  /** This node's identity (node-identity.ts); default: the host name. */
  readonly node?: string | undefined;
  /** Under `--workers N`, the lead: every worker's metrics (ClusterRole.alertMetrics). */
  readonly readMetrics?: MetricSource | undefined;
  /** Under `--workers N`, not the lead: where alert signals go (ClusterRole.forwardAlertSignal). */
  readonly forward?: ((signal: AlertSignal) => void) | undefined;
  /** With API keys: the node's key index and consumer directory, read by the key_age rule. */
  readonly keys?: { readonly index: KeyIndex; readonly consumers: KeyAgeConsumers } | undefined;
}

/** The engine, and the silences it reads (with a store: the admin API creates and expires them there). */
export interface OpenedAlerting {
  readonly engine: AlertEngine;
  readonly silences: StoreSilences | undefined;
}

export async function openAlerting(config: AlertsConfig, deps: AlertingDeps): Promise<OpenedAlerting> {
  const node = deps.node ?? hostname();
  const silences = deps.store ? new StoreSilences(deps.store) : undefined;
  const engine = await AlertEngine.open(config, {
    clock: deps.clock,
    logger: deps.logger,
    registry: deps.metrics.registry,
    readMetrics: deps.readMetrics,
    events: deps.metrics.logEvents,
    forward: deps.forward,
    node,
    // With a store: the queue survives a restart, and one node of all delivers (the lease's owner
    // is this engine: two gateways in one process, as in tests, are two owners).
    queue: deps.store ? new StoreQueue(deps.store) : new MemoryQueue(),
    lease: deps.store ? new StoreLease(deps.store, `${node}:${process.pid}:${randomUUID().slice(0, 8)}`) : undefined,
    silences,
    createSinks: (sinks) => createAlertSinks(sinks, { outbound: deps.outbound, clock: deps.clock }),
    gateway: {
      routes: () => (deps.runtime()?.config.routes ?? []).map((route) => ({ name: route.name, upstream: route.upstream })),
      upstreams: () =>
        [...(deps.runtime()?.upstreams.values() ?? [])].map((upstream) => ({
          name: upstream.name,
          failuresBeforeCooldown: upstream.config.health.failuresBeforeCooldown,
          targets: upstream.targets.map((target) => ({ origin: target.origin, consecutiveFailures: target.consecutiveFailures })),
        })),
      agedKeys: (now) => {
        const policy = deps.runtime()?.config.apiKeys;
        return deps.keys && policy ? keysPastAge(deps.keys.index.usableKeys(now), deps.keys.consumers, policy.maxAgeDays, now) : [];
      },
    },
  });
  deps.metrics.reportLimitUsageTo((route, limit, consumer, used) => engine.recordLimitUsage(route, limit, consumer, used));
  return { engine, silences };
}
