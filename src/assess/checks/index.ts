/** Every check `portcullis assess` runs, in report order (docs/assess.md lists their rules). */
import type { AssessCheck, AssessRule } from '../finding.js';
import { RUN_RULES } from '../run-assessment.js';
import { certificateCheck } from './certificate-check.js';
import { hstsCheck } from './hsts-check.js';
import { tlsCheck } from './tls-check.js';
import { apiHygieneCheck } from './api-hygiene.js';
import { oauthMetadataCheck } from './oauth-metadata.js';

export const ASSESS_CHECKS: AssessCheck[] = [tlsCheck(), certificateCheck(), hstsCheck(), oauthMetadataCheck(), apiHygieneCheck()];

/** Every rule by id, the run's own included. */
export function assessRules(checks: readonly AssessCheck[] = ASSESS_CHECKS): Map<string, AssessRule> {
  return new Map([...checks.flatMap((check) => check.rules), ...Object.values(RUN_RULES)].map((rule) => [rule.id, rule]));
}
