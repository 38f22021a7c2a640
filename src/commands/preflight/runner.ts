/**
 * Runs `portcullis preflight`: loads the config (load.ts), runs every check of CHECKS on it (each
 * isolated: one that throws is a finding, PF-PREFLIGHT-001, and the others still run), applies the
 * ignore file, and returns every finding sorted by severity, rule and place. Nothing is written
 * anywhere: the store is read, live endpoints are probed (unless offline), bounded by `timeoutMs`.
 */
import type { Clock } from '../../core/clock.js';
import { severityRank, type Check, type CheckContext, type Finding, type Rule, type Severity } from './check.js';
import { adminCheck } from './checks/admin.js';
import { alertingCheck } from './checks/alerting.js';
import { certificatesCheck } from './checks/certificates.js';
import { consumersCheck } from './checks/consumers.js';
import { geoCheck } from './checks/geo.js';
import { redisCheck } from './checks/redis.js';
import { upstreamsCheck } from './checks/upstreams.js';
import { vaultReferencesCheck } from './checks/vault-references.js';
import { fleetCheck } from './checks/fleet.js';
import { hardeningCheck } from './checks/hardening.js';
import { networkCheck } from './checks/network.js';
import { routesCheck } from './checks/routes.js';
import { inventoryCheck } from './checks/inventory.js';
import { oauthCheck } from './checks/oauth.js';
import { applyIgnores, IGNORE_RULES, type IgnoreEntry } from './ignore-file.js';
import { LOAD_RULES, loadForPreflight } from './load.js';
import { PreflightStore, STORE_RULES } from './live-store.js';

/** Every check, one per subsystem, in report order. */
export const CHECKS: readonly Check[] = [routesCheck, consumersCheck, networkCheck, upstreamsCheck, certificatesCheck, adminCheck, hardeningCheck, geoCheck, redisCheck, alertingCheck, vaultReferencesCheck, fleetCheck, inventoryCheck, oauthCheck];

export const RUNNER_RULES = {
  checkFailed: {
    id: 'PF-PREFLIGHT-001',
    severity: 'high',
    title: 'A check could not run (it threw); what it looks for is unknown',
    why: 'Checklist: security testing (pre-deployment)',
    fix: 'Read the message; report it as a bug if the config is valid. The other checks ran.',
  },
} satisfies Record<string, Rule>;

/** Every rule preflight can report, by id (docs/preflight.md lists exactly these; a test checks). */
export const ALL_RULES: ReadonlyMap<string, Rule> = new Map(
  [...Object.values(LOAD_RULES), ...Object.values(STORE_RULES), ...Object.values(IGNORE_RULES), ...Object.values(RUNNER_RULES), ...CHECKS.flatMap((check) => check.rules)].map((rule) => [rule.id, rule]),
);

export interface PreflightOptions {
  readonly configPath: string;
  readonly env: NodeJS.ProcessEnv;
  readonly clock: Clock;
  readonly offline: boolean;
  readonly resolveSecrets: boolean;
  /** Time allowed for each live probe, in milliseconds. */
  readonly timeoutMs: number;
  /** Send one sample notification to every alert sink (`--send-test-alert`). */
  readonly sendTestAlert?: boolean | undefined;
  readonly ignores?: { readonly file: string; readonly entries: readonly IgnoreEntry[] } | undefined;
  /** The checks to run (default: CHECKS). */
  readonly checks?: readonly Check[] | undefined;
}

export interface PreflightReport {
  readonly configPath: string;
  readonly findings: readonly Finding[];
  /** Findings hidden by live ignore entries. */
  readonly ignored: number;
  readonly offline: boolean;
  /** The checks that ran (none when the config did not load). */
  readonly checks: readonly string[];
}

export async function runPreflight(options: PreflightOptions): Promise<PreflightReport> {
  const loaded = await loadForPreflight(options.configPath, options.env, options.resolveSecrets);
  const findings: Finding[] = [...loaded.findings];
  const ran: string[] = [];
  if (loaded.ok) {
    const store = new PreflightStore(loaded.config, { offline: options.offline, timeoutMs: options.timeoutMs, clock: options.clock });
    const context: CheckContext = {
      config: loaded.config,
      configPath: options.configPath,
      clock: options.clock,
      offline: options.offline,
      secretsResolved: options.resolveSecrets && loaded.findings.length === 0,
      timeoutMs: options.timeoutMs,
      sendTestAlert: options.sendTestAlert === true,
      store: () => store.get(),
      env: options.env,
    };
    try {
      for (const check of options.checks ?? CHECKS) {
        ran.push(check.name);
        try {
          findings.push(...(await check.run(context)));
        } catch (error) {
          findings.push({ ruleId: RUNNER_RULES.checkFailed.id, severity: RUNNER_RULES.checkFailed.severity, message: `the ${check.name} check failed: ${(error as Error).message}`, where: {} });
        }
      }
    } finally {
      await store.close();
    }
    findings.push(...store.findings);
  }
  const filtered = options.ignores ? applyIgnores(findings, options.ignores.entries, options.clock.now(), options.ignores.file) : { findings, ignored: 0 };
  return { configPath: options.configPath, findings: sortFindings(filtered.findings), ignored: filtered.ignored, offline: options.offline, checks: ran };
}

/** Gravest first, then by rule id, then by place. */
export function sortFindings(findings: readonly Finding[]): Finding[] {
  const place = (found: Finding) => found.where.path ?? found.where.entity ?? found.where.url ?? '';
  return [...findings].sort((a, b) => severityRank(b.severity) - severityRank(a.severity) || a.ruleId.localeCompare(b.ruleId) || place(a).localeCompare(place(b), 'en', { numeric: true }));
}

/** Whether any finding is at `threshold` or graver (`--fail-on`). */
export function failsAt(findings: readonly Finding[], threshold: Severity): boolean {
  return findings.some((found) => severityRank(found.severity) >= severityRank(threshold));
}
