import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { parse, stringify } from 'yaml';
import { ALERT_RULE_NAMES, ALERT_RULES, type AlertRuleName } from '../src/core/alert-rules.js';
import { runCli } from './helpers/cli.js';

interface RuleFile {
  groups: Array<{ name: string; interval: string; rules: Array<{ alert: string; expr: string; for: string; labels: Record<string, string>; annotations: Record<string, string> }> }>;
}

const DOCS = readFileSync(new URL('../../docs/observability.md', import.meta.url), 'utf8');
/** The series docs/observability.md lists (its metrics tables), with each histogram's _bucket, _count and _sum. */
const DOCUMENTED = new Set(
  [...DOCS.matchAll(/^\| `(portcullis_[a-z0-9_]+)` \| (\w+) \|/gm)].flatMap(([, name, type]) => (type === 'histogram' ? [name!, `${name}_bucket`, `${name}_count`, `${name}_sum`] : [name!])),
);

/** promtool (Debian's prometheus package): the rule file is checked by Prometheus' own parser and rule-unit tests. */
function promtool(args: string[]): { status: number | null; output: string } | undefined {
  const run = spawnSync('promtool', args, { encoding: 'utf8', timeout: 60_000 });
  if ((run.error as NodeJS.ErrnoException | undefined)?.code === 'ENOENT') {
    if (process.env.CI === 'true') assert.fail('promtool is not installed (apt-get install prometheus; .ci/run installs it)');
    return undefined;
  }
  return { status: run.status, output: `${run.stdout}${run.stderr}` };
}

test('alerts export --format prometheus-rules: every rule over /metrics as a Prometheus rule with the config\'s for, severity and thresholds, the others as comments saying why; promtool accepts it and its rules fire', (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'portcullis-prom-rules-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const config = join(dir, 'gateway.yaml');
  writeFileSync(
    config,
    stringify({
      listeners: [{ name: 'public', port: 0 }],
      upstreams: { core: { targets: ['http://127.0.0.1:9'] } },
      routes: [{ name: 'payments', methods: ['GET'], path: '/v1/payments', upstream: 'core', public: true, publicReason: 'test' }],
      alerts: {
        evaluationIntervalSeconds: 30,
        rules: {
          route_error_ratio: { forSeconds: 120, severity: 'warning', runbookUrl: 'https://runbooks.example.com/errors', thresholds: { fastRatio: 0.2, minRequests: 10 } },
          validation_failure_spike: { thresholds: { failures: 5, windowSeconds: 60 } },
          egress_denied: { enabled: false },
          store_unavailable: { forSeconds: 45 },
        },
      },
    }),
  );
  const run = runCli(['alerts', 'export', '--format', 'prometheus-rules', '--config', config]);
  assert.equal(run.status, 0, run.stderr);
  const file = parse(run.stdout) as RuleFile;
  assert.equal(file.groups.length, 1);
  assert.equal(file.groups[0]!.interval, '30s');
  const rules = file.groups[0]!.rules;

  // Every rule is exported, or named in a comment that says why.
  const comments = new Map([...run.stdout.matchAll(/^# {3}([a-z_]+): (.+)$/gm)].map(([, name, why]) => [name!, why!]));
  for (const name of ALERT_RULE_NAMES) {
    const exported = rules.some((rule) => rule.alert === name);
    assert.ok(exported !== comments.has(name), `${name}: exported or commented, exactly one`);
    if (!exported) assert.ok(comments.get(name)!.length > 20, `${name}: says why`);
  }
  assert.match(comments.get('egress_denied')!, /turned off in the config/);
  assert.match(comments.get('upstream_down')!, /live state/);
  assert.ok(rules.length >= 10, `${rules.length} rules`);

  // Every series an expression reads is one the gateway exports (docs/observability.md).
  for (const rule of rules) {
    const metrics = rule.expr.match(/\bportcullis_[a-z0-9_]+/g) ?? [];
    assert.ok(metrics.length > 0, rule.expr);
    for (const metric of metrics) assert.ok(DOCUMENTED.has(metric), `${rule.alert}: ${metric} is not in docs/observability.md`);
  }

  // for, severity and runbook from the config's overrides, else the rule's defaults.
  const one = (name: AlertRuleName) => rules.find((rule) => rule.alert === name)!;
  assert.equal(one('route_error_ratio').for, '120s');
  assert.equal(one('route_error_ratio').labels.severity, 'warning');
  assert.equal(one('route_error_ratio').annotations.runbook_url, 'https://runbooks.example.com/errors');
  assert.match(one('route_error_ratio').expr, /\[300s\]\)\) >= 0\.2 and .* >= 10\) or /);
  assert.match(one('validation_failure_spike').expr, /\[60s\]\)\) >= 5$/);
  assert.equal(one('store_unavailable').for, '45s');
  assert.equal(one('latency_p99').for, `${ALERT_RULES.latency_p99.forSeconds}s`);
  assert.equal(one('latency_p99').labels.severity, ALERT_RULES.latency_p99.severity);
  assert.equal(one('alert_sink_failing').for, '900s', 'the meta-alert waits alerts.delivery.sinkFailingAfterSeconds');
  assert.deepEqual(rules.filter((rule) => rule.alert === 'certificate_expiry').map((rule) => rule.labels.severity), ['critical', 'warning', 'info']);
  for (const rule of rules) assert.equal(rule.labels.rule, rule.alert);

  const rulesFile = join(dir, 'rules.yml');
  writeFileSync(rulesFile, run.stdout);
  const checked = promtool(['check', 'rules', rulesFile]);
  if (!checked) return t.diagnostic('promtool not installed: the rule file was not checked by Prometheus');
  assert.equal(checked.status, 0, checked.output);

  // Prometheus' rule unit tests: the exported expressions fire on series shaped like the gateway's.
  const unit = join(dir, 'unit.yml');
  writeFileSync(
    unit,
    stringify({
      rule_files: [rulesFile],
      evaluation_interval: '30s',
      tests: [
        {
          interval: '30s',
          input_series: [
            // 30 requests per 30 s, a third of them 5xx: over the fast burn's 20 % for its 120 s.
            { series: 'portcullis_requests_total{route="payments",status="2xx"}', values: '0+20x20' },
            { series: 'portcullis_requests_total{route="payments",status="5xx"}', values: '0+10x20' },
            { series: 'portcullis_validation_failures_total{route="payments"}', values: '0 0 10 10' },
            { series: 'portcullis_dependency_up{dependency="store"}', values: '1 0 0 0 0' },
            { series: 'portcullis_certificate_expiry_seconds{kind="listener",name="public",subject="CN=a",serial="01"}', values: '500000' },
          ],
          alert_rule_test: [
            {
              eval_time: '6m',
              alertname: 'route_error_ratio',
              exp_alerts: [{ exp_labels: { severity: 'warning', rule: 'route_error_ratio', route: 'payments' }, exp_annotations: { summary: '5xx ratio 33.33% on route payments', description: one('route_error_ratio').annotations.description!, runbook_url: 'https://runbooks.example.com/errors' } }],
            },
            { eval_time: '1m', alertname: 'validation_failure_spike', exp_alerts: [{ exp_labels: { severity: 'warning', rule: 'validation_failure_spike', route: 'payments' }, exp_annotations: { summary: '10 requests refused by the contract on route payments', description: one('validation_failure_spike').annotations.description!, runbook_url: one('validation_failure_spike').annotations.runbook_url! } }] },
            { eval_time: '30s', alertname: 'store_unavailable', exp_alerts: [] },
            { eval_time: '2m', alertname: 'store_unavailable', exp_alerts: [{ exp_labels: { severity: 'critical', rule: 'store_unavailable', dependency: 'store' }, exp_annotations: one('store_unavailable').annotations }] },
            {
              eval_time: '0m',
              alertname: 'certificate_expiry',
              exp_alerts: [{ exp_labels: { severity: 'warning', rule: 'certificate_expiry', kind: 'listener', name: 'public', subject: 'CN=a', serial: '01' }, exp_annotations: { ...rules.find((rule) => rule.alert === 'certificate_expiry' && rule.labels.severity === 'warning')!.annotations, summary: 'listener certificate public expires within 7 days' } }],
            },
          ],
        },
      ],
    }),
  );
  const tested = promtool(['test', 'rules', unit])!;
  assert.equal(tested.status, 0, tested.output);
});
