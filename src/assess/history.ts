/**
 * The history of an upstream's stored assessments (issue 23 §5, docs/assess.md#history): each run,
 * newest first, with what changed since the run before it (diff.ts). Read by `portcullis assess
 * history` and GET /v1/assessments; the runs are those continuous mode stored (migration 0034).
 */
import type { StoredAssessFinding } from '../core/assessment.js';
import { listAssessmentResults, type AssessmentResult } from '../store/assessment-results.js';
import type { OpenedStore } from '../store/open-store.js';
import { diffAssessments, type AssessmentDiff } from './diff.js';

export interface AssessmentRun extends AssessmentResult {
  /** What changed since the upstream's previous stored run; null for its first. */
  readonly changes: AssessmentDiff<StoredAssessFinding> | null;
}

/**
 * At most `limit` runs, newest first, of one upstream or of all, each compared with the run of the
 * same upstream just before it (read from the store when it is older than the page).
 */
export async function assessmentHistory(store: OpenedStore, options: { readonly upstream?: string | undefined; readonly limit: number }): Promise<AssessmentRun[]> {
  const page = await listAssessmentResults(store, { upstream: options.upstream, limit: options.limit });
  const runs: AssessmentRun[] = [];
  for (const [index, result] of page.entries()) {
    const previous = page.slice(index + 1).find((older) => older.upstream === result.upstream) ?? (await previousAssessmentResult(store, result));
    runs.push({ ...result, changes: previous ? diffAssessments(previous, result) : null });
  }
  return runs;
}

/** The stored run of `result.upstream` just before `result` (by time, then id), if any. */
export async function previousAssessmentResult(store: OpenedStore, result: Pick<AssessmentResult, 'upstream' | 'assessedAt' | 'id'>): Promise<AssessmentResult | undefined> {
  return (await listAssessmentResults(store, { upstream: result.upstream, before: { assessedAt: result.assessedAt, id: result.id }, limit: 1 }))[0];
}
