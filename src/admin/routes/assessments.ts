/**
 * Results of continuous assessment (issue 23 §5, docs/assess.md#continuous-mode): the runs of
 * `portcullis assess` the gateway made on upstreams that opt in, newest first, with grade, cap
 * reasons, findings and what changed since the upstream's run before (assess/history.ts, the same
 * comparison as `assess --baseline` and `assess history`). Reading needs `assessments:read` (metadata: a provider's findings, no secret).
 */
import { Type } from '@sinclair/typebox';
import { assessmentHistory } from '../../assess/history.js';
import type { StoredAssessFinding } from '../../core/assessment.js';
import { defineRoute, type AdminRoute } from '../route.js';
import { requireService, Timestamp } from './common.js';

const Finding = Type.Object(
  {
    ruleId: Type.String(),
    severity: Type.String(),
    message: Type.String(),
    where: Type.String(),
    status: Type.Union([Type.Literal('found'), Type.Literal('not_tested')]),
    cap: Type.Optional(Type.String()),
  },
  { additionalProperties: false },
);

const Changes = Type.Object(
  {
    previousGrade: Type.String({ description: "The grade of the upstream's run before this one." }),
    change: Type.Union([Type.Literal('worse'), Type.Literal('better'), Type.Literal('unchanged')]),
    added: Type.Array(Finding, { description: 'Found now, not in the run before (matched by rule id and message).' }),
    fixed: Type.Array(Finding, { description: 'Found in the run before, not now.' }),
  },
  { additionalProperties: false },
);

const Result = Type.Object(
  {
    id: Type.String(),
    upstream: Type.String(),
    target: Type.String({ description: 'The URL assessed (the upstream\'s first target).' }),
    grade: Type.String({ description: 'A+ … F.' }),
    capReasons: Type.Array(Type.String(), { description: 'Why the grade is below A+, gravest first.' }),
    findings: Type.Array(Finding),
    certificateNotAfter: Type.Union([Timestamp, Type.Null()], { description: "The target certificate's notAfter, when known." }),
    assessedAt: Timestamp,
    changes: Type.Union([Changes, Type.Null()], { description: "Since the upstream's previous run; null for its first." }),
  },
  { additionalProperties: false },
);

const CHANGE = { '-1': 'worse', '0': 'unchanged', '1': 'better' } as const;

function shown(finding: StoredAssessFinding) {
  return { ruleId: finding.ruleId, severity: finding.severity, message: finding.message, where: finding.where, status: finding.status, ...(finding.cap ? { cap: finding.cap } : {}) };
}

export const assessmentRoutes: AdminRoute[] = [
  defineRoute({
    method: 'GET',
    path: '/v1/assessments',
    summary: 'Results of continuous assessment, newest first: grade, cap reasons, findings and the change since the run before, per run',
    permission: 'assessments:read',
    querySchema: Type.Object(
      {
        upstream: Type.Optional(Type.String({ minLength: 1, maxLength: 200, description: 'Only this upstream\'s runs.' })),
        limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 200, default: 20, description: 'Most runs returned.' })),
      },
      { additionalProperties: false },
    ),
    status: 200,
    responseSchema: Type.Object({ items: Type.Array(Result) }, { additionalProperties: false }),
    errors: ['admin.not_found'],
    async handler({ query, services }) {
      const store = requireService(services.store, 'the store');
      const results = await assessmentHistory(store, { upstream: query.upstream, limit: query.limit ?? 20 });
      return {
        items: results.map((result) => ({
          id: result.id,
          upstream: result.upstream,
          target: result.target,
          grade: result.grade,
          capReasons: [...result.capReasons],
          findings: result.findings.map(shown),
          certificateNotAfter: result.certificateNotAfter === undefined ? null : new Date(result.certificateNotAfter).toISOString(),
          assessedAt: new Date(result.assessedAt).toISOString(),
          changes: result.changes ? { previousGrade: result.changes.previousGrade, change: CHANGE[result.changes.change], added: result.changes.added.map(shown), fixed: result.changes.fixed.map(shown) } : null,
        })),
      };
    },
  }),
];
