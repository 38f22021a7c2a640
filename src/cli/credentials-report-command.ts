/**
 * `portcullis credentials report` (issue 24 §5, docs/inventory.md#credentials-report): every
 * credential that expired, is past its age policy, or will be within `--days`, across kinds (API
 * keys, OAuth client secrets, partner certificates of our CA, upstream credentials, vault
 * secrets, listener certificates). From the running gateway (GET /v1/inventory/credentials, inventory:read) or, with
 * `--config`, from the config file's store directly (read-only: never migrated). Exit codes, for
 * CI: 0 nothing expired or over policy; 1 something is; 2 the report could not be made.
 */
import type { Command } from 'commander';
import { systemClock } from '../core/clock.js';
import { createLogger } from '../observability/logger.js';
import { Store } from '../store/store.js';
import { collectCredentialFacts } from '../admin/inventory/credential-sources.js';
import { CREDENTIAL_KINDS, credentialsReport, reportNeedsAction, type CredentialKind, type CredentialReportRow, type CredentialsReport } from '../admin/inventory/credentials-report.js';
import { adminCall, addAdminOptions, CliError, table, type AdminOptions } from './admin-client.js';
import { openConfiguredStore } from './store-access.js';

const FORMATS = ['table', 'json', 'csv'] as const;
type Format = (typeof FORMATS)[number];

interface ReportFlags extends AdminOptions {
  config?: string;
  days: string;
  format?: string;
  kind?: string[];
  all?: boolean;
}

export function registerCredentialsReportCommand(credentials: Command): void {
  addAdminOptions(
    credentials
      .command('report')
      .description('every credential (API keys, OAuth client secrets, partner certificates, upstream credentials, vault secrets, listener certificates) that expired, is past its age policy or will be within --days; exit 1 when anything is expired or over policy')
      .option('-c, --config <file>', "read the config file's store directly instead of asking the running gateway")
      .option('--days <days>', 'horizon in days (30 or 30d); expired ones are listed for as many days past', '30')
      .option('--format <format>', `${FORMATS.join(', ')} (default: table)`)
      .option('--kind <kinds...>', `only these kinds (repeat or comma-separate): ${CREDENTIAL_KINDS.join(', ')}`)
      .option('--all', 'list every credential, ok ones too'),
  ).action(async (flags: ReportFlags) => {
    try {
      const report = await makeReport(flags);
      process.stdout.write(render(report, format(flags)));
      for (const warning of report.warnings) process.stderr.write(`portcullis: warning: ${warning}\n`);
      process.exitCode = reportNeedsAction(report) ? 1 : 0;
    } catch (error) {
      if (!(error instanceof CliError)) throw error;
      process.stderr.write(`portcullis: ${error.message}\n`);
      process.exitCode = 2;
    }
  });
}

function format(flags: ReportFlags): Format {
  const value = flags.format ?? (flags.json ? 'json' : 'table');
  if (!(FORMATS as readonly string[]).includes(value)) throw new CliError(`--format must be one of: ${FORMATS.join(', ')}`);
  return value as Format;
}

/** `30` or `30d` → 30 (0–3650). */
export function horizonDays(value: string): number {
  const match = /^([0-9]{1,4})d?$/.exec(value);
  if (!match || Number(match[1]) > 3650) throw new CliError('--days takes a number of days from 0 to 3650, such as 30 or 30d');
  return Number(match[1]);
}

function kindsOf(values: readonly string[] | undefined): CredentialKind[] | undefined {
  if (values === undefined) return undefined;
  const kinds = values.flatMap((value) => value.split(',')).filter((value) => value !== '');
  const unknown = kinds.filter((kind) => !(CREDENTIAL_KINDS as readonly string[]).includes(kind));
  if (unknown.length > 0 || kinds.length === 0) throw new CliError(`--kind takes ${CREDENTIAL_KINDS.join(', ')}${unknown.length > 0 ? ` (not ${unknown.join(', ')})` : ''}`);
  return [...new Set(kinds)] as CredentialKind[];
}

async function makeReport(flags: ReportFlags): Promise<CredentialsReport> {
  const days = horizonDays(flags.days);
  const kinds = kindsOf(flags.kind);
  format(flags);
  if (flags.config === undefined) {
    const query = new URLSearchParams({ days: String(days), ...(kinds ? { kind: kinds.join(',') } : {}), ...(flags.all ? { all: 'true' } : {}) });
    return (await adminCall(flags, 'GET', `/v1/inventory/credentials?${query}`)) as CredentialsReport;
  }
  const { opened, config } = await openConfiguredStore(flags.config);
  try {
    const store = new Store(opened, { clock: systemClock, logger: () => quiet });
    const { facts, warnings } = await collectCredentialFacts(store.db, config, kinds ?? CREDENTIAL_KINDS);
    return credentialsReport(facts, { now: systemClock.now(), days, all: flags.all === true, ...(kinds ? { kinds } : {}) }, warnings);
  } catch (error) {
    if (error instanceof CliError) throw error;
    throw new CliError(`the store of ${flags.config} could not be read (run \`portcullis migrate --config ${flags.config}\` if it is behind): ${(error as Error).message}`);
  } finally {
    await opened.close();
  }
}

const quiet = createLogger({ level: 'silent', redactHeaders: [] }, process.stderr);

const COLUMNS = ['status', 'kind', 'id', 'name', 'owner', 'ageDays', 'policyMaxAgeDays', 'expiresAt', 'daysLeft', 'reason'] as const;

function render(report: CredentialsReport, as: Format): string {
  if (as === 'json') return `${JSON.stringify(report, null, 2)}\n`;
  if (as === 'csv') return csv(report.rows);
  const counts = `${report.summary.expired} expired, ${report.summary.over_policy} over policy, ${report.summary.expiring} expiring within ${report.days} days`;
  if (report.rows.length === 0) return `no credential needs attention (${counts})\n`;
  return `${table(report.rows.map((row) => ({ ...row, expiresAt: row.expiresAt?.slice(0, 10) ?? null })), [...COLUMNS])}${counts}\n`;
}

/** RFC 4180 §2: a header line, fields with a comma, quote or line break quoted (quotes doubled), CRLF line ends. */
export function csv(rows: readonly CredentialReportRow[]): string {
  const quote = (value: unknown) => {
    const text = value === null || value === undefined ? '' : String(value);
    return /[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
  };
  const columns = ['kind', 'id', 'name', 'owner', 'createdAt', 'expiresAt', 'ageDays', 'policyMaxAgeDays', 'daysLeft', 'status', 'reason'] as const;
  return [columns.join(','), ...rows.map((row) => columns.map((column) => quote(row[column])).join(','))].join('\r\n') + '\r\n';
}
