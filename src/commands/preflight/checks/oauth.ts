/**
 * The built-in authorization server's client secrets (issue 24 §5): a secret older than
 * `oauth.clientSecretMaxAgeDays` (since it was set or last rotated) is a finding. Read from the
 * store through the credentials report's own source and rule (admin/inventory/), so preflight
 * and `portcullis credentials report` always agree on which secrets are past policy.
 */
import { collectCredentialFacts } from '../../../admin/inventory/credential-sources.js';
import { assessCredential } from '../../../admin/inventory/credentials-report.js';
import { CHECKLIST, defineCheck, finding, OWASP, type Finding } from '../check.js';

export const oauthCheck = defineCheck(
  'oauth',
  {
    clientSecretOld: {
      id: 'PF-OAUTH-001',
      severity: 'medium',
      title: 'An active OAuth client secret older than oauth.clientSecretMaxAgeDays (365 by default) since it was set or last rotated',
      why: `${OWASP.API2}; ${CHECKLIST.secrets}`,
      fix: 'Rotate it (`portcullis clients rotate <client-id>`, the old secret keeps working for --grace-seconds while the partner switches); `portcullis credentials report --kind oauth_client_secret` lists every one due.',
    },
  },
  async ({ config, clock, store }, rules) => {
    const db = await store();
    if (!db) return [];
    const now = clock.now();
    const { facts } = await collectCredentialFacts(db.db, config, ['oauth_client_secret']);
    const findings: Finding[] = [];
    for (const fact of facts) {
      const row = assessCredential(fact, now, 0);
      if (row?.status !== 'over_policy') continue;
      findings.push(finding(rules.clientSecretOld, `the secret of OAuth client ${row.id} (${row.name}) of consumer ${row.owner} is ${row.ageDays} days old (policy: ${row.policyMaxAgeDays}, oauth.clientSecretMaxAgeDays)`, { path: 'oauth.clientSecretMaxAgeDays', entity: `oauth_client ${row.id}` }));
    }
    return findings;
  },
);
