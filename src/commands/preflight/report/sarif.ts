/**
 * The SARIF 2.1.0 report (OASIS SARIF v2.1.0, for code-scanning UIs): one run, every rule of
 * preflight in `tool.driver.rules` with its help, and one result per finding located in the
 * config file (its line when the path is written there) and by its config path as a logical
 * location. Levels: critical and high are `error`, medium `warning`, low and info `note`; the
 * `security-severity` property is the number code-scanning UIs rank by.
 */
import { relative } from 'node:path';
import type { Finding, Rule, Severity } from '../check.js';
import type { PreflightReport } from '../runner.js';
import type { Position } from './locate.js';

export const SARIF_SCHEMA = 'https://json.schemastore.org/sarif-2.1.0.json';
const HELP_URI = 'https://portcullis.dev/docs/preflight';
export const LEVEL: Record<Severity, 'error' | 'warning' | 'note'> = { critical: 'error', high: 'error', medium: 'warning', low: 'note', info: 'note' };
export const SECURITY_SEVERITY: Record<Severity, string> = { critical: '9.5', high: '8.0', medium: '5.5', low: '3.0', info: '0.0' };

export function sarifReport(report: PreflightReport, rules: ReadonlyMap<string, Rule>, locate: (path: string | undefined) => Position | undefined, version: string, cwd = process.cwd()): object {
  const ids = [...rules.keys()];
  const uri = relative(cwd, report.configPath).split('\\').join('/');
  return {
    $schema: SARIF_SCHEMA,
    version: '2.1.0',
    runs: [
      {
        tool: {
          driver: {
            name: 'portcullis preflight',
            version,
            informationUri: HELP_URI,
            rules: [...rules.values()].map((rule) => ({ ...sarifRule(rule, HELP_URI, `${rule.title}. Why: ${rule.why}.`), help: { text: rule.fix } })),
          },
        },
        results: report.findings.map((found) => result(found, ids, uri, locate)),
      },
    ],
  };
}

/** A `reportingDescriptor` (SARIF 2.1.0 §3.49) for a rule or probe: id, descriptions, level, security-severity. */
export function sarifRule(rule: { readonly id: string; readonly title: string; readonly severity: Severity }, helpUri: string, fullDescription: string): Record<string, unknown> {
  return {
    id: rule.id,
    name: rule.id.replace(/-/g, ''),
    shortDescription: { text: rule.title },
    fullDescription: { text: fullDescription },
    helpUri: `${helpUri}#${rule.id.toLowerCase()}`,
    defaultConfiguration: { level: LEVEL[rule.severity] },
    properties: { 'security-severity': SECURITY_SEVERITY[rule.severity], precision: 'high', tags: ['security', rule.severity] },
  };
}

function result(found: Finding, ids: string[], uri: string, locate: (path: string | undefined) => Position | undefined): object {
  const position = locate(found.where.path);
  const logical = [found.where.path, found.where.entity, found.where.url].filter((name): name is string => name !== undefined).map((name) => ({ fullyQualifiedName: name }));
  return {
    ruleId: found.ruleId,
    ...(ids.includes(found.ruleId) ? { ruleIndex: ids.indexOf(found.ruleId) } : {}),
    level: LEVEL[found.severity],
    message: { text: found.message },
    locations: [{ physicalLocation: { artifactLocation: { uri }, region: { startLine: position?.line ?? 1, ...(position ? { startColumn: position.column } : {}) } }, ...(logical.length > 0 ? { logicalLocations: logical } : {}) }],
    properties: { severity: found.severity, 'security-severity': SECURITY_SEVERITY[found.severity] },
  };
}
