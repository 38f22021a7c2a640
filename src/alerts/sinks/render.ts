/**
 * The words every alert sink uses for one notification, so Slack, Teams, PagerDuty and e-mail say
 * the same thing: a title, the severity, what fired (the rule), where (its labels), since when,
 * a few sample request ids and the runbook link. Each sink only lays these out in its own format.
 */
import type { AlertInstance, AlertNotification } from '../notification.js';

/** At most this many alerts of a group are written out; the rest are counted ("and 12 more"). */
export const MAX_LISTED_ALERTS = 10;
/** At most this many sample request ids per message. */
export const MAX_SAMPLE_REQUEST_IDS = 5;

/** `route=payments, upstream=core` (labels in key order, so the same group always reads the same). */
export function labelText(labels: Readonly<Record<string, string>>): string {
  return Object.keys(labels)
    .sort()
    .map((key) => `${key}=${labels[key]}`)
    .join(', ');
}

/** The group's rule, when all its alerts share one (they usually do: groups form by rule). */
export function ruleOf(notification: AlertNotification): string {
  const rules = [...new Set(notification.alerts.map((alert) => alert.rule))];
  return notification.groupLabels.rule ?? (rules.length === 1 ? rules[0]! : rules.join(', '));
}

/**
 * One line: `[FIRING] 5xx ratio 23 % on route payments (threshold 5 %)` for one alert,
 * `[FIRING] route_error_ratio: 3 alerts (upstream=core)` for a group, `[RESOLVED] …` once resolved.
 */
export function titleOf(notification: AlertNotification): string {
  const status = notification.status === 'firing' ? 'FIRING' : 'RESOLVED';
  if (notification.alerts.length === 1) return `[${status}] ${notification.alerts[0]!.summary}`;
  const where = labelText(withoutRule(notification.groupLabels));
  return `[${status}] ${ruleOf(notification)}: ${notification.alerts.length} alerts${where === '' ? '' : ` (${where})`}`;
}

/** The group labels other than `rule` (which the title already names). */
export function withoutRule(labels: Readonly<Record<string, string>>): Record<string, string> {
  const { rule: _rule, ...rest } = labels;
  return rest;
}

/** The earliest start among the alerts: "since when" of the group. */
export function sinceOf(notification: AlertNotification): Date {
  return new Date(Math.min(...notification.alerts.map((alert) => alert.startsAt.getTime()), notification.createdAt.getTime()));
}

/** The latest end, for a resolved group. */
export function resolvedAtOf(notification: AlertNotification): Date | undefined {
  const ends = notification.alerts.flatMap((alert) => (alert.endsAt ? [alert.endsAt.getTime()] : []));
  return ends.length === 0 ? undefined : new Date(Math.max(...ends));
}

/** Up to MAX_SAMPLE_REQUEST_IDS distinct request ids, in the order the alerts give them. */
export function sampleRequestIdsOf(notification: AlertNotification): string[] {
  return [...new Set(notification.alerts.flatMap((alert) => alert.sampleRequestIds))].slice(0, MAX_SAMPLE_REQUEST_IDS);
}

/** The runbook of the group: the first alert's (the alerts of one rule share it). */
export function runbookOf(notification: AlertNotification): string | undefined {
  return notification.alerts.find((alert) => alert.runbookUrl !== undefined)?.runbookUrl;
}

/** The alerts written out, and how many more there are. */
export function listedAlerts(notification: AlertNotification): { listed: readonly AlertInstance[]; more: number } {
  return { listed: notification.alerts.slice(0, MAX_LISTED_ALERTS), more: Math.max(0, notification.alerts.length - MAX_LISTED_ALERTS) };
}

/** Cuts `text` to `max` characters (a receiver's field limit), marking the cut with an ellipsis. */
export function clip(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, max - 1)}…`;
}
