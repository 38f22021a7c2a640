/**
 * Delivers queued notifications to their sinks: in queue order per sink, retried with exponential
 * backoff (retryMinSeconds doubled per failure up to retryMaxSeconds; a receiver's Retry-After is
 * honoured when longer), given up after giveUpAfterSeconds, dropped at once when the receiver
 * refuses for good (AlertDeliveryError.retryable false). Every failure is logged and counted; a
 * sink that keeps failing is reported by `failingSinks()`, which the alert_sink_failing meta-rule
 * reads. Only the node holding the delivery lease calls `deliverDue` (alert-engine.ts).
 */
import type { Clock } from '../core/clock.js';
import type { AlertsConfig } from '../config/alerts-schema.js';
import type { Logger } from '../observability/logger.js';
import type { AlertMetrics } from './alert-metrics.js';
import { AlertDeliveryError, type AlertSink } from './notification.js';
import type { NotificationQueue, QueuedNotification } from './queue.js';

/** Entries tried per round. */
const BATCH = 100;

export interface DelivererDeps {
  readonly clock: Clock;
  readonly logger: () => Logger;
  readonly metrics: AlertMetrics;
  readonly queue: NotificationQueue;
}

export class Deliverer {
  readonly #failing = new Map<string, { failingSince: number; reason: string }>();
  #running: Promise<string[]> | undefined;

  constructor(private readonly deps: DelivererDeps) {}

  /** Sinks whose every delivery has failed since `failingSince`. */
  failingSinks(): Array<{ sink: string; failingSince: number; reason: string }> {
    return [...this.#failing].map(([sink, state]) => ({ sink, ...state }));
  }

  /** Adds notifications to the queue, logging and counting what the bound pushes out. */
  async enqueue(entries: ReadonlyArray<{ sink: string; notification: QueuedNotification['notification'] }>, config: AlertsConfig): Promise<void> {
    if (entries.length === 0) return;
    const dropped = await this.deps.queue.add(entries, config.delivery.maxQueued, this.deps.clock.now());
    for (const entry of dropped) this.#dropped(entry, 'queue_full');
    this.deps.metrics.queued.set(await this.deps.queue.size());
  }

  /** Tries every due entry once; resolves with the ids of the notifications delivered. One round at a time. */
  deliverDue(sinks: ReadonlyMap<string, AlertSink>, config: AlertsConfig): Promise<string[]> {
    this.#running ??= this.#round(sinks, config).finally(() => (this.#running = undefined));
    return this.#running;
  }

  async #round(sinks: ReadonlyMap<string, AlertSink>, config: AlertsConfig): Promise<string[]> {
    const now = this.deps.clock.now();
    const blocked = new Set<string>();
    const delivered: string[] = [];
    for (const entry of await this.deps.queue.due(now, BATCH)) {
      if (blocked.has(entry.sink)) continue;
      const sink = sinks.get(entry.sink);
      if (!sink) {
        await this.deps.queue.remove(entry.id);
        this.#dropped(entry, 'sink_removed');
        continue;
      }
      try {
        await sink.send(entry.notification, AbortSignal.timeout(120_000));
        await this.deps.queue.remove(entry.id);
        delivered.push(entry.notification.id);
        this.deps.metrics.notifications.inc({ sink: entry.sink, outcome: 'delivered' });
        this.deps.metrics.sinkUp.set({ sink: entry.sink }, 1);
        const failing = this.#failing.get(entry.sink);
        if (failing) {
          this.#failing.delete(entry.sink);
          this.deps.logger().info({ event: 'alerts.sink_recovered', sink: entry.sink, failedForSeconds: Math.round((now - failing.failingSince) / 1000) }, 'alert sink delivers again');
        }
      } catch (error) {
        // Later entries for this sink wait for the next round: order is kept and a dead sink is not hammered.
        blocked.add(entry.sink);
        await this.#failed(entry, error, config, now);
      }
    }
    this.deps.metrics.queued.set(await this.deps.queue.size());
    return delivered;
  }

  async #failed(entry: QueuedNotification, error: unknown, config: AlertsConfig, now: number): Promise<void> {
    const failure = error instanceof AlertDeliveryError ? error : new AlertDeliveryError(`the sink failed (${(error as Error)?.name ?? 'error'})`, true);
    const attempts = entry.attempts + 1;
    this.deps.metrics.sinkUp.set({ sink: entry.sink }, 0);
    if (!this.#failing.has(entry.sink)) {
      this.#failing.set(entry.sink, { failingSince: now, reason: failure.message });
      this.deps.logger().error({ event: 'alerts.sink_failing', sink: entry.sink, reason: failure.message }, 'alert sink failing: notifications are queued and retried');
    }
    const tooOld = now - entry.notification.createdAt.getTime() >= config.delivery.giveUpAfterSeconds * 1000;
    if (!failure.retryable || tooOld) {
      await this.deps.queue.remove(entry.id);
      this.deps.metrics.notifications.inc({ sink: entry.sink, outcome: failure.retryable ? 'dropped' : 'rejected' });
      this.deps.logger().error({ event: 'alerts.notification_dropped', sink: entry.sink, notification: entry.notification.id, groupKey: entry.notification.groupKey, attempts, reason: failure.retryable ? 'gave_up' : 'rejected', error: failure.message }, 'alert notification dropped');
      return;
    }
    const backoffMs = Math.min(config.delivery.retryMinSeconds * 1000 * 2 ** (attempts - 1), config.delivery.retryMaxSeconds * 1000);
    const waitMs = Math.max(backoffMs, (failure.retryAfterSeconds ?? 0) * 1000);
    await this.deps.queue.retryLater(entry.id, attempts, now + waitMs);
    this.deps.metrics.notifications.inc({ sink: entry.sink, outcome: 'failed' });
    this.deps.logger().warn({ event: 'alerts.notification_failed', sink: entry.sink, notification: entry.notification.id, groupKey: entry.notification.groupKey, attempts, retryInMs: waitMs, error: failure.message }, 'alert notification not delivered: retried later');
  }

  #dropped(entry: QueuedNotification, reason: 'queue_full' | 'sink_removed'): void {
    this.deps.metrics.notifications.inc({ sink: entry.sink, outcome: 'dropped' });
    this.deps.logger().error({ event: 'alerts.notification_dropped', sink: entry.sink, notification: entry.notification.id, groupKey: entry.notification.groupKey, attempts: entry.attempts, reason }, 'alert notification dropped');
  }
}
