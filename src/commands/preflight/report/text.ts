/**
 * The text report: findings grouped by severity, gravest first, each with its rule, what, where
 * (config path with its line, entity, URL), why and how to fix; colour only when writing to a TTY.
 */
import { SEVERITIES, type Finding, type Rule, type Severity } from '../check.js';
import type { PreflightReport } from '../runner.js';
import type { Position } from './locate.js';

const COLOURS: Record<Severity, string> = { critical: '\u001b[1;35m', high: '\u001b[1;31m', medium: '\u001b[33m', low: '\u001b[36m', info: '\u001b[2m' };
const RESET = '\u001b[0m';

export function textReport(report: PreflightReport, rules: ReadonlyMap<string, Rule>, locate: (path: string | undefined) => Position | undefined, colour: boolean): string {
  const paint = (severity: Severity, text: string) => (colour ? `${COLOURS[severity]}${text}${RESET}` : text);
  const lines: string[] = [`portcullis preflight ${report.configPath}${report.offline ? ' (offline: no store, Redis or upstream was contacted)' : ''}`];
  for (const severity of SEVERITIES) {
    const group = report.findings.filter((found) => found.severity === severity);
    if (group.length === 0) continue;
    lines.push('', paint(severity, `${severity.toUpperCase()} (${group.length})`));
    for (const found of group) lines.push(...describe(found, rules.get(found.ruleId), report.configPath, locate));
  }
  const counts = SEVERITIES.map((severity) => [severity, report.findings.filter((found) => found.severity === severity).length] as const).filter(([, count]) => count > 0);
  lines.push('', report.findings.length === 0 ? 'No findings.' : `${report.findings.length} finding${report.findings.length === 1 ? '' : 's'}: ${counts.map(([severity, count]) => `${count} ${severity}`).join(', ')}${report.ignored > 0 ? ` (${report.ignored} ignored)` : ''}.`);
  return `${lines.join('\n')}\n`;
}

function describe(found: Finding, rule: Rule | undefined, file: string, locate: (path: string | undefined) => Position | undefined): string[] {
  const position = locate(found.where.path);
  const where = [found.where.path ? `${found.where.path}${position ? ` (${file}:${position.line})` : ''}` : undefined, found.where.entity, found.where.url].filter(Boolean).join(', ');
  return [`  ${found.ruleId}  ${found.message}`, ...(where ? [`      where: ${where}`] : []), ...(rule ? [`      why:   ${rule.why}`, `      fix:   ${rule.fix}`] : [])];
}
