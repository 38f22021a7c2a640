/**
 * What changed between two assessments of the same provider (issue 23 §5): the grade change and
 * the findings added and fixed. One function for every comparison: `--baseline`, `assess --config`
 * against the previous stored result, `assess history`, GET /v1/assessments and continuous mode's
 * assess.provider_security_regression event. Findings are matched by rule id and message, so a new
 * weak suite shows as new even when its rule was already found; only `found` findings count (a
 * `not_tested` one is neither a weakness nor a fix).
 */
import { gradesBelow } from '../core/assessment.js';

/** The part of a finding a diff reads (AssessFinding, StoredAssessFinding). */
export interface DiffableFinding {
  readonly ruleId: string;
  readonly message: string;
  readonly status: 'found' | 'not_tested';
}

export interface AssessmentDiff<F extends DiffableFinding = DiffableFinding> {
  readonly previousGrade: string;
  readonly grade: string;
  /** -1 worse, 0 same, 1 better. */
  readonly change: -1 | 0 | 1;
  /** Found now, not found before. */
  readonly added: F[];
  /** Found before, not found now. */
  readonly fixed: F[];
}

const key = (finding: DiffableFinding) => `${finding.ruleId}\u0000${finding.message}`;

/** `current` compared with `previous` (both A+ … F, or `?`; an unknown grade ranks below F). */
export function diffAssessments<F extends DiffableFinding>(previous: { readonly grade: string; readonly findings: readonly F[] }, current: { readonly grade: string; readonly findings: readonly F[] }): AssessmentDiff<F> {
  const before = new Set(previous.findings.filter((f) => f.status === 'found').map(key));
  const after = new Set(current.findings.filter((f) => f.status === 'found').map(key));
  const change = gradesBelow(current.grade, previous.grade) > 0 ? -1 : gradesBelow(previous.grade, current.grade) > 0 ? 1 : 0;
  return {
    previousGrade: previous.grade,
    grade: current.grade,
    change,
    added: current.findings.filter((f) => f.status === 'found' && !before.has(key(f))),
    fixed: previous.findings.filter((f) => f.status === 'found' && !after.has(key(f))),
  };
}

/** The rule ids of a diff, each once, sorted: what an event or an alert carries (no message, no URL). */
export function changedRuleIds(diff: AssessmentDiff): { added: string[]; fixed: string[] } {
  const ids = (findings: readonly DiffableFinding[]) => [...new Set(findings.map((f) => f.ruleId))].sort();
  return { added: ids(diff.added), fixed: ids(diff.fixed) };
}
