/**
 * Results of continuous assessment (issue 23 §5, docs/assess.md "Continuous mode"): one row per
 * run. Written by the node that runs the schedule, read by every node for `minimumGrade` (on a
 * timer, never per request) and by the admin API and `portcullis assess history`.
 */
import type { AssessmentOutcome, StoredAssessFinding } from '../core/assessment.js';
import { randomBase62 } from './ids.js';
import type { OpenedStore } from './open-store.js';

export interface AssessmentResult extends AssessmentOutcome {
  readonly id: string;
  readonly upstream: string;
  readonly target: string;
  /** Epoch ms of the certificate's notAfter, when known. */
  readonly certificateNotAfter: number | undefined;
  /** Epoch ms. */
  readonly assessedAt: number;
}

type Row = { id: string; upstream: string; target: string; grade: string; cap_reasons: string; findings: string; certificate_not_after: number | string | null; assessed_at: number | string };

function fromRow(row: Row): AssessmentResult {
  return {
    id: row.id,
    upstream: row.upstream,
    target: row.target,
    grade: row.grade,
    capReasons: JSON.parse(row.cap_reasons) as string[],
    findings: JSON.parse(row.findings) as StoredAssessFinding[],
    certificateNotAfter: row.certificate_not_after === null ? undefined : Number(row.certificate_not_after),
    assessedAt: Number(row.assessed_at),
  };
}

/** Stores one run's result; returns it with its id (`as_` + 20 base62 characters). */
export async function insertAssessmentResult(store: OpenedStore, result: Omit<AssessmentResult, 'id'>): Promise<AssessmentResult> {
  const id = `as_${randomBase62(20)}`;
  await store.db
    .insertInto('assessment_results')
    .values({ id, upstream: result.upstream, target: result.target, grade: result.grade, cap_reasons: JSON.stringify(result.capReasons), findings: JSON.stringify(result.findings), certificate_not_after: result.certificateNotAfter ?? null, assessed_at: result.assessedAt })
    .execute();
  return { ...result, id };
}

/** The newest result of each upstream that has one. */
export async function latestAssessmentResults(store: OpenedStore): Promise<Map<string, AssessmentResult>> {
  const newest = store.db.selectFrom('assessment_results').select(['upstream']).select((eb) => eb.fn.max('assessed_at').as('at')).groupBy('upstream').as('newest');
  const rows = await store.db
    .selectFrom('assessment_results')
    .innerJoin(newest, (join) => join.onRef('newest.upstream', '=', 'assessment_results.upstream').onRef('newest.at', '=', 'assessment_results.assessed_at'))
    .selectAll('assessment_results')
    .execute();
  return new Map(rows.map((row) => [row.upstream, fromRow(row as Row)]));
}

/** Results newest first (by time, then id), of one upstream or all; at most `limit`; only those ordered after `before` when given. */
export async function listAssessmentResults(store: OpenedStore, options: { upstream?: string | undefined; limit: number; before?: { assessedAt: number; id: string } | undefined }): Promise<AssessmentResult[]> {
  let query = store.db.selectFrom('assessment_results').selectAll().orderBy('assessed_at', 'desc').orderBy('id', 'desc').limit(options.limit);
  if (options.upstream !== undefined) query = query.where('upstream', '=', options.upstream);
  const before = options.before;
  if (before !== undefined) query = query.where((eb) => eb.or([eb('assessed_at', '<', before.assessedAt), eb.and([eb('assessed_at', '=', before.assessedAt), eb('id', '<', before.id)])]));
  return (await query.execute()).map((row) => fromRow(row as Row));
}
