/**
 * The reports of `portcullis assess`: text (the terminal), md (a vendor review: a table per
 * severity with why and how to fix), sarif (SARIF 2.1.0, like preflight's) and json (the
 * assessment itself, which is also what `--baseline` reads).
 */
import { SEVERITIES, type AssessFinding, type AssessRule, type Severity } from '../../assess/finding.js';
import type { Assessment } from '../../assess/run-assessment.js';
import type { BaselineDiff } from './baseline.js';

const HELP_URI = 'https://portcullis.dev/docs/assess';
const LEVEL: Record<Severity, 'error' | 'warning' | 'note'> = { critical: 'error', high: 'error', medium: 'warning', low: 'note', info: 'note' };

/** What the diff is against: `the baseline` (--baseline) or `the previous stored run (<time>)` (assess --config). */
export const SINCE_BASELINE = 'the baseline';

function changes(diff: BaselineDiff | undefined, since: string): string[] {
  if (!diff) return [];
  const word = diff.change < 0 ? 'worse' : diff.change > 0 ? 'better' : 'unchanged';
  return ['', `Since ${since}: grade ${diff.previousGrade} -> ${diff.grade} (${word}); ${diff.added.length} new, ${diff.fixed.length} fixed`, ...diff.added.map((f) => `  + ${f.ruleId}  ${f.message}`), ...diff.fixed.map((f) => `  - ${f.ruleId}  ${f.message}`)];
}

export function textReport(assessment: Assessment, rules: ReadonlyMap<string, AssessRule>, diff?: BaselineDiff, since = SINCE_BASELINE): string {
  const lines = [`portcullis assess ${assessment.target}`, `Grade: ${assessment.grade}`, ...assessment.capReasons.map((reason) => `  ${reason}`)];
  for (const severity of SEVERITIES) {
    const group = assessment.findings.filter((f) => f.status === 'found' && f.severity === severity);
    if (group.length === 0) continue;
    lines.push('', `${severity.toUpperCase()} (${group.length})`);
    for (const finding of group) {
      const rule = rules.get(finding.ruleId);
      lines.push(`  ${finding.ruleId}  ${rule?.title ?? ''}: ${finding.message}`, `      where: ${finding.where}`, ...(rule ? [`      fix:   ${rule.fix}`] : []));
    }
  }
  const untested = assessment.findings.filter((f) => f.status === 'not_tested');
  if (untested.length > 0) lines.push('', 'NOT TESTED', ...untested.map((f) => `  ${f.ruleId}  ${f.message}`));
  lines.push(...changes(diff, since));
  return `${lines.join('\n')}\n`;
}

const cell = (text: string) => text.replace(/\|/g, '\\|').replace(/\n/g, ' ');

export function markdownReport(assessment: Assessment, rules: ReadonlyMap<string, AssessRule>, diff?: BaselineDiff, since = SINCE_BASELINE): string {
  const lines = [`# Provider security assessment: ${assessment.target}`, '', `Assessed ${new Date(assessment.assessedAt).toISOString()} by portcullis assess.`, '', `**Grade: ${assessment.grade}**`, ''];
  for (const reason of assessment.capReasons) lines.push(`- ${reason}`);
  const shown = (f: AssessFinding) => f.status === 'found';
  lines.push('', '| Severity | Finding | What was found | Where | How to fix |', '| --- | --- | --- | --- | --- |');
  for (const severity of SEVERITIES) for (const f of assessment.findings.filter((x) => shown(x) && x.severity === severity)) lines.push(`| ${severity} | ${f.ruleId} ${cell(rules.get(f.ruleId)?.title ?? '')} | ${cell(f.message)} | ${cell(f.where)} | ${cell(rules.get(f.ruleId)?.fix ?? '')} |`);
  const untested = assessment.findings.filter((f) => f.status === 'not_tested');
  if (untested.length > 0) lines.push('', '## Not tested', '', ...untested.map((f) => `- ${f.ruleId}: ${f.message}`));
  if (diff) lines.push('', `## Since ${since}`, '', ...changes(diff, since).slice(1).map((line) => (line.startsWith('  ') ? `- ${line.trim()}` : line)));
  return `${lines.join('\n')}\n`;
}

export function sarifReport(assessment: Assessment, rules: ReadonlyMap<string, AssessRule>, version: string): object {
  const ids = [...rules.keys()];
  return {
    $schema: 'https://json.schemastore.org/sarif-2.1.0.json',
    version: '2.1.0',
    runs: [
      {
        tool: { driver: { name: 'portcullis assess', version, informationUri: HELP_URI, rules: [...rules.values()].map((rule) => ({ id: rule.id, name: rule.id.replace(/-/g, ''), shortDescription: { text: rule.title }, fullDescription: { text: `${rule.title}. Why: ${rule.why}` }, help: { text: rule.fix }, helpUri: `${HELP_URI}#${rule.id.toLowerCase()}`, defaultConfiguration: { level: LEVEL[rule.severity] } })) } },
        results: assessment.findings.filter((f) => f.status === 'found').map((f) => ({ ruleId: f.ruleId, ruleIndex: ids.indexOf(f.ruleId), level: LEVEL[f.severity], message: { text: f.message }, locations: [{ physicalLocation: { artifactLocation: { uri: f.where.includes('://') ? f.where : `https://${f.where}` } } }], properties: { severity: f.severity, ...(f.cap ? { cap: f.cap } : {}) } })),
        properties: { grade: assessment.grade, capReasons: assessment.capReasons },
      },
    ],
  };
}
