/**
 * `portcullis selftest --target <url> [--config <file>] [--admin-url <url>]`: black-box probes
 * against a running gateway (docs/selftest.md). The routes come from `--config`, else from the
 * admin API's route list (GET /v1/inventory). Exit codes as preflight's: 0 when no failed probe is at `--fail-on`
 * or graver, 1 when one is, 2 when selftest could not run (a target it may not attack, a config
 * that does not load, an admin API that refuses the throwaway consumer).
 */
import { readFileSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { InvalidArgumentError, type Command } from 'commander';
import type { JWK } from 'jose';
import { formatIssue, loadConfigFile } from '../config/loader.js';
import { SEVERITIES, type Severity } from '../commands/preflight/check.js';
import { jsonReport, junitReport, sarifReport, textReport } from '../commands/selftest/report.js';
import { ALL_PROBES, failsAt, PROBE_GROUPS, runSelftest } from '../commands/selftest/runner.js';
import { checkTarget } from '../commands/selftest/target.js';

const FORMATS = ['text', 'json', 'sarif', 'junit'] as const;
type Format = (typeof FORMATS)[number];

interface SelftestFlags {
  target: string;
  config?: string;
  adminUrl?: string;
  format: Format;
  output?: string;
  failOn: Severity;
  targetIsMine?: boolean;
  caFile?: string;
  maxRequests: number;
  deadlineMs: number;
  timeoutMs: number;
  only?: string[];
  jwtSigningJwk?: string;
}

const oneOf =
  <T extends string>(name: string, values: readonly T[]) =>
  (value: string): T => {
    if (!values.includes(value as T)) throw new InvalidArgumentError(`${name} must be one of: ${values.join(', ')}`);
    return value as T;
  };

const wholeNumber = (name: string, min: number, max: number) => (value: string) => {
  if (!/^\d+$/.test(value) || Number(value) < min || Number(value) > max) throw new InvalidArgumentError(`${name} must be a whole number from ${min} to ${max}`);
  return Number(value);
};

export function registerSelftestCommand(program: Command): void {
  program
    .command('selftest')
    .description('attack a running gateway with bounded black-box probes (auth, keys, JWT, smuggling, traversal, limits, headers, TLS); each probe expected vs observed')
    .requiredOption('-t, --target <url>', 'the listener to attack, e.g. http://127.0.0.1:8080 (loopback only unless --target-is-mine)')
    .option('-c, --config <file>', "the target's config file: its routes and what their policies promise (without it, the routes come from --admin-url's GET /v1/inventory)")
    .option('--admin-url <url>', 'the admin API (token in PORTCULLIS_ADMIN_TOKEN): the running routes (GET /v1/inventory) when there is no --config, and a throwaway consumer and keys for the probes that need a caller, revoked and disabled afterwards')
    .option('--format <format>', `report format: ${FORMATS.join(', ')}`, oneOf('--format', FORMATS), 'text')
    .option('-o, --output <file>', 'write the report to this file instead of standard output')
    .option('--fail-on <severity>', `exit 1 when a failed probe is at this severity or graver: ${SEVERITIES.join(', ')}`, oneOf('--fail-on', SEVERITIES), 'high')
    .option('--target-is-mine', 'allow a target that is not a loopback address (it is attacked: it must be yours)')
    .option('--ca-file <file>', 'PEM trust anchors for an HTTPS target, beside the system ones')
    .option('--jwt-signing-jwk <file>', "a private JWK (with kid and alg) of an issuer the gateway trusts (staging): enables the JWT claim probes (expired, nbf, audience, duplicate claims)")
    .option('--only <ids>', 'run only the probes whose ids start with one of these, comma-separated (ST-CORS,ST-KEY-004)', (value) => {
      const ids = value.split(',').map((id) => id.trim().toUpperCase());
      if (!ids.every((id) => /^ST(-[A-Z]+(-\d{1,3})?)?$/.test(id))) throw new InvalidArgumentError('--only takes probe ids or prefixes: ST-CORS,ST-KEY-004');
      return ids;
    })
    .option('--max-requests <n>', 'requests and connections allowed in the whole run', wholeNumber('--max-requests', 10, 10000), 600)
    .option('--deadline-ms <ms>', 'time allowed for the whole run', wholeNumber('--deadline-ms', 1000, 600000), 60000)
    .option('--timeout-ms <ms>', 'time allowed for each request or connection', wholeNumber('--timeout-ms', 100, 60000), 3000)
    .action(async (flags: SelftestFlags) => {
      try {
        process.exitCode = await selftest(flags);
      } catch (error) {
        process.stderr.write(`portcullis selftest: ${(error as Error).message}\n`);
        process.exitCode = 2;
      }
    });
}

async function selftest(flags: SelftestFlags): Promise<number> {
  const target = await checkTarget(flags.target, flags.targetIsMine === true);
  let config;
  if (flags.config !== undefined) {
    const loaded = await loadConfigFile(flags.config, process.env, { resolveSecrets: false });
    if (!loaded.ok) throw new Error(`${flags.config} does not load:\n${loaded.issues.map(formatIssue).join('\n')}`);
    config = loaded.config;
  }
  let admin;
  if (flags.adminUrl !== undefined) {
    const token = process.env.PORTCULLIS_ADMIN_TOKEN;
    if (token === undefined || token === '') throw new Error('--admin-url needs the admin token in PORTCULLIS_ADMIN_TOKEN');
    admin = { url: new URL(flags.adminUrl), token, timeoutMs: flags.timeoutMs };
  }
  const report = await runSelftest({
    target,
    config,
    admin,
    maxRequests: flags.maxRequests,
    deadlineMs: flags.deadlineMs,
    groupDeadlineMs: Math.min(flags.deadlineMs, 20000),
    requestTimeoutMs: flags.timeoutMs,
    only: flags.only,
    jwtSigningJwk: flags.jwtSigningJwk === undefined ? undefined : readSigningJwk(flags.jwtSigningJwk),
    ca: flags.caFile === undefined ? undefined : readFileSync(flags.caFile, 'utf8'),
  });
  const version = (JSON.parse(readFileSync(new URL('../../../package.json', import.meta.url), 'utf8')) as { version: string }).version;
  let text: string;
  if (flags.format === 'json') text = jsonReport(report, ALL_PROBES, flags.failOn);
  else if (flags.format === 'sarif') text = sarifReport(report, ALL_PROBES, version);
  else if (flags.format === 'junit') text = junitReport(report, PROBE_GROUPS, ALL_PROBES);
  else text = textReport(report, flags.output === undefined && process.stdout.isTTY === true && process.env.NO_COLOR === undefined);
  if (flags.output !== undefined) await writeFile(flags.output, text);
  else process.stdout.write(text);
  return failsAt(report.results, flags.failOn) ? 1 : 0;
}

function readSigningJwk(file: string): JWK {
  const jwk = JSON.parse(readFileSync(file, 'utf8')) as JWK;
  if (typeof jwk.d !== 'string' || typeof jwk.alg !== 'string') throw new Error(`${file} must be a private JWK with "alg" (and "kid" when the issuer publishes several keys)`);
  return jwk;
}
