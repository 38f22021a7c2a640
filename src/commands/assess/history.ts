/**
 * `portcullis assess history <upstream> --config <file>` (docs/assess.md#history): the upstream's
 * stored assessments, newest first, each with its grade, time and the findings added and fixed
 * since the run before it, read from the config's store (SQLite or PostgreSQL). Also what
 * `assess --config` compares each fresh run with: the newest stored run of the same upstream.
 */
import { diffAssessments, type AssessmentDiff, type DiffableFinding } from '../../assess/diff.js';
import type { AssessmentRun } from '../../assess/history.js';
import type { Assessment } from '../../assess/run-assessment.js';
import type { StoredAssessFinding } from '../../core/assessment.js';
import { latestAssessmentResults } from '../../store/assessment-results.js';
import type { OpenedStore } from '../../store/open-store.js';

const word = (change: number) => (change < 0 ? 'worse' : change > 0 ? 'better' : 'unchanged');
const iso = (ms: number) => new Date(ms).toISOString();

/** The text report: one block per run, newest first. */
export function historyText(upstream: string, runs: readonly AssessmentRun[]): string {
  if (runs.length === 0) return `portcullis assess history ${upstream}: no stored assessment (continuous mode stores them: upstreams.${upstream}.assess)\n`;
  const lines = [`portcullis assess history ${upstream} (${runs.length} run${runs.length === 1 ? '' : 's'}, newest first)`];
  for (const run of runs) {
    const changes = run.changes;
    const summary = changes ? `was ${changes.previousGrade} (${word(changes.change)}); ${changes.added.length} new, ${changes.fixed.length} fixed` : 'the first stored run';
    lines.push('', `${iso(run.assessedAt)}  ${run.grade.padEnd(2)}  ${summary}  ${run.target}`);
    for (const finding of changes?.added ?? []) lines.push(`  + ${finding.ruleId}  ${finding.message}`);
    for (const finding of changes?.fixed ?? []) lines.push(`  - ${finding.ruleId}  ${finding.message}`);
  }
  return `${lines.join('\n')}\n`;
}

const brief = (finding: StoredAssessFinding) => ({ ruleId: finding.ruleId, severity: finding.severity, message: finding.message });

/** The JSON report: `{ upstream, runs: [{ id, assessedAt, target, grade, capReasons, changes: { previousGrade, change, added, fixed } | null }] }`. */
export function historyJson(upstream: string, runs: readonly AssessmentRun[]): string {
  const shown = runs.map((run) => ({
    id: run.id,
    assessedAt: iso(run.assessedAt),
    target: run.target,
    grade: run.grade,
    capReasons: [...run.capReasons],
    changes: run.changes ? { previousGrade: run.changes.previousGrade, change: word(run.changes.change), added: run.changes.added.map(brief), fixed: run.changes.fixed.map(brief) } : null,
  }));
  return `${JSON.stringify({ upstream, runs: shown }, null, 2)}\n`;
}

/**
 * Each of `assessed` compared with the newest stored run of the same upstream and target (what
 * `assess --config` reports without --baseline); an entry without one is left out.
 */
export async function diffWithStored(store: OpenedStore, assessed: ReadonlyArray<{ readonly upstream: string; readonly assessment: Assessment }>): Promise<Map<Assessment, { diff: AssessmentDiff; since: string }>> {
  const latest = await latestAssessmentResults(store);
  const diffs = new Map<Assessment, { diff: AssessmentDiff; since: string }>();
  for (const { upstream, assessment } of assessed) {
    const stored = latest.get(upstream);
    if (stored && stored.target === assessment.target) diffs.set(assessment, { diff: diffAssessments<DiffableFinding>(stored, assessment), since: `the previous stored run (${iso(stored.assessedAt)})` });
  }
  return diffs;
}
