/**
 * The JSON body of a notification as the webhook sink sends it (docs/alerts.md#webhook): a Standard
 * Webhooks envelope `{ type, timestamp, data }` whose `data` follows Alertmanager's webhook payload
 * (version "4": status, groupKey, groupLabels, commonLabels, alerts[] with labels, annotations,
 * startsAt, endsAt), so receivers written for Alertmanager read it with few changes. Times are
 * RFC 3339; an alert still firing has no `endsAt`.
 */
import type { AlertInstance, AlertNotification } from './notification.js';

function alertJson(alert: AlertInstance): Record<string, unknown> {
  return {
    status: alert.endsAt === undefined ? 'firing' : 'resolved',
    labels: { alertname: alert.rule, severity: alert.severity, ...alert.labels },
    annotations: { summary: alert.summary, description: alert.description, ...(alert.runbookUrl ? { runbook_url: alert.runbookUrl } : {}) },
    startsAt: alert.startsAt.toISOString(),
    ...(alert.endsAt ? { endsAt: alert.endsAt.toISOString() } : {}),
    ...(alert.value === undefined ? {} : { value: alert.value }),
    sampleRequestIds: alert.sampleRequestIds,
  };
}

/** The labels every alert of the notification shares (Alertmanager's commonLabels). */
function commonLabels(notification: AlertNotification): Record<string, string> {
  const all = notification.alerts.map((alert) => ({ alertname: alert.rule, severity: alert.severity, ...alert.labels }) as Record<string, string>);
  const first = all[0] ?? {};
  return Object.fromEntries(Object.entries(first).filter(([key, value]) => all.every((labels) => labels[key] === value)));
}

/** The body, as sent and as signed. */
export function notificationJson(notification: AlertNotification): string {
  return JSON.stringify({
    type: notification.status === 'firing' ? 'alert.firing' : 'alert.resolved',
    timestamp: notification.createdAt.toISOString(),
    data: {
      version: '4',
      id: notification.id,
      status: notification.status,
      groupKey: notification.groupKey,
      groupLabels: notification.groupLabels,
      commonLabels: commonLabels(notification),
      severity: notification.severity,
      node: notification.node,
      alerts: notification.alerts.map(alertJson),
    },
  });
}
