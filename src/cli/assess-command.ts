/**
 * `portcullis assess <https-url>` and `portcullis assess --config <file>`: grade a third-party
 * provider's TLS, certificate, HSTS, OAuth metadata and API hygiene before trusting it
 * (docs/assess.md). Exit code: 0 pass, 1 a finding at `--fail-on` or graver, 2 could not assess.
 */
import { readFileSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { InvalidArgumentError, type Command } from 'commander';
import { assessRules } from '../assess/checks/index.js';
import { SEVERITIES, type Severity } from '../assess/finding.js';
import type { Assessment } from '../assess/run-assessment.js';
import { diffAssessments, parseBaseline } from '../commands/assess/baseline.js';
import { markdownReport, sarifReport, textReport } from '../commands/assess/reports.js';
import { assessConfig, assessUrl, exitCodeOf } from '../commands/assess/run.js';
import { systemClock } from '../core/clock.js';

const FORMATS = ['text', 'json', 'sarif', 'md'] as const;
type Format = (typeof FORMATS)[number];

interface AssessFlags {
  config?: string;
  format: Format;
  output?: string;
  failOn: Severity;
  baseline?: string;
  caFile?: string;
  oauthIssuer?: string;
  httpUrl?: string;
  timeoutMs: number;
}

const oneOf =
  <T extends string>(name: string, values: readonly T[]) =>
  (value: string): T => {
    if (!values.includes(value as T)) throw new InvalidArgumentError(`${name} must be one of: ${values.join(', ')}`);
    return value as T;
  };

export function registerAssessCommand(program: Command): void {
  program
    .command('assess [url]')
    .description("grade a third-party API provider's security (TLS, certificate, HSTS, OAuth metadata, API hygiene) before trusting it")
    .option('-c, --config <file>', 'assess every https upstream target of this config instead of one URL')
    .option('--format <format>', `report format: ${FORMATS.join(', ')}`, oneOf('--format', FORMATS), 'text')
    .option('-o, --output <file>', 'write the report to this file instead of standard output')
    .option('--fail-on <severity>', `exit 1 when a finding is at this severity or graver: ${SEVERITIES.join(', ')}`, oneOf('--fail-on', SEVERITIES), 'high')
    .option('--baseline <file>', 'an earlier JSON report of the same provider: show what changed')
    .option('--oauth-issuer <url>', "the provider's OAuth 2.0 / OIDC issuer, whose metadata to check")
    .option('--ca-file <file>', 'also trust the CAs of this PEM file, besides the default roots (a private CA)')
    .option('--http-url <url>', 'where plain HTTP should redirect to HTTPS (default: the URL on port 80)')
    .option('--timeout-ms <ms>', 'time allowed for each connection', (value) => {
      if (!/^\d+$/.test(value) || Number(value) < 100 || Number(value) > 60000) throw new InvalidArgumentError('--timeout-ms must be a whole number from 100 to 60000');
      return Number(value);
    }, 5000)
    .action(async (url: string | undefined, flags: AssessFlags) => {
      try {
        process.exitCode = await run(url, flags);
      } catch (error) {
        process.stderr.write(`portcullis assess: ${(error as Error).message}\n`);
        process.exitCode = 2;
      }
    });
}

async function run(url: string | undefined, flags: AssessFlags): Promise<number> {
  if ((url === undefined) === (flags.config === undefined)) throw new Error('give either an https URL or --config <file>');
  const options = { timeoutMs: flags.timeoutMs, clock: systemClock, ...(flags.caFile ? { caFile: flags.caFile } : {}), ...(flags.oauthIssuer ? { oauthIssuer: flags.oauthIssuer } : {}), ...(flags.httpUrl ? { httpUrl: flags.httpUrl } : {}) };
  const assessments: Assessment[] = url !== undefined ? [await assessUrl(url, options)] : (await assessConfig(flags.config!, options)).map((entry) => entry.assessment);
  if (assessments.length === 0) throw new Error(`${flags.config} has no https upstream target to assess`);
  const baseline = flags.baseline === undefined ? undefined : parseBaseline(JSON.parse(readFileSync(flags.baseline, 'utf8')));
  const rules = assessRules();
  const version = (JSON.parse(readFileSync(new URL('../../../package.json', import.meta.url), 'utf8')) as { version: string }).version;
  const text = assessments
    .map((assessment) => {
      const diff = baseline ? diffAssessments(baseline, assessment) : undefined;
      if (flags.format === 'json') return `${JSON.stringify({ ...assessment, ...(diff ? { baseline: diff } : {}) }, null, 2)}\n`;
      if (flags.format === 'sarif') return `${JSON.stringify(sarifReport(assessment, rules, version), null, 2)}\n`;
      if (flags.format === 'md') return markdownReport(assessment, rules, diff);
      return textReport(assessment, rules, diff);
    })
    .join(flags.format === 'text' || flags.format === 'md' ? '\n' : '');
  if (flags.output !== undefined) await writeFile(flags.output, text);
  else process.stdout.write(text);
  return exitCodeOf(assessments, flags.failOn);
}
