/**
 * `--baseline <previous.json>`: what changed since an earlier assessment of the same provider
 * (the JSON report of `portcullis assess --format json`). Findings are matched by rule id and
 * message, so a new weak suite shows as new even when its rule was already found.
 */
import { compareGrades } from '../../assess/grade.js';
import type { AssessFinding, Grade } from '../../assess/finding.js';
import type { Assessment } from '../../assess/run-assessment.js';

export interface BaselineDiff {
  readonly previousGrade: Grade;
  readonly grade: Grade;
  /** -1 worse, 0 same, 1 better. */
  readonly change: number;
  readonly added: AssessFinding[];
  readonly fixed: AssessFinding[];
}

const key = (finding: AssessFinding) => `${finding.ruleId}\u0000${finding.message}`;

export function diffAssessments(previous: Pick<Assessment, 'grade' | 'findings'>, current: Pick<Assessment, 'grade' | 'findings'>): BaselineDiff {
  const before = new Set(previous.findings.filter((f) => f.status === 'found').map(key));
  const after = new Set(current.findings.filter((f) => f.status === 'found').map(key));
  return {
    previousGrade: previous.grade,
    grade: current.grade,
    change: compareGrades(current.grade, previous.grade),
    added: current.findings.filter((f) => f.status === 'found' && !before.has(key(f))),
    fixed: previous.findings.filter((f) => f.status === 'found' && !after.has(key(f))),
  };
}

/** Throws with a clear message when `value` is not an assessment report. */
export function parseBaseline(value: unknown): Pick<Assessment, 'grade' | 'findings'> {
  const report = value as Partial<Assessment>;
  if (typeof report !== 'object' || report === null || typeof report.grade !== 'string' || !Array.isArray(report.findings)) throw new Error('the baseline is not a JSON report of portcullis assess (--format json)');
  return { grade: report.grade, findings: report.findings };
}
