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
import type { AssessmentDiff } from '../assess/diff.js';
import { assessmentHistory } from '../assess/history.js';
import { diffAssessments, parseBaseline } from '../commands/assess/baseline.js';
import { diffWithStored, historyJson, historyText } from '../commands/assess/history.js';
import { markdownReport, sarifReport, SINCE_BASELINE, textReport } from '../commands/assess/reports.js';
import { assessConfig, assessUrl, exitCodeOf } from '../commands/assess/run.js';
import { systemClock } from '../core/clock.js';
import { openConfiguredStore } from './store-access.js';

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
  const assess = program
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
  assess
    .command('history <upstream>')
    .description("an upstream's stored assessments, newest first: grade, time, findings added and fixed since the run before")
    .option('-c, --config <file>', 'the gateway config whose store holds the results')
    .option('--limit <n>', 'most runs shown (1-200)', (value) => {
      if (!/^\d+$/.test(value) || Number(value) < 1 || Number(value) > 200) throw new InvalidArgumentError('--limit must be a whole number from 1 to 200');
      return Number(value);
    }, 20)
    .option('--format <format>', 'report format: text, json', oneOf('--format', HISTORY_FORMATS), 'text')
    .action(async (upstream: string, _flags: unknown, command: Command) => {
      try {
        // `assess` has --config and --format of its own, which commander fills first: read them merged.
        const flags = command.optsWithGlobals<{ config?: string; limit: number; format: string }>();
        process.exitCode = await history(upstream, flags);
      } catch (error) {
        process.stderr.write(`portcullis assess history: ${(error as Error).message}\n`);
        process.exitCode = 2;
      }
    });
}

const HISTORY_FORMATS = ['text', 'json'] as const;

async function history(upstream: string, flags: { config?: string; limit: number; format: string }): Promise<number> {
  if (flags.config === undefined) throw new Error('--config <file> is required: the results are in its store');
  if (!(HISTORY_FORMATS as readonly string[]).includes(flags.format)) throw new Error(`--format must be one of: ${HISTORY_FORMATS.join(', ')}`);
  const { opened } = await openConfiguredStore(flags.config);
  try {
    const runs = await assessmentHistory(opened, { upstream, limit: flags.limit });
    process.stdout.write(flags.format === 'json' ? historyJson(upstream, runs) : historyText(upstream, runs));
    return 0;
  } finally {
    await opened.close();
  }
}

/**
 * Each fresh assessment of `assess --config` compared with the newest stored run of its upstream,
 * when the config has a store (continuous mode writes it); a store that cannot be read is said on
 * stderr and changes nothing else (the assessment itself stands).
 */
async function storedDiffs(configPath: string, entries: ReadonlyArray<{ upstream: string; assessment: Assessment }>): Promise<Map<Assessment, { diff: AssessmentDiff; since: string }>> {
  let opened: Awaited<ReturnType<typeof openConfiguredStore>>['opened'] | undefined;
  try {
    const configured = await openConfiguredStore(configPath);
    opened = configured.opened;
    return await diffWithStored(opened, entries);
  } catch (error) {
    if (!/has no store section/.test((error as Error).message)) process.stderr.write(`portcullis assess: not compared with the stored runs: ${(error as Error).message}\n`);
    return new Map();
  } finally {
    await opened?.close();
  }
}

async function run(url: string | undefined, flags: AssessFlags): Promise<number> {
  if ((url === undefined) === (flags.config === undefined)) throw new Error('give either an https URL or --config <file>');
  const options = { timeoutMs: flags.timeoutMs, clock: systemClock, ...(flags.caFile ? { caFile: flags.caFile } : {}), ...(flags.oauthIssuer ? { oauthIssuer: flags.oauthIssuer } : {}), ...(flags.httpUrl ? { httpUrl: flags.httpUrl } : {}) };
  const entries = url !== undefined ? [{ upstream: '', assessment: await assessUrl(url, options) }] : await assessConfig(flags.config!, options);
  const assessments: Assessment[] = entries.map((entry) => entry.assessment);
  if (assessments.length === 0) throw new Error(`${flags.config} has no https upstream target to assess`);
  const baseline = flags.baseline === undefined ? undefined : parseBaseline(JSON.parse(readFileSync(flags.baseline, 'utf8')));
  // Without --baseline, `--config` compares each upstream with its newest stored run (docs/assess.md#history).
  const stored = baseline === undefined && flags.config !== undefined ? await storedDiffs(flags.config, entries) : new Map<Assessment, { diff: AssessmentDiff; since: string }>();
  const rules = assessRules();
  const version = (JSON.parse(readFileSync(new URL('../../../package.json', import.meta.url), 'utf8')) as { version: string }).version;
  const text = assessments
    .map((assessment) => {
      const previous = stored.get(assessment);
      const diff = baseline ? diffAssessments(baseline, assessment) : previous?.diff;
      const since = previous?.since ?? SINCE_BASELINE;
      if (flags.format === 'json') return `${JSON.stringify({ ...assessment, ...(baseline ? { baseline: diff } : {}), ...(previous ? { previous: { ...previous.diff, since: previous.since } } : {}) }, null, 2)}\n`;
      if (flags.format === 'sarif') return `${JSON.stringify(sarifReport(assessment, rules, version), null, 2)}\n`;
      if (flags.format === 'md') return markdownReport(assessment, rules, diff, since);
      return textReport(assessment, rules, diff, since);
    })
    .join(flags.format === 'text' || flags.format === 'md' ? '\n' : '');
  if (flags.output !== undefined) await writeFile(flags.output, text);
  else process.stdout.write(text);
  return exitCodeOf(assessments, flags.failOn);
}
