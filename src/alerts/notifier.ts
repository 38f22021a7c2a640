/**
 * Routing and grouping, in the manner of Alertmanager (docs/alerts.md#routing): each alert is
 * routed to sinks (alerts.routes, first match unless `continue`; no match: every sink), and within
 * a sink grouped by the values of `groupBy`. A new group waits `groupWaitSeconds` for company
 * before its first notification; a group whose alerts changed is notified again at most every
 * `groupIntervalSeconds`; an unchanged group still firing every `repeatIntervalSeconds`. An alert
 * that stops firing after it was notified is sent once as resolved; a notification is `resolved`
 * when all its alerts are. The meta-alert alert_sink_failing goes to every sink but the failing one.
 */
import { randomUUID } from 'node:crypto';
import type { AlertsConfig } from '../config/alerts-schema.js';
import { alertKey } from './alert-states.js';
import { alertLabels, matches } from './matchers.js';
import type { AlertInstance, AlertNotification, AlertSeverity } from './notification.js';

interface Group {
  readonly sink: string;
  readonly groupKey: string;
  readonly groupLabels: Readonly<Record<string, string>>;
  /** Firing alerts now, and resolved ones not yet notified as such. */
  readonly alerts: Map<string, AlertInstance>;
  /** Keys notified as firing by the last notification. */
  notified: Set<string>;
  nextAt: number;
  lastSentAt: number | undefined;
  lastDigest: string;
}

const SEVERITY_ORDER: Record<AlertSeverity, number> = { critical: 3, warning: 2, info: 1 };

/** The sinks an alert goes to. */
export function routeAlert(alert: AlertInstance, config: AlertsConfig, sinks: readonly string[]): string[] {
  if (alert.rule === 'alert_sink_failing') return sinks.filter((sink) => sink !== alert.labels.sink);
  const chosen = new Set<string>();
  let matched = false;
  for (const route of config.routes) {
    if (!matches(route.match, alert)) continue;
    matched = true;
    for (const sink of route.sinks) if (sinks.includes(sink)) chosen.add(sink);
    if (!route.continue) break;
  }
  return matched ? [...chosen] : [...sinks];
}

export class Notifier {
  readonly #groups = new Map<string, Group>();

  constructor(private readonly node: string) {}

  /**
   * Takes the alerts to notify now (firing, not silenced, not inhibited), routes and groups them;
   * alerts no longer among them are marked resolved in their groups (`now` is their endsAt unless
   * they carry one).
   */
  update(firing: readonly AlertInstance[], config: AlertsConfig, sinks: readonly string[], now: number): void {
    const current = new Map<string, Set<string>>();
    for (const alert of firing) {
      const key = alertKey(alert.rule, alert.labels);
      for (const sink of routeAlert(alert, config, sinks)) {
        const labels = alertLabels(alert);
        const groupLabels = Object.fromEntries(config.groupBy.map((name) => [name, labels[name] ?? '']));
        const groupKey = `${sink}:${JSON.stringify(groupLabels)}`;
        let group = this.#groups.get(groupKey);
        if (!group) {
          group = { sink, groupKey: alertKey('group', groupLabels), groupLabels, alerts: new Map(), notified: new Set(), nextAt: now + config.groupWaitSeconds * 1000, lastSentAt: undefined, lastDigest: '' };
          this.#groups.set(groupKey, group);
        }
        group.alerts.set(key, alert);
        let keys = current.get(groupKey);
        if (!keys) current.set(groupKey, (keys = new Set()));
        keys.add(key);
      }
    }
    for (const [id, group] of this.#groups) {
      const keys = current.get(id) ?? new Set<string>();
      for (const [key, alert] of group.alerts) {
        if (keys.has(key) || alert.endsAt !== undefined) continue;
        if (group.notified.has(key)) group.alerts.set(key, { ...alert, endsAt: new Date(now) });
        else group.alerts.delete(key);
      }
      if (group.alerts.size === 0 && group.notified.size === 0) this.#groups.delete(id);
    }
  }

  /**
   * Forgets the alerts `which` selects, in every group, without notifying them resolved: another
   * node answers for them now (a store-wide finding after the delivery lease moved).
   */
  forget(which: (alert: AlertInstance) => boolean): void {
    for (const [id, group] of this.#groups) {
      for (const [key, alert] of group.alerts) {
        if (!which(alert)) continue;
        group.alerts.delete(key);
        group.notified.delete(key);
      }
      if (group.alerts.size === 0 && group.notified.size === 0) this.#groups.delete(id);
    }
  }

  /** The notifications due at `now`, per sink, in the order to send them. */
  flush(config: AlertsConfig, now: number): Array<{ sink: string; notification: AlertNotification }> {
    const out: Array<{ sink: string; notification: AlertNotification }> = [];
    for (const [id, group] of this.#groups) {
      if (now < group.nextAt) continue;
      const alerts = [...group.alerts.entries()].sort(([a], [b]) => a.localeCompare(b));
      const firingKeys = alerts.filter(([, alert]) => alert.endsAt === undefined).map(([key]) => key);
      const digest = alerts.map(([key, alert]) => `${key}:${alert.endsAt ? 'resolved' : 'firing'}`).join('\n');
      const changed = digest !== group.lastDigest;
      const repeat = !changed && firingKeys.length > 0 && group.lastSentAt !== undefined && now - group.lastSentAt >= config.repeatIntervalSeconds * 1000;
      if (alerts.length === 0) {
        this.#groups.delete(id);
        continue;
      }
      if (!changed && !repeat) continue;
      const instances = alerts.map(([, alert]) => alert);
      out.push({
        sink: group.sink,
        notification: {
          id: `msg_${randomUUID()}`,
          groupKey: group.groupKey,
          status: firingKeys.length === 0 ? 'resolved' : 'firing',
          groupLabels: group.groupLabels,
          alerts: instances,
          severity: instances.reduce<AlertSeverity>((max, alert) => (SEVERITY_ORDER[alert.severity] > SEVERITY_ORDER[max] ? alert.severity : max), 'info'),
          node: this.node,
          createdAt: new Date(now),
        },
      });
      group.lastSentAt = now;
      group.nextAt = now + config.groupIntervalSeconds * 1000;
      group.notified = new Set(firingKeys);
      for (const [key, alert] of alerts) if (alert.endsAt !== undefined) group.alerts.delete(key);
      group.lastDigest = firingKeys.map((key) => `${key}:firing`).join('\n');
      if (group.alerts.size === 0) this.#groups.delete(id);
    }
    return out;
  }
}
