/**
 * The `Check` contract of `portcullis preflight` (issue 22, docs/preflight.md): one check per
 * subsystem (routes, listeners, admin, store …), each declaring the rules it can report and
 * returning findings. Rules carry the stable id, the severity, why the finding matters (an OWASP
 * API Security Top 10 2023 category or an item of the deployment checklist) and how to fix it; a
 * finding says what was found and where. The runner (runner.ts) runs every check, never stopping
 * at the first finding, and a check that throws becomes a finding of its own.
 */
import type { GatewayConfig } from '../../config/schema.js';
import type { Clock } from '../../core/clock.js';
import type { Store } from '../../store/store.js';

export const SEVERITIES = ['critical', 'high', 'medium', 'low', 'info'] as const;
export type Severity = (typeof SEVERITIES)[number];

/** Rank of a severity: critical 4 … info 0 (`--fail-on` compares ranks). */
export function severityRank(severity: Severity): number {
  return SEVERITIES.length - 1 - SEVERITIES.indexOf(severity);
}

/** A rule id: `PF-<AREA>-<NNN>`, stable across releases (docs/preflight.md lists each). */
export type RuleId = `PF-${string}-${string}`;

export interface Rule {
  readonly id: RuleId;
  readonly severity: Severity;
  /** One line: what the rule finds. */
  readonly title: string;
  /** Why it matters: an OWASP API Security Top 10 2023 category (`API2:2023 Broken Authentication`) or a checklist item. */
  readonly why: string;
  /** How to fix it: the option to set or the command to run. */
  readonly fix: string;
}

/** Where a finding is: a config path, a stored entity, a URL (any that apply). */
export interface Where {
  readonly path?: string;
  readonly entity?: string;
  readonly url?: string;
}

export interface Finding {
  readonly ruleId: RuleId;
  /** The rule's severity unless this finding is graver or milder (a listener on 0.0.0.0 vs a private address). */
  readonly severity: Severity;
  /** What was found, naming the thing (never a secret). */
  readonly message: string;
  readonly where: Where;
}

/** What every check gets: the loaded config (secrets as references) and the live parts, when allowed. */
export interface CheckContext {
  readonly config: GatewayConfig;
  readonly configPath: string;
  readonly clock: Clock;
  /** true: no connection is made (store, Redis, upstreams, sinks); live checks report nothing. */
  readonly offline: boolean;
  /** Whether secrets were resolved and files read (false: `--no-resolve-secrets`, a CI without production secrets). */
  readonly secretsResolved: boolean;
  /** Time allowed for one live probe, in milliseconds. */
  readonly timeoutMs: number;
  /** `--send-test-alert`: send one sample notification to every alert sink (never otherwise). */
  readonly sendTestAlert: boolean;
  /** The store, opened once on first use; undefined when offline, without a store section, or unreachable (PF-STORE-001 says why). */
  store(): Promise<Store | undefined>;
  readonly env: NodeJS.ProcessEnv;
}

/** One subsystem's check: the rules it may report and the function that finds them. */
export interface Check {
  /** The subsystem, e.g. `routes`, `listeners`, `admin`. */
  readonly name: string;
  readonly rules: readonly Rule[];
  /**
   * Also run by `portcullis start`, offline (no store, Redis or endpoint), before anything opens:
   * a critical finding refuses the start (docs/preflight.md#at-start). Only checks whose critical
   * findings mean the gateway would serve without what the config relies on are marked.
   */
  readonly atStart?: boolean;
  run(context: CheckContext): Promise<Finding[]> | Finding[];
}

/** A finding of `rule` at its own severity. */
export function finding(rule: Rule, message: string, where: Where, severity: Severity = rule.severity): Finding {
  return { ruleId: rule.id, severity, message, where };
}

/** Defines a check whose rules are declared by name: `rules.noAuth` in the code, its id in the report. */
export function defineCheck<R extends Record<string, Rule>>(name: string, rules: R, run: (context: CheckContext, rules: R) => Promise<Finding[]> | Finding[], options: { readonly atStart?: boolean } = {}): Check {
  return { name, rules: Object.values(rules), ...(options.atStart ? { atStart: true } : {}), run: (context) => run(context, rules) };
}

/** The OWASP API Security Top 10 2023 categories the rules cite (https://owasp.org/API-Security/editions/2023/en/0x11-t10/). */
export const OWASP = {
  API1: 'OWASP API1:2023 Broken Object Level Authorization',
  API2: 'OWASP API2:2023 Broken Authentication',
  API3: 'OWASP API3:2023 Broken Object Property Level Authorization',
  API4: 'OWASP API4:2023 Unrestricted Resource Consumption',
  API5: 'OWASP API5:2023 Broken Function Level Authorization',
  API7: 'OWASP API7:2023 Server Side Request Forgery',
  API8: 'OWASP API8:2023 Security Misconfiguration',
  API9: 'OWASP API9:2023 Improper Inventory Management',
  API10: 'OWASP API10:2023 Unsafe Consumption of APIs',
} as const;

/** The deployment checklist's items (docs/preflight.md#the-deployment-checklist). */
export const CHECKLIST = {
  secrets: 'Checklist: secrets management (pre-deployment)',
  infrastructure: 'Checklist: infrastructure review (pre-deployment)',
  environment: 'Checklist: environment configuration (during deployment)',
  monitoring: 'Checklist: monitoring and alerts (during deployment)',
  firewall: 'Checklist: firewall rules (during deployment)',
  rollback: 'Checklist: rollback plan (during deployment)',
} as const;
