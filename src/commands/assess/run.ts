/**
 * The targets of `portcullis assess`: one URL from the command line, or every HTTPS upstream
 * target of a config (`--config`), each assessed with the upstream's own CA files. Returns the
 * assessments and the exit code (docs/assess.md#exit-codes): 0 pass, 1 a finding at or above
 * `failOn`, 2 a target could not be assessed.
 */
import { readFileSync, writeFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ASSESS_CHECKS } from '../../assess/checks/index.js';
import { severityRank, type AssessTarget, type Severity } from '../../assess/finding.js';
import { assess, type Assessment } from '../../assess/run-assessment.js';
import { loadConfigFile, formatIssue } from '../../config/loader.js';
import type { Clock } from '../../core/clock.js';

export interface AssessOptions {
  readonly timeoutMs: number;
  readonly clock: Clock;
  readonly caFile?: string;
  readonly oauthIssuer?: string;
  readonly httpUrl?: string;
}

/** Assesses one https URL. Throws on a URL that is not https. */
export async function assessUrl(url: string, options: AssessOptions): Promise<Assessment> {
  const parsed = new URL(url);
  if (parsed.protocol !== 'https:') throw new Error(`${url}: only https:// URLs are assessed (plain http is a finding of its own)`);
  const target: AssessTarget = {
    url: parsed,
    timeoutMs: options.timeoutMs,
    clock: options.clock,
    ...(options.caFile ? { caFile: options.caFile } : {}),
    ...(options.oauthIssuer ? { oauthIssuer: new URL(options.oauthIssuer) } : {}),
    ...(options.httpUrl ? { httpUrl: new URL(options.httpUrl) } : {}),
  };
  return assess(target, ASSESS_CHECKS);
}

/** Every https target of every upstream in `configPath`, by upstream name. Throws when the config does not load. */
export async function assessConfig(configPath: string, options: AssessOptions): Promise<Array<{ upstream: string; assessment: Assessment }>> {
  const loaded = await loadConfigFile(configPath, process.env, { resolveSecrets: false });
  if (!loaded.ok) throw new Error(`${configPath} does not load: ${loaded.issues.map(formatIssue).join('; ')}`);
  const results: Array<{ upstream: string; assessment: Assessment }> = [];
  for (const [name, upstream] of Object.entries(loaded.config.upstreams)) {
    const caFiles = upstream.tls?.caFiles ?? [];
    for (const url of upstream.targets.filter((target) => target.startsWith('https://'))) {
      const caFile = caFiles.length > 0 ? joinedCaFile(caFiles) : options.caFile === undefined ? undefined : { path: options.caFile };
      try {
        results.push({ upstream: name, assessment: await assessUrl(new URL(url).origin + new URL(url).pathname, { ...options, ...(caFile ? { caFile: caFile.path } : {}) }) });
      } finally {
        caFile?.cleanup?.();
      }
    }
  }
  return results;
}

/** One PEM file holding all of `files` (the checks take one CA file). */
function joinedCaFile(files: readonly string[]): { path: string; cleanup?: () => void } {
  if (files.length === 1) return { path: files[0]! };
  const dir = mkdtempSync(join(tmpdir(), 'portcullis-assess-'));
  const path = join(dir, 'ca.pem');
  writeFileSync(path, files.map((file) => readFileSync(file, 'utf8')).join('\n'));
  return { path, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

/** 0 pass, 1 a found finding at or above `failOn`, 2 unreachable. */
export function exitCodeOf(assessments: readonly Assessment[], failOn: Severity): number {
  if (assessments.some((assessment) => !assessment.reachable)) return 2;
  const threshold = severityRank(failOn);
  return assessments.some((assessment) => assessment.findings.some((f) => f.status === 'found' && severityRank(f.severity) >= threshold)) ? 1 : 0;
}
