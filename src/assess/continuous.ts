/**
 * The assessor the gateway runs for continuous assessment (issue 23 §5, server/assessments.ts):
 * every assess check on the upstream's first target, every connection under the gateway's egress
 * rules: the HTTP checks (HSTS, OAuth metadata, API hygiene) through the dispatcher the gateway
 * hands in (its Outbound: egress rules, the upstream's CAs), the TLS and certificate probes, which
 * open their own connections, each to an address `admit` approved first. The gateway's default
 * assessor (server/gateway.ts).
 */
import { NotAssessedError, type UpstreamAssessor } from '../core/assessment.js';
import { ASSESS_CHECKS } from './checks/index.js';
import { apiHygieneCheck, API_CHECK_NAME } from './checks/api-hygiene.js';
import { hstsCheck } from './checks/hsts-check.js';
import { assessHttpOver } from './checks/http-probe.js';
import { oauthMetadataCheck, OAUTH_CHECK_NAME } from './checks/oauth-metadata.js';
import { assess } from './run-assessment.js';

/** Runs `portcullis assess` for one upstream; rejects when the provider could not be reached at all (nothing assessed). */
export const assessUpstream: UpstreamAssessor = async (request) => {
  const http = () => assessHttpOver(request.dispatcher, request.timeoutMs);
  const shared = () => ({ dispatcher: request.dispatcher, close: async () => {} });
  const replaced = new Set([OAUTH_CHECK_NAME, API_CHECK_NAME, 'hsts']);
  const checks = [...ASSESS_CHECKS.filter((check) => !replaced.has(check.name)), hstsCheck(shared), oauthMetadataCheck(http), apiHygieneCheck(http)];
  const refusals: string[] = [];
  const admit: typeof request.admit = (destination) =>
    request.admit(destination).catch((error: unknown) => {
      refusals.push(error instanceof Error ? error.message : String(error));
      throw error;
    });
  const target = { url: request.url, timeoutMs: request.timeoutMs, clock: request.clock, admit, ...(request.ca ? { ca: request.ca } : {}), ...(request.oauthIssuer ? { oauthIssuer: request.oauthIssuer } : {}) };
  const result = await assess(target, checks);
  // Nothing answered: no grade (an unreachable provider is not graded F, and keeps its previous grade).
  if (!result.reachable) {
    if (refusals.length > 0) throw new NotAssessedError('egress_denied', `${request.url.origin} was not assessed: the egress rules refused it (${refusals[0]})`);
    throw new NotAssessedError('unreachable', `${request.url.origin} could not be reached: ${result.findings.map((finding) => finding.message).join('; ')}`);
  }
  return { grade: result.grade, capReasons: result.capReasons, findings: result.findings };
};
