/**
 * `portcullis alerts export --format prometheus-rules` (docs/alerts.md#prometheus-rules): the
 * built-in rules that read the gateway's /metrics series, written as Prometheus alerting rules
 * (a rule file: `groups[].rules[]` with `alert`, `expr`, `for`, `labels`, `annotations`), with the
 * config's overrides applied (alerts/effective-rule.ts). Rules over what /metrics does not carry
 * (log events, the live state of upstream targets, per-consumer counts kept in memory) are listed
 * as comments saying why, as are rules the config turns off.
 *
 * The expressions aggregate across instances by the rule's own labels (the gateway's engine
 * evaluates each node's own metrics and adds `node`); windows and thresholds are the rule's.
 */
import { stringify } from 'yaml';
import { ALERT_RULES, ALERT_RULE_NAMES, type AlertRuleName } from '../core/alert-rules.js';
import type { AlertsConfig } from '../config/alerts-schema.js';
import type { EffectiveRule } from './alert-states.js';
import { effectiveRule } from './effective-rule.js';

/** One Prometheus alerting rule (https://prometheus.io/docs/prometheus/latest/configuration/alerting_rules/). */
export interface PrometheusAlertingRule {
  alert: string;
  expr: string;
  for: string;
  labels: Record<string, string>;
  annotations: { summary: string; description: string; runbook_url: string };
}

type Expression = { expr: string; summary: string; severity?: EffectiveRule['severity']; forSeconds?: number };
type Exporter = (rule: EffectiveRule, config: AlertsConfig) => Expression[];

const REQUESTS = 'portcullis_requests_total';
const ROUTED = 'route!="(none)"';

/** `sum by (labels) (increase(metric{selector}[window]))` */
const increase = (metric: string, by: string, seconds: number, selector = '') => `sum by (${by}) (increase(${metric}${selector ? `{${selector}}` : ''}[${seconds}s]))`;

/** `>= t` of a count; a threshold of 0 still needs one occurrence (as the engine's `value > 0`). */
const atLeast = (threshold: number) => (threshold > 0 ? `>= ${threshold}` : '> 0');

function errorRatio(seconds: number, ratio: number, minRequests: number): string {
  const all = increase(REQUESTS, 'route', seconds, ROUTED);
  return `(${increase(REQUESTS, 'route', seconds, `${ROUTED},status="5xx"`)} / ${all} >= ${ratio} and ${all} >= ${minRequests})`;
}

/** The rules that read /metrics, by name. */
const EXPORTERS: Partial<Record<AlertRuleName, Exporter>> = {
  route_error_ratio: ({ thresholds: t }) => [
    {
      expr: `${errorRatio(t.fastWindowSeconds!, t.fastRatio!, t.minRequests!)} or ${errorRatio(t.slowWindowSeconds!, t.slowRatio!, t.minRequests!)}`,
      summary: '5xx ratio {{ $value | humanizePercentage }} on route {{ $labels.route }}',
    },
  ],
  latency_p99: ({ thresholds: t }) => [
    {
      expr: `histogram_quantile(0.99, ${increase('portcullis_request_duration_seconds_bucket', 'route, le', t.windowSeconds!, ROUTED)}) > ${t.p99Seconds} and on (route) ${increase('portcullis_request_duration_seconds_count', 'route', t.windowSeconds!, ROUTED)} >= ${t.minRequests}`,
      summary: 'p99 latency {{ $value | humanizeDuration }} on route {{ $labels.route }}',
    },
  ],
  validation_failure_spike: ({ thresholds: t }) => [
    { expr: `${increase('portcullis_validation_failures_total', 'route', t.windowSeconds!)} ${atLeast(t.failures!)}`, summary: '{{ $value }} requests refused by the contract on route {{ $labels.route }}' },
  ],
  egress_denied: ({ thresholds: t }) => [
    { expr: `${increase('portcullis_egress_denied_total', 'upstream, reason', t.windowSeconds!)} ${atLeast(t.denials!)}`, summary: '{{ $value }} outbound connections refused by the egress rules ({{ $labels.reason }})' },
  ],
  // Tiered like the engine: the tightest tier a certificate is in gives the alert's severity.
  certificate_expiry: ({ thresholds: t }) => {
    const left = (days: number) => `portcullis_certificate_expiry_seconds <= ${days * 86400}`;
    return [
      { expr: left(t.criticalDays!), severity: 'critical', summary: '{{ $labels.kind }} certificate {{ $labels.name }} expires within ' + `${t.criticalDays} days (or has expired)` },
      { expr: `${left(t.warningDays!)} > ${t.criticalDays! * 86400}`, severity: 'warning', summary: '{{ $labels.kind }} certificate {{ $labels.name }} expires within ' + `${t.warningDays} days` },
      { expr: `${left(t.infoDays!)} > ${t.warningDays! * 86400}`, severity: 'info', summary: '{{ $labels.kind }} certificate {{ $labels.name }} expires within ' + `${t.infoDays} days` },
    ];
  },
  store_unavailable: () => [{ expr: 'portcullis_dependency_up{dependency="store"} == 0', summary: 'the store does not answer' }],
  redis_unavailable: () => [{ expr: 'portcullis_dependency_up{dependency="redis"} == 0', summary: 'Redis for rate limits does not answer: the fallback is in use' }],
  jwks_stale: () => [
    {
      expr: 'label_replace(portcullis_dependency_up{dependency=~"issuer:.+"}, "issuer", "$1", "dependency", "issuer:(.+)") == 0',
      summary: 'the keys of issuer {{ $labels.issuer }} cannot be refreshed',
    },
  ],
  audit_sink_failing: () => [{ expr: 'portcullis_audit_sink_up == 0', summary: 'audit sink {{ $labels.sink }} does not take records' }],
  // The engine raises it once a sink has failed for delivery.sinkFailingAfterSeconds.
  alert_sink_failing: (rule, config) => [
    { expr: 'portcullis_alert_sink_up == 0', summary: 'alert sink {{ $labels.sink }} fails every delivery', forSeconds: Math.max(rule.forSeconds, config.delivery.sinkFailingAfterSeconds) },
  ],
};

/** Why a rule has no Prometheus equivalent (the rules not in EXPORTERS). */
export const NOT_EXPORTED: Partial<Record<AlertRuleName, string>> = {
  upstream_down: 'reads the live state of each upstream target (consecutive failures); /metrics counts cool-downs (portcullis_upstream_target_cooldowns_total) but not whether every target is down now',
  rate_limit_saturation: 'reads each consumer\'s share of its limits, reported by the ratelimit policy and kept in memory; /metrics has no per-consumer series (portcullis_ratelimit_refused_total counts refusals by route and limit only)',
  auth_failure_spike: 'compares each consumer and client IP with its own baseline, counted in memory; /metrics has no per-consumer or per-IP series (unbounded cardinality)',
  admin_login_failures: 'counts log events (admin.login_failed, admin.auth_failed, admin.sso_failed), not a /metrics series',
  brute_force_blocks: 'counts log events (auth.client_blocked, admin.login_locked), not a /metrics series',
  credential_expiry: 'follows log events of upstream credentials (credentials.expiring, credentials.expired, quarantine, revocation) until released',
  key_age: 'reads the in-memory API key index and counts log events (credentials.refresh_failed), not a /metrics series',
  crl_stale: 'follows log events (crl.refresh_failed, crl.stale past nextUpdate) until a CRL loads again',
  config_reload_rejected: 'follows log events (config.reload_rejected until the next config.reloaded)',
  background_task_failed: 'counts the *_failed log events of background tasks (docs/alerts.md#events-and-rules)',
};

const duration = (seconds: number) => `${seconds}s`;

/** The rules file as YAML, with the rules not exported listed in comments at its top. */
export function prometheusRules(config: AlertsConfig): string {
  const rules: PrometheusAlertingRule[] = [];
  const skipped: string[] = [];
  for (const name of ALERT_RULE_NAMES) {
    const rule = effectiveRule(config, name);
    const exporter = EXPORTERS[name];
    if (!rule.enabled) {
      skipped.push(`${name}: turned off in the config (alerts.rules.${name}.enabled: false)`);
      continue;
    }
    if (!exporter) {
      skipped.push(`${name}: ${NOT_EXPORTED[name] ?? 'has no Prometheus equivalent'}`);
      continue;
    }
    for (const expression of exporter(rule, config)) {
      rules.push({
        alert: name,
        expr: expression.expr,
        for: duration(expression.forSeconds ?? rule.forSeconds),
        labels: { severity: expression.severity ?? rule.severity, rule: name },
        annotations: { summary: expression.summary, description: `${ALERT_RULES[name].watches} (Portcullis built-in rule ${name})`, runbook_url: rule.runbookUrl },
      });
    }
  }
  const header = [
    '# Prometheus alerting rules equivalent to the Portcullis built-in alert rules over /metrics,',
    '# written by `portcullis alerts export --format prometheus-rules` with the config\'s overrides.',
    '# Not exported (evaluated only by the gateway itself):',
    ...skipped.map((line) => `#   ${line}`),
  ];
  return `${header.join('\n')}\n${stringify({ groups: [{ name: 'portcullis', interval: duration(config.evaluationIntervalSeconds), rules }] }, { lineWidth: 0 })}`;
}
