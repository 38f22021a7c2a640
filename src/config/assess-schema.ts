/**
 * The per-upstream opt-in to continuous assessment (issue 23 §5, docs/assess.md "Continuous
 * mode"): `upstreams.<name>.assess`. Merged into config/schema.ts.
 */
import { Type } from '@sinclair/typebox';
import { StringEnum } from '../core/string-enum.js';

/** The grades of `portcullis assess`, best first (assess/finding.ts GRADES). */
export const ASSESS_GRADES = ['A+', 'A', 'B', 'C', 'D', 'E', 'F'] as const;
export type AssessGrade = (typeof ASSESS_GRADES)[number];

export const UpstreamAssess = Type.Object(
  {
    enabled: Type.Boolean({ default: true, description: 'Assess this upstream on a schedule (the section being present with enabled: false keeps its settings but stops the runs).' }),
    intervalHours: Type.Number({ minimum: 0.01, maximum: 720, default: 24, description: 'Hours between two assessments of the upstream (the first runs when the gateway starts).' }),
    oauthIssuer: Type.Optional(Type.String({ pattern: '^https?://', description: "The provider's OAuth 2.0 / OpenID Connect issuer whose metadata is assessed (default: the target's origin)." })),
    minimumGrade: Type.Optional(
      StringEnum(ASSESS_GRADES, {
        description: 'Refuse to send requests (and so the credential) to the upstream while its latest grade is below this one, or before it has a grade: 503 upstream.assessment_below_minimum.',
      }),
    ),
    timeoutMs: Type.Integer({ minimum: 100, default: 10000, description: 'Time allowed for each connection and request of one assessment.' }),
  },
  { additionalProperties: false, description: "Continuous assessment of the upstream's security (portcullis assess on a schedule)." },
);
