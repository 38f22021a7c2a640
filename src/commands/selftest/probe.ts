/**
 * The `Probe` contract of `portcullis selftest` (issue 22 §5–§6, docs/selftest.md): black-box
 * attacks on a running gateway, grouped by subject (authentication, API keys, JWT, smuggling …).
 * Each probe has a stable id (`ST-AUTH-001`), the severity of the weakness it finds, what the
 * gateway must answer (expected) and, per run, what it answered (observed): pass, fail, or skipped
 * with the reason (no route of that kind, no admin credential). Severities and exit codes are
 * preflight's (commands/preflight/check.ts).
 */
import type { JWK } from 'jose';
import type { GatewayConfig } from '../../config/schema.js';
import type { Severity } from '../preflight/check.js';
import type { SelftestClient } from './client.js';
import type { ProbeRoute } from './routes.js';

/** A probe id: `ST-<AREA>-<NNN>`, stable across releases (docs/selftest.md lists each). */
export type ProbeId = `ST-${string}-${string}`;

export interface ProbeRule {
  readonly id: ProbeId;
  /** How grave a failure of this probe is (`--fail-on` compares it). */
  readonly severity: Severity;
  /** One line: the attack. */
  readonly title: string;
  /** What a sound gateway answers. */
  readonly expected: string;
  /** Why it matters: an OWASP API Security Top 10 2023 category or a checklist item. */
  readonly why: string;
}

export type ProbeStatus = 'pass' | 'fail' | 'skip';

export interface ProbeResult {
  readonly probeId: ProbeId;
  readonly status: ProbeStatus;
  readonly severity: Severity;
  readonly expected: string;
  /** What the gateway answered (status, problem code, headers), or why the probe was skipped. */
  readonly observed: string;
  /** The request attacked: method and URL, or the listener. */
  readonly where: string;
}

/** Credentials selftest holds for probes that need a caller the gateway accepts. */
export interface ProbeCredentials {
  /** An API key of a throwaway consumer, with every scope the routes ask for. */
  readonly apiKey?: string;
  /** Revokes `apiKey`'s sibling key for ST-KEY-004 and returns it (revoked); undefined without an admin credential. */
  revokedKey?(): Promise<string>;
  /** Why there is no key (no `--admin-url`, no admin token). */
  readonly missing?: string;
}

export interface ProbeContext {
  readonly target: URL;
  readonly config: GatewayConfig | undefined;
  readonly routes: readonly ProbeRoute[];
  readonly client: SelftestClient;
  readonly credentials: ProbeCredentials;
  /** Time allowed for one request or connection, in milliseconds. */
  readonly requestTimeoutMs: number;
  /** A private JWK (with kid and alg) of an issuer the gateway trusts, for the JWT claim probes (`--jwt-signing-jwk`). */
  readonly jwtSigningJwk?: JWK | undefined;
}

/** One group of probes: the rules it may report and the function that runs them. */
export interface ProbeGroup {
  readonly name: string;
  readonly rules: readonly ProbeRule[];
  run(context: ProbeContext): Promise<ProbeResult[]>;
}

export function defineProbes<R extends Record<string, ProbeRule>>(name: string, rules: R, run: (context: ProbeContext, rules: R) => Promise<ProbeResult[]>): ProbeGroup {
  return { name, rules: Object.values(rules), run: (context) => run(context, rules) };
}

export const pass = (rule: ProbeRule, observed: string, where: string): ProbeResult => ({ probeId: rule.id, status: 'pass', severity: rule.severity, expected: rule.expected, observed, where });
export const fail = (rule: ProbeRule, observed: string, where: string): ProbeResult => ({ probeId: rule.id, status: 'fail', severity: rule.severity, expected: rule.expected, observed, where });
export const skip = (rule: ProbeRule, reason: string, where = '-'): ProbeResult => ({ probeId: rule.id, status: 'skip', severity: rule.severity, expected: rule.expected, observed: `skipped: ${reason}`, where });

/** `pass` when `ok`, else `fail`: one result per attempt. */
export const verdict = (rule: ProbeRule, ok: boolean, observed: string, where: string): ProbeResult => (ok ? pass(rule, observed, where) : fail(rule, observed, where));
