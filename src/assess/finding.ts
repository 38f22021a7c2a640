/**
 * The finding model of `portcullis assess` (issue 23, docs/assess.md): what a check of a
 * third-party provider reports. Rules have stable ids (`AS-TLS-001` …), a severity, why they
 * matter and how to fix them, and may cap the grade (grade.ts). A finding is either `found` or
 * `not_tested` (the property could not be checked from here, and why: Node 20's OpenSSL cannot
 * offer SSLv3, 3DES, RC4 or export suites, so those are never claimed absent).
 *
 * This is a service (src/assess/), not a command: the CLI runs it once, the gateway runs it on a
 * schedule for each upstream that opts in.
 */
import type { Clock } from '../core/clock.js';

/** The same scale as preflight's (commands/preflight/check.ts), so reports and `--fail-on` agree. */
export const SEVERITIES = ['critical', 'high', 'medium', 'low', 'info'] as const;
export type Severity = (typeof SEVERITIES)[number];

/** Grades from best to worst, in the style of the well-known TLS graders. */
export const GRADES = ['A+', 'A', 'B', 'C', 'D', 'E', 'F'] as const;
export type Grade = (typeof GRADES)[number];

export interface AssessRule {
  /** Stable across releases: `AS-<AREA>-<NNN>` (docs/assess.md lists each). */
  readonly id: `AS-${string}-${string}`;
  readonly severity: Severity;
  /** One line: what the rule finds. */
  readonly title: string;
  /** Why it matters, citing the RFC or guidance. */
  readonly why: string;
  /** What the provider should change. */
  readonly fix: string;
  /** The best grade possible while this finding stands (none: it does not cap). */
  readonly cap?: Grade;
}

export interface AssessFinding {
  readonly ruleId: string;
  readonly severity: Severity;
  /** What was found, naming the thing (a protocol, a suite, a header). */
  readonly message: string;
  /** Where: a URL or `host:port`. */
  readonly where: string;
  readonly status: 'found' | 'not_tested';
  readonly cap?: Grade;
}

/** What one assessment looks at. */
export interface AssessTarget {
  /** The provider's API base URL (https). */
  readonly url: URL;
  /** PEM file of CA(s) to trust besides the default roots (a private CA; tls/trust.ts). */
  readonly caFile?: string;
  /** PEM of the CA(s) to trust, already read (continuous mode: every file of an upstream's tls.caFiles); wins over caFile. */
  readonly ca?: string;
  /**
   * Approves each TLS probe before it connects (continuous mode: the gateway's egress rules):
   * resolves `host` and returns the address to connect to, or rejects, and nothing is attempted.
   * Without it, probes connect to `host` as the system resolves it (the CLI: the operator named it).
   */
  readonly admit?: (destination: { readonly host: string; readonly port: number; readonly protocol: 'http:' | 'https:' }) => Promise<string>;
  /** The OAuth 2.0 / OIDC issuer whose metadata to check (RFC 8414, OIDC Discovery). */
  readonly oauthIssuer?: URL;
  /** Where plain HTTP is expected to redirect to HTTPS (default: the URL with http: and port 80). */
  readonly httpUrl?: URL;
  /** Time allowed for one connection or request, in milliseconds. */
  readonly timeoutMs: number;
  readonly clock: Clock;
}

/** One area's check: the rules it may report and the function that finds them. */
export interface AssessCheck {
  readonly name: string;
  readonly rules: readonly AssessRule[];
  run(target: AssessTarget): Promise<AssessFinding[]>;
}

/** Rank of a severity: critical 4 … info 0. */
export function severityRank(severity: Severity): number {
  return SEVERITIES.length - 1 - SEVERITIES.indexOf(severity);
}
