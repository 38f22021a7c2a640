/**
 * The selftest report in preflight's formats (commands/preflight/report/): text (each probe with
 * expected and observed, failures first, coloured on a TTY), JSON, JUnit XML (one test case per
 * probe result: failure, skipped with its reason, or passed) and SARIF 2.1.0 (one result per
 * failure, located at the attacked URL; levels and security-severity as preflight's).
 */
import { create } from 'xmlbuilder2';
import { SEVERITIES, severityRank, type Severity } from '../preflight/check.js';
import { LEVEL, SARIF_SCHEMA, SECURITY_SEVERITY, sarifRule } from '../preflight/report/sarif.js';
import type { ProbeGroup, ProbeId, ProbeResult, ProbeRule } from './probe.js';
import type { SelftestReport } from './runner.js';

const HELP_URI = 'https://portcullis.dev/docs/selftest';
const COLOURS: Record<Severity, string> = { critical: '\u001b[1;35m', high: '\u001b[1;31m', medium: '\u001b[33m', low: '\u001b[36m', info: '\u001b[2m' };
const RESET = '\u001b[0m';

/** Failures gravest first, then skips, then passes; by probe id within each. */
export function sortResults(results: readonly ProbeResult[]): ProbeResult[] {
  const rank = (result: ProbeResult) => (result.status === 'fail' ? 100 + severityRank(result.severity) : result.status === 'skip' ? 10 : 0);
  return [...results].sort((a, b) => rank(b) - rank(a) || a.probeId.localeCompare(b.probeId));
}

export function summary(report: SelftestReport): string {
  const count = (status: ProbeResult['status']) => report.results.filter((result) => result.status === status).length;
  const failed = report.results.filter((result) => result.status === 'fail');
  const bySeverity = SEVERITIES.map((severity) => [severity, failed.filter((result) => result.severity === severity).length] as const).filter(([, n]) => n > 0);
  return `${count('pass')} passed, ${count('fail')} failed${bySeverity.length > 0 ? ` (${bySeverity.map(([severity, n]) => `${n} ${severity}`).join(', ')})` : ''}, ${count('skip')} skipped; ${report.requests} requests in ${report.elapsedMs} ms.`;
}

export function textReport(report: SelftestReport, colour: boolean): string {
  const paint = (severity: Severity, text: string) => (colour ? `${COLOURS[severity]}${text}${RESET}` : text);
  const lines = [`portcullis selftest ${report.target}`, ''];
  for (const result of sortResults(report.results)) {
    const label = result.status === 'fail' ? paint(result.severity, `FAIL ${result.severity}`) : result.status.toUpperCase();
    lines.push(`${label}  ${result.probeId}  ${result.where}`);
    if (result.status !== 'pass') lines.push(`      expected: ${result.expected}`);
    lines.push(`      observed: ${result.observed}`);
  }
  lines.push('', summary(report));
  return `${lines.join('\n')}\n`;
}

export function jsonReport(report: SelftestReport, rules: ReadonlyMap<string, ProbeRule>, failOn: Severity): string {
  const ids = [...new Set(report.results.map((result) => result.probeId))];
  return `${JSON.stringify({ ...report, results: sortResults(report.results), failOn, probes: Object.fromEntries(ids.map((id) => [id, rules.get(id)])) }, null, 2)}\n`;
}

export function junitReport(report: SelftestReport, groups: ReadonlyArray<Pick<ProbeGroup, 'name' | 'rules'>>, rules: ReadonlyMap<string, ProbeRule>): string {
  const root = create({ version: '1.0', encoding: 'UTF-8' }).ele('testsuites', { name: 'portcullis selftest', tests: report.results.length, failures: report.results.filter((r) => r.status === 'fail').length });
  const claimed = new Set<string>(groups.flatMap((group) => group.rules.map((rule) => rule.id)));
  const suites = [...groups.map((group) => ({ name: group.name, ids: new Set(group.rules.map((rule) => rule.id)) })), { name: 'general', ids: new Set([...rules.keys()].filter((id) => !claimed.has(id as ProbeId))) }];
  for (const suite of suites) {
    const mine = report.results.filter((result) => suite.ids.has(result.probeId));
    if (mine.length === 0) continue;
    const element = root.ele('testsuite', { name: `selftest.${suite.name}`, tests: mine.length, failures: mine.filter((r) => r.status === 'fail').length, errors: 0, skipped: mine.filter((r) => r.status === 'skip').length });
    for (const result of mine) {
      const testcase = element.ele('testcase', { classname: `selftest.${suite.name}`, name: `${result.probeId} ${result.where}` });
      if (result.status === 'skip') testcase.ele('skipped', { message: result.observed });
      if (result.status === 'fail') testcase.ele('failure', { message: result.observed, type: result.severity }).txt(`expected: ${result.expected}\nobserved: ${result.observed}\nwhy: ${rules.get(result.probeId)?.why ?? '-'}`);
    }
  }
  return `${root.end({ prettyPrint: true })}\n`;
}

export function sarifReport(report: SelftestReport, rules: ReadonlyMap<string, ProbeRule>, version: string): string {
  const ids = [...rules.keys()];
  const sarif = {
    $schema: SARIF_SCHEMA,
    version: '2.1.0',
    runs: [
      {
        tool: {
          driver: {
            name: 'portcullis selftest',
            version,
            informationUri: HELP_URI,
            rules: [...rules.values()].map((rule) => sarifRule(rule, HELP_URI, `${rule.title}. Expected: ${rule.expected}. Why: ${rule.why}.`)),
          },
        },
        results: report.results
          .filter((result) => result.status === 'fail')
          .map((result) => ({
            ruleId: result.probeId,
            ruleIndex: ids.indexOf(result.probeId),
            level: LEVEL[result.severity],
            message: { text: `${result.where}: expected ${result.expected}; observed ${result.observed}` },
            locations: [{ physicalLocation: { artifactLocation: { uri: report.target } }, logicalLocations: [{ fullyQualifiedName: result.where }] }],
            properties: { severity: result.severity, 'security-severity': SECURITY_SEVERITY[result.severity] },
          })),
      },
    ],
  };
  return `${JSON.stringify(sarif, null, 2)}\n`;
}
