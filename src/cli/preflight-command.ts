/**
 * `portcullis preflight --config <file>`: the deployment checklist as checks (docs/preflight.md).
 * Exit code: 0 when no finding is at `--fail-on` or graver, 1 when one is, 2 when preflight could
 * not run (an ignore file that is not valid, a report file that cannot be written).
 */
import { readFileSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { InvalidArgumentError, type Command } from 'commander';
import { systemClock } from '../core/clock.js';
import { SEVERITIES, type Severity } from '../commands/preflight/check.js';
import { readIgnoreFile } from '../commands/preflight/ignore-file.js';
import { configLocator } from '../commands/preflight/report/locate.js';
import { junitReport } from '../commands/preflight/report/junit.js';
import { sarifReport } from '../commands/preflight/report/sarif.js';
import { textReport } from '../commands/preflight/report/text.js';
import { ALL_RULES, CHECKS, failsAt, runPreflight } from '../commands/preflight/runner.js';

const FORMATS = ['text', 'json', 'sarif', 'junit'] as const;
type Format = (typeof FORMATS)[number];

interface PreflightFlags {
  config: string;
  format: Format;
  output?: string;
  failOn: Severity;
  ignore?: string;
  offline?: boolean;
  resolveSecrets: boolean;
  timeoutMs: number;
  sendTestAlert?: boolean;
}

const oneOf =
  <T extends string>(name: string, values: readonly T[]) =>
  (value: string): T => {
    if (!values.includes(value as T)) throw new InvalidArgumentError(`${name} must be one of: ${values.join(', ')}`);
    return value as T;
  };

export function registerPreflightCommand(program: Command): void {
  program
    .command('preflight')
    .description('check a config, its store and its live endpoints against the deployment checklist; every finding with a rule id, severity, place, reason and fix')
    .requiredOption('-c, --config <file>', 'path to portcullis.yaml (or .json)')
    .option('--format <format>', `report format: ${FORMATS.join(', ')}`, oneOf('--format', FORMATS), 'text')
    .option('-o, --output <file>', 'write the report to this file instead of standard output')
    .option('--fail-on <severity>', `exit 1 when a finding is at this severity or graver: ${SEVERITIES.join(', ')}`, oneOf('--fail-on', SEVERITIES), 'high')
    .option('--ignore <file>', 'accepted findings (YAML or JSON): each entry needs rule, reason and expires')
    .option('--offline', 'contact nothing: no store, Redis, upstream or alert sink (config checks only)')
    .option('--no-resolve-secrets', 'for CI without production secrets and files: leave secret references unresolved and skip the files start reads')
    .option('--timeout-ms <ms>', 'time allowed for each live probe', (value) => {
      if (!/^\d+$/.test(value) || Number(value) < 100 || Number(value) > 60000) throw new InvalidArgumentError('--timeout-ms must be a whole number from 100 to 60000');
      return Number(value);
    }, 3000)
    .option('--send-test-alert', 'also send one sample notification to every alert sink, through its real delivery (never sent otherwise)')
    .action(async (flags: PreflightFlags) => {
      try {
        process.exitCode = await preflight(flags);
      } catch (error) {
        process.stderr.write(`portcullis preflight: ${(error as Error).message}\n`);
        process.exitCode = 2;
      }
    });
}

async function preflight(flags: PreflightFlags): Promise<number> {
  const ignores = flags.ignore === undefined ? undefined : { file: flags.ignore, entries: await readIgnoreFile(flags.ignore) };
  const report = await runPreflight({ configPath: flags.config, env: process.env, clock: systemClock, offline: flags.offline === true, resolveSecrets: flags.resolveSecrets, timeoutMs: flags.timeoutMs, sendTestAlert: flags.sendTestAlert === true, ignores });
  const locate = configLocator(flags.config);
  const version = (JSON.parse(readFileSync(new URL('../../../package.json', import.meta.url), 'utf8')) as { version: string }).version;
  let text: string;
  if (flags.format === 'json') text = `${JSON.stringify({ ...report, failOn: flags.failOn, rules: Object.fromEntries([...new Set(report.findings.map((found) => found.ruleId))].map((id) => [id, ALL_RULES.get(id)])) }, null, 2)}\n`;
  else if (flags.format === 'sarif') text = `${JSON.stringify(sarifReport(report, ALL_RULES, locate, version), null, 2)}\n`;
  else if (flags.format === 'junit') text = `${junitReport(report, CHECKS, ALL_RULES)}\n`;
  else text = textReport(report, ALL_RULES, locate, flags.output === undefined && process.stdout.isTTY === true && process.env.NO_COLOR === undefined);
  if (flags.output !== undefined) await writeFile(flags.output, text);
  else process.stdout.write(text);
  return failsAt(report.findings, flags.failOn) ? 1 : 0;
}
