/**
 * `--baseline <previous.json>`: what changed since an earlier assessment of the same provider
 * (the JSON report of `portcullis assess --format json`), by the one comparison every history
 * view shares (assess/diff.ts).
 */
import { diffAssessments, type AssessmentDiff } from '../../assess/diff.js';
import type { Assessment } from '../../assess/run-assessment.js';

export { diffAssessments };
/** What changed; `added` and `fixed` are the findings themselves. */
export type BaselineDiff = AssessmentDiff;

/** Throws with a clear message when `value` is not an assessment report. */
export function parseBaseline(value: unknown): Pick<Assessment, 'grade' | 'findings'> {
  const report = value as Partial<Assessment>;
  if (typeof report !== 'object' || report === null || typeof report.grade !== 'string' || !Array.isArray(report.findings)) throw new Error('the baseline is not a JSON report of portcullis assess (--format json)');
  return { grade: report.grade, findings: report.findings };
}
