/**
 * The credentials report (issue 24 §5, docs/inventory.md#credentials-report): every credential the
 * gateway issued or holds, across kinds, that has expired, is past its age policy, or will be
 * within the next N days. One row shape for every kind, built from metadata only: never a secret,
 * a key hash, a token or a private key. `portcullis credentials report` and
 * GET /v1/inventory/credentials print the same rows (credential-sources.ts reads them).
 */

export const CREDENTIAL_KINDS = ['api_key', 'oauth_client_secret', 'partner_certificate', 'upstream_credential', 'vault_secret', 'listener_certificate'] as const;
export type CredentialKind = (typeof CREDENTIAL_KINDS)[number];

export const CREDENTIAL_STATUSES = ['expired', 'over_policy', 'expiring', 'ok'] as const;
/**
 * - `expired`: its expiry has passed (listed while the expiry is within the last N days: an older
 *   one is dead and no longer news);
 * - `over_policy`: older than its age policy, still usable;
 * - `expiring`: expires, or reaches its policy age, within the next N days;
 * - `ok`: none of these (listed only when asked for every credential).
 */
export type CredentialStatus = (typeof CREDENTIAL_STATUSES)[number];

const DAY_MS = 86_400_000;

/** What a source knows of one credential (times in ms since the epoch). */
export interface CredentialFacts {
  readonly kind: CredentialKind;
  /** The handle operators use: key id, client_id, certificate serial, credential id, secret name, listener certificate serial. */
  readonly id: string;
  /** Its human name: key name, client name, certificate subject, credential name, secret name. */
  readonly name: string;
  /** Whom it belongs to: the consumer (keys, client secrets, partner certificates), the credential's owner, the secret's creator, `listener <name>`. */
  readonly owner: string;
  /** When this secret was made: key issued, client secret set or rotated, certificate notBefore, credential created, secret version written. */
  readonly createdAt: number;
  /** When it stops working by itself, or null when it never does. */
  readonly expiresAt: number | null;
  /** The age policy in days, or null when none applies (certificates: their validity is the limit). */
  readonly policyMaxAgeDays: number | null;
  /** Where the policy comes from (`apiKeys.maxAgeDays`, a consumer's override …), for the reason. */
  readonly policySource: string | null;
  /** Already stopped for a reason of its own (an upstream credential expired for disuse). */
  readonly stoppedReason?: string;
}

/** One row of the report, as printed and as answered by the admin API. */
export interface CredentialReportRow {
  readonly kind: CredentialKind;
  readonly id: string;
  readonly name: string;
  readonly owner: string;
  /** RFC 3339. */
  readonly createdAt: string;
  readonly expiresAt: string | null;
  /** Whole days since createdAt (floor). */
  readonly ageDays: number;
  readonly policyMaxAgeDays: number | null;
  /** Whole days (floor) until the sooner of expiresAt and the policy age; negative once past; null when neither applies. */
  readonly daysLeft: number | null;
  readonly status: CredentialStatus;
  /** One line saying why: dates, days and which policy. */
  readonly reason: string;
}

export interface CredentialsReport {
  readonly generatedAt: string;
  /** The horizon, in days. */
  readonly days: number;
  /** Rows by status count (of the rows listed). */
  readonly summary: Readonly<Record<CredentialStatus, number>>;
  /** Sorted by status (expired first), then daysLeft, kind, name and id. */
  readonly rows: readonly CredentialReportRow[];
  /** What could not be read (a CA folder, a source), so a missing kind is never silent. */
  readonly warnings: readonly string[];
}

export interface ReportOptions {
  readonly now: number;
  /** Horizon in days (0–3650). */
  readonly days: number;
  /** List `ok` rows too (default: only what needs attention). */
  readonly all?: boolean;
  /** Only these kinds (default: every kind). */
  readonly kinds?: readonly CredentialKind[];
}

const iso = (ms: number) => new Date(ms).toISOString();
const day = (ms: number) => iso(ms).slice(0, 10);

/** The row of one credential at `now` with an N-day horizon; undefined when an expired one left the window. */
export function assessCredential(facts: CredentialFacts, now: number, days: number): CredentialReportRow | undefined {
  const horizon = now + days * DAY_MS;
  const policyDue = facts.policyMaxAgeDays === null ? null : facts.createdAt + facts.policyMaxAgeDays * DAY_MS;
  const ends = [facts.expiresAt, policyDue].filter((at): at is number => at !== null);
  const due = ends.length === 0 ? null : Math.min(...ends);
  const ageDays = Math.floor((now - facts.createdAt) / DAY_MS);
  const policy = `policy ${facts.policyMaxAgeDays} days, ${facts.policySource}`;
  let status: CredentialStatus;
  let reason: string;
  if (facts.expiresAt !== null && facts.expiresAt <= now) {
    if (facts.expiresAt < now - days * DAY_MS) return undefined;
    status = 'expired';
    reason = `${facts.stoppedReason ?? 'expired'} on ${day(facts.expiresAt)}`;
  } else if (policyDue !== null && policyDue <= now) {
    status = 'over_policy';
    reason = `${ageDays} days old (${policy})`;
  } else if (facts.expiresAt !== null && facts.expiresAt <= horizon && (policyDue === null || facts.expiresAt <= policyDue)) {
    status = 'expiring';
    reason = `expires on ${day(facts.expiresAt)}`;
  } else if (policyDue !== null && policyDue <= horizon) {
    status = 'expiring';
    reason = `reaches its policy age on ${day(policyDue)} (${policy})`;
  } else {
    status = 'ok';
    reason = due === null ? 'no expiry and no age policy' : `${ageDays} days old; due on ${day(due)}`;
  }
  return {
    kind: facts.kind,
    id: facts.id,
    name: facts.name,
    owner: facts.owner,
    createdAt: iso(facts.createdAt),
    expiresAt: facts.expiresAt === null ? null : iso(facts.expiresAt),
    ageDays,
    policyMaxAgeDays: facts.policyMaxAgeDays,
    daysLeft: due === null ? null : Math.floor((due - now) / DAY_MS),
    status,
    reason,
  };
}

/** The report of `facts` (every kind's, from credential-sources.ts) at `options.now`. */
export function credentialsReport(facts: readonly CredentialFacts[], options: ReportOptions, warnings: readonly string[] = []): CredentialsReport {
  const kinds = new Set(options.kinds ?? CREDENTIAL_KINDS);
  const rows = facts
    .filter((fact) => kinds.has(fact.kind))
    .map((fact) => assessCredential(fact, options.now, options.days))
    .filter((row): row is CredentialReportRow => row !== undefined && (options.all === true || row.status !== 'ok'))
    .sort(byUrgency);
  const summary = Object.fromEntries(CREDENTIAL_STATUSES.map((status) => [status, rows.filter((row) => row.status === status).length])) as Record<CredentialStatus, number>;
  return { generatedAt: iso(options.now), days: options.days, summary, rows, warnings };
}

/** Whether the report holds something past due (expired or over policy): `credentials report` exits 1. */
export function reportNeedsAction(report: Pick<CredentialsReport, 'summary'>): boolean {
  return report.summary.expired > 0 || report.summary.over_policy > 0;
}

function byUrgency(a: CredentialReportRow, b: CredentialReportRow): number {
  const rank = CREDENTIAL_STATUSES.indexOf(a.status) - CREDENTIAL_STATUSES.indexOf(b.status);
  if (rank !== 0) return rank;
  const left = (a.daysLeft ?? Number.MAX_SAFE_INTEGER) - (b.daysLeft ?? Number.MAX_SAFE_INTEGER);
  if (left !== 0) return left;
  return a.kind.localeCompare(b.kind) || a.name.localeCompare(b.name) || a.id.localeCompare(b.id);
}
