/**
 * The assessor the gateway runs for continuous assessment (issue 23 §5, server/assessments.ts):
 * every assess check on the upstream's first target, the HTTP checks (OAuth metadata, API
 * hygiene) through the dispatcher the gateway hands in (its Outbound: egress rules, the
 * upstream's CAs). The gateway's default assessor (server/gateway.ts).
 */
import type { UpstreamAssessor } from '../core/assessment.js';
import { ASSESS_CHECKS } from './checks/index.js';
import { apiHygieneCheck, API_CHECK_NAME } from './checks/api-hygiene.js';
import { assessHttpOver } from './checks/http-probe.js';
import { oauthMetadataCheck, OAUTH_CHECK_NAME } from './checks/oauth-metadata.js';
import { assess } from './run-assessment.js';

/** Runs `portcullis assess` for one upstream; rejects when the provider could not be reached at all (nothing assessed). */
export const assessUpstream: UpstreamAssessor = async (request) => {
  const http = () => assessHttpOver(request.dispatcher, request.timeoutMs);
  const checks = [...ASSESS_CHECKS.filter((check) => check.name !== OAUTH_CHECK_NAME && check.name !== API_CHECK_NAME), oauthMetadataCheck(http), apiHygieneCheck(http)];
  const target = { url: request.url, timeoutMs: request.timeoutMs, clock: request.clock, ...(request.caFile ? { caFile: request.caFile } : {}), ...(request.oauthIssuer ? { oauthIssuer: request.oauthIssuer } : {}) };
  const result = await assess(target, checks);
  // Nothing answered: no grade (an unreachable provider is not graded F, and keeps its previous grade).
  if (!result.reachable) throw new Error(`${request.url.origin} could not be reached: ${result.findings.map((finding) => finding.message).join('; ')}`);
  return { grade: result.grade, capReasons: result.capReasons, findings: result.findings };
};
