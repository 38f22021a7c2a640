/**
 * The admin plane and stored credentials: the bootstrap token left on, second factors not
 * required, admin tokens and API keys that live too long. Config rules need nothing else; the
 * stored ones read the store (skipped offline or without a store).
 */
import { BootstrapTokenSwitch } from '../../../admin/bootstrap-token.js';
import { CHECKLIST, defineCheck, finding, OWASP, type Finding } from '../check.js';
import { addressReach } from './network.js';
import { consumerKeyMaxAgeDays } from '../../../keys/key-age-policy.js';

const DAY_MS = 86_400_000;
/** An admin token that still has more than this to live was given a lifetime past a year. */
export const ADMIN_TOKEN_MAX_DAYS = 365;

export const adminCheck = defineCheck(
  'admin',
  {
    bootstrapKept: {
      id: 'PF-ADMIN-002',
      severity: 'high',
      title: 'The bootstrap admin token is kept enabled (admin.bootstrapToken.keepEnabled: true)',
      why: `${OWASP.API2}; ${CHECKLIST.secrets}`,
      fix: 'Remove `admin.bootstrapToken.keepEnabled` and use scoped admin tokens (`portcullis admin-tokens create`) for automation. With the admin listener on loopback the finding is medium.',
    },
    bootstrapLive: {
      id: 'PF-ADMIN-003',
      severity: 'medium',
      title: 'The bootstrap admin token still works (no owner has been activated, or break-glass is on)',
      why: `${OWASP.API2}; ${CHECKLIST.secrets}`,
      fix: 'Invite the first owner (`portcullis users invite --role owner`) and let them set a password: the bootstrap token is then disabled. Or remove `admin.token`.',
    },
    mfaOptional: {
      id: 'PF-ADMIN-004',
      severity: 'medium',
      title: 'A second factor is not required of every admin user, or cannot be enrolled (no admin.mfa.seedKey)',
      why: OWASP.API2,
      fix: "Set `admin.mfa.required: all` (the default) and `admin.mfa.seedKey` to a secret reference of at least 32 characters.",
    },
    adminTokenLong: {
      id: 'PF-ADMIN-005',
      severity: 'medium',
      title: 'An active admin token that expires more than a year from now',
      why: `${OWASP.API2}; ${CHECKLIST.secrets}`,
      fix: 'Revoke it (`portcullis admin-tokens revoke <id>`) and create one with a shorter `--expires-in-days`; lower `admin.tokens.maxExpiryDays`.',
    },
    keyNoExpiry: {
      id: 'PF-KEY-001',
      severity: 'high',
      title: 'An active API key without an expiry',
      why: `${OWASP.API2}; ${CHECKLIST.secrets}`,
      fix: 'Rotate the key (`portcullis keys rotate <id>`): new keys always get an expiry (apiKeys.maxAgeDays).',
    },
    keyOld: {
      id: 'PF-KEY-002',
      severity: 'medium',
      title: "An active API key older than its key-age policy (the consumer's metadata.apiKeys.maxAgeDays, else apiKeys.maxAgeDays)",
      why: `${OWASP.API2}; ${CHECKLIST.secrets}`,
      fix: 'Rotate the key (`portcullis keys rotate <id>`) and revoke the old one once the partner has switched.',
    },
  },
  async ({ config, clock, store }, rules) => {
    const findings: Finding[] = [];
    const admin = config.admin;
    if (admin.enabled && admin.token !== undefined && admin.bootstrapToken.keepEnabled) {
      // On loopback only someone on the host can present it (the demo keeps it so): one step milder.
      const loopback = addressReach(admin.host) === 'loopback';
      findings.push(finding(rules.bootstrapKept, `the bootstrap token (admin.token) keeps working after the first owner exists${loopback ? ' (the admin listener is on loopback)' : ''}`, { path: 'admin.bootstrapToken.keepEnabled' }, loopback ? 'medium' : 'high'));
    }
    // The admin API has users when it has a store and a token to create the first owner with.
    if (admin.enabled && admin.token !== undefined && config.store !== undefined) {
      if (admin.mfa.required !== 'all') findings.push(finding(rules.mfaOptional, `a second factor is required only of roles ${admin.mfa.required.join(', ') || '(none)'}`, { path: 'admin.mfa.required' }));
      else if (admin.mfa.seedKey === undefined) findings.push(finding(rules.mfaOptional, 'admin.mfa.seedKey is not set: no admin user can enrol a second factor (TOTP enrolment answers 503)', { path: 'admin.mfa.seedKey' }));
    }
    const db = await store();
    if (!db) return findings;
    const now = clock.now();
    if (admin.enabled && admin.token !== undefined && !admin.bootstrapToken.keepEnabled && (await new BootstrapTokenSwitch(db, false).enabled(now))) {
      findings.push(finding(rules.bootstrapLive, 'the bootstrap token (admin.token) still works: no owner has set a password yet, or break-glass re-enabled it', { path: 'admin.token', entity: 'admin_state bootstrap_token' }));
    }
    const tokens = await db.db.selectFrom('admin_tokens').select(['id', 'name', 'expires_at']).where('status', '=', 'active').where('expires_at', '>', now + ADMIN_TOKEN_MAX_DAYS * DAY_MS).execute();
    for (const token of tokens) findings.push(finding(rules.adminTokenLong, `admin token ${token.id} (${token.name}) expires ${new Date(Number(token.expires_at)).toISOString()}`, { entity: `admin_token ${token.id}` }));
    const organisationDays = config.apiKeys?.maxAgeDays ?? 90;
    const keys = await db.db
      .selectFrom('api_keys')
      .leftJoin('consumers', 'consumers.id', 'api_keys.consumer_id')
      .select(['api_keys.id as id', 'api_keys.consumer_id as consumer_id', 'api_keys.expires_at as expires_at', 'api_keys.created_at as created_at', 'consumers.metadata as metadata'])
      .where('api_keys.status', '=', 'active')
      .orderBy('api_keys.id')
      .execute();
    for (const key of keys) {
      if (key.expires_at === null) findings.push(finding(rules.keyNoExpiry, `API key ${key.id} of consumer ${key.consumer_id} never expires`, { entity: `api_key ${key.id}` }));
      const ageDays = Math.floor((now - Number(key.created_at)) / DAY_MS);
      const { days: maxAgeDays, source } = policyOf(key.metadata, organisationDays);
      if (ageDays > maxAgeDays) findings.push(finding(rules.keyOld, `API key ${key.id} of consumer ${key.consumer_id} is ${ageDays} days old (policy: ${maxAgeDays}, ${source})`, { path: 'apiKeys.maxAgeDays', entity: `api_key ${key.id}` }));
    }
    return findings;
  },
);

/** The key-age policy of a key's consumer; an unreadable override (stored before the admin API checked it) is named in the finding. */
function policyOf(metadata: string | null, organisationDays: number): { days: number; source: string } {
  if (metadata === null) return { days: organisationDays, source: 'apiKeys.maxAgeDays' };
  try {
    const days = consumerKeyMaxAgeDays(JSON.parse(metadata) as Record<string, unknown>);
    if (days !== undefined) return { days, source: 'the consumer\'s metadata.apiKeys.maxAgeDays' };
    return { days: organisationDays, source: 'apiKeys.maxAgeDays' };
  } catch (error) {
    return { days: organisationDays, source: `apiKeys.maxAgeDays; the consumer's override is ignored: ${(error as Error).message}` };
  }
}
