/**
 * The grade of an assessment (docs/assess.md#grading), in the style of the well-known TLS
 * graders: start at A+, and every found finding whose rule caps the grade lowers it to that cap,
 * with the reason said ("capped at B: TLS 1.1 offered"). A+ additionally needs HSTS of at least a
 * year, which the HSTS rules express as caps at A. `not_tested` findings never cap.
 */
import { GRADES, type AssessFinding, type Grade } from './finding.js';

export interface GradeResult {
  readonly grade: Grade;
  /** One line per distinct cap, worst first: `capped at B: AS-TLS-002 TLS 1.1 offered`. */
  readonly capReasons: string[];
}

/** The grade of `findings`: the worst cap among the found ones, or A+ when none caps. */
export function gradeOf(findings: readonly AssessFinding[]): GradeResult {
  const capping = findings.filter((finding) => finding.status === 'found' && finding.cap !== undefined);
  capping.sort((a, b) => GRADES.indexOf(b.cap!) - GRADES.indexOf(a.cap!));
  const grade = capping[0]?.cap ?? 'A+';
  const capReasons = [...new Set(capping.map((finding) => `capped at ${finding.cap}: ${finding.ruleId} ${finding.message}`))];
  return { grade, capReasons };
}

/** -1, 0 or 1: whether `a` is worse than, as good as, or better than `b`. */
export function compareGrades(a: Grade, b: Grade): number {
  return Math.sign(GRADES.indexOf(b) - GRADES.indexOf(a));
}
