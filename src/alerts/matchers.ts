/**
 * Label matching shared by routes, silences and inhibition: an alert's matchable labels are its
 * own labels plus `rule` and `severity`; a matcher set matches when every named label has exactly
 * the given value (an empty set matches everything).
 */
import type { AlertInstance } from './notification.js';

export type Matchers = Readonly<Record<string, string>>;

export function alertLabels(alert: AlertInstance): Record<string, string> {
  return { ...alert.labels, rule: alert.rule, severity: alert.severity };
}

export function matches(matchers: Matchers, alert: AlertInstance): boolean {
  const labels = alertLabels(alert);
  return Object.entries(matchers).every(([name, value]) => labels[name] === value);
}

/**
 * Which alerts silence which (Alertmanager's inhibit_rules): while a source alert fires, target
 * alerts with the same values of `equal` are not sent. An upstream that is down makes every route
 * to it fail: one alert says so, not one per route (issue 21 §3).
 */
export const INHIBITIONS: ReadonlyArray<{ readonly source: string; readonly target: string; readonly equal: readonly string[] }> = [
  { source: 'upstream_down', target: 'route_error_ratio', equal: ['upstream'] },
  { source: 'upstream_down', target: 'latency_p99', equal: ['upstream'] },
  { source: 'store_unavailable', target: 'audit_sink_failing', equal: ['node'] },
];

/** The alerts of `firing` that an inhibition hides. */
export function inhibited(firing: readonly AlertInstance[]): Set<AlertInstance> {
  const out = new Set<AlertInstance>();
  for (const rule of INHIBITIONS) {
    const sources = firing.filter((alert) => alert.rule === rule.source);
    if (sources.length === 0) continue;
    for (const alert of firing) {
      if (alert.rule !== rule.target) continue;
      if (sources.some((source) => rule.equal.every((label) => (source.labels[label] ?? '') === (alert.labels[label] ?? '')))) out.add(alert);
    }
  }
  return out;
}
