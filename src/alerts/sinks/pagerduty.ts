/**
 * The PagerDuty sink: PagerDuty Events API v2
 * (https://developer.pagerduty.com/docs/events-api-v2/trigger-events/). A firing notification is
 * a `trigger` event, a resolved one a `resolve` event; both carry the same `dedup_key`, derived
 * from the group's `groupKey`, so every notification of one group (firing, re-sent at the repeat
 * interval, resolved) lands on one PagerDuty incident, and a retry of a trigger does not open a
 * second one. The integration's `routing_key` is taken by reference only and never appears in an
 * error (http-delivery.ts). PagerDuty answers 202; 400 is a malformed event, 429 a throttle.
 */
import { createHash } from 'node:crypto';
import { systemClock, type Clock } from '../../core/clock.js';
import type { Outbound } from '../../outbound/index.js';
import type { AlertNotification, AlertSeverity, AlertSink } from '../notification.js';
import { checkUrlAtStart, postJson, revealFor, type SecretSource } from './http-delivery.js';
import { clip, labelText, ruleOf, runbookOf, sampleRequestIdsOf, sinceOf, titleOf, withoutRule } from './render.js';

/** The public Events API v2 endpoint. */
export const PAGERDUTY_EVENTS_URL = 'https://events.pagerduty.com/v2/enqueue';

export interface PagerDutySinkOptions {
  readonly name: string;
  /** The integration key (a SecretValue), read at each send. */
  readonly routingKey: SecretSource;
  /** The Events API v2 endpoint (default PAGERDUTY_EVENTS_URL): tests point it at a local receiver. */
  readonly url?: string | undefined;
  readonly outbound: Outbound;
  readonly timeoutMs?: number | undefined;
  readonly clock?: Clock | undefined;
}

/** PagerDuty's severities are critical, error, warning, info; ours map one to one onto three of them. */
const SEVERITY: Record<AlertSeverity, 'critical' | 'warning' | 'info'> = { critical: 'critical', warning: 'warning', info: 'info' };

/** An Events API v2 event (the fields this sink sets). */
export interface PagerDutyEvent {
  readonly routing_key: string;
  readonly event_action: 'trigger' | 'resolve';
  readonly dedup_key: string;
  readonly payload?: {
    readonly summary: string;
    readonly source: string;
    readonly severity: 'critical' | 'warning' | 'info';
    readonly timestamp: string;
    readonly component?: string;
    readonly group: string;
    readonly class: string;
    readonly custom_details: Record<string, unknown>;
  };
  readonly links?: ReadonlyArray<{ readonly href: string; readonly text: string }>;
  readonly client: string;
}

/**
 * The dedup_key of a group: `portcullis-` + the first 32 hex digits of SHA-256(groupKey). Stable
 * for the group's life, at most 255 characters whatever the labels (the API's limit), and it does
 * not spell out the labels in a field that PagerDuty shows and indexes.
 */
export function pagerDutyDedupKey(groupKey: string): string {
  return `portcullis-${createHash('sha256').update(groupKey).digest('hex').slice(0, 32)}`;
}

/** The event for `notification` (pure: the documented sample in docs/alerts.md is this function's output). */
export function pagerDutyEvent(notification: AlertNotification, routingKey: string): PagerDutyEvent {
  const dedupKey = pagerDutyDedupKey(notification.groupKey);
  if (notification.status === 'resolved') return { routing_key: routingKey, event_action: 'resolve', dedup_key: dedupKey, client: 'Portcullis' };
  const labels = withoutRule(notification.groupLabels);
  const component = labels.route ?? labels.upstream ?? labels.consumer;
  const runbook = runbookOf(notification);
  return {
    routing_key: routingKey,
    event_action: 'trigger',
    dedup_key: dedupKey,
    payload: {
      // summary: at most 1024 characters (Events API v2).
      summary: clip(titleOf(notification), 1024),
      source: notification.node,
      severity: SEVERITY[notification.severity],
      timestamp: sinceOf(notification).toISOString(),
      ...(component === undefined ? {} : { component }),
      group: labelText(labels) || ruleOf(notification),
      class: ruleOf(notification),
      custom_details: {
        notification_id: notification.id,
        group_labels: notification.groupLabels,
        sample_request_ids: sampleRequestIdsOf(notification),
        alerts: notification.alerts.slice(0, 20).map((alert) => ({
          rule: alert.rule,
          severity: alert.severity,
          summary: alert.summary,
          description: alert.description,
          labels: alert.labels,
          starts_at: alert.startsAt.toISOString(),
          ...(alert.value === undefined ? {} : { value: alert.value }),
        })),
        ...(notification.alerts.length > 20 ? { more_alerts: notification.alerts.length - 20 } : {}),
      },
    },
    ...(runbook !== undefined && /^https?:\/\//.test(runbook) ? { links: [{ href: runbook, text: 'Runbook' }] } : {}),
    client: 'Portcullis',
  };
}

/** Makes a PagerDuty sink. Throws when `url` is not https (http to loopback only). */
export function createPagerDutySink(options: PagerDutySinkOptions): AlertSink {
  const label = `pagerduty sink "${options.name}"`;
  const url = options.url ?? PAGERDUTY_EVENTS_URL;
  checkUrlAtStart(label, { reveal: () => url });
  const target = { label, egressSource: `alerts.sinks.${options.name}`, outbound: options.outbound, timeoutMs: options.timeoutMs ?? 10000, clock: options.clock ?? systemClock };
  return {
    name: options.name,
    type: 'pagerduty',
    async send(notification: AlertNotification, signal: AbortSignal): Promise<void> {
      const event = pagerDutyEvent(notification, revealFor(label, 'routing key', options.routingKey));
      await postJson(target, url, JSON.stringify(event), signal);
    },
  };
}
