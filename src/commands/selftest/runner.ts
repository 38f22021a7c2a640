/**
 * Runs `portcullis selftest`: every probe group in order, each bounded by its own deadline and by
 * what is left of the run's; the whole run bounded in requests by the client's budget. A group
 * that throws, runs out of time or of budget is a failed result of its own (ST-SELFTEST-001) and
 * the others still run. Groups that spend a caller's rate limit or trip brute-force protection
 * run after the ones that need a caller in good standing.
 */
import { OWASP, severityRank, type Severity } from '../preflight/check.js';
import { SelftestClient } from './client.js';
import { throwawayCaller, type AdminAccess } from './credentials.js';
import { fail, type ProbeContext, type ProbeGroup, type ProbeResult, type ProbeRule } from './probe.js';
import { apiKeyProbes } from './probes/api-keys.js';
import { authProbes } from './probes/auth.js';
import { headerProbes } from './probes/headers.js';
import { injectionProbes } from './probes/injection.js';
import { jwtProbes } from './probes/jwt.js';
import { limitProbes } from './probes/limits.js';
import { pathProbes } from './probes/paths.js';
import { smugglingProbes } from './probes/smuggling.js';
import { tlsProbes } from './probes/tls.js';
import { floodProbes } from './probes/flood.js';
import type { JWK } from 'jose';
import type { GatewayConfig } from '../../config/schema.js';
import { probeRoutes, type ProbeRoute } from './routes.js';
import { inventoryProbeRoutes } from './inventory-routes.js';

/** Every probe group, in the order they run. */
export const PROBE_GROUPS: readonly ProbeGroup[] = [headerProbes, injectionProbes, limitProbes, jwtProbes, authProbes, apiKeyProbes, pathProbes, smugglingProbes, tlsProbes, floodProbes];

export const RUNNER_PROBES = {
  groupFailed: {
    id: 'ST-SELFTEST-001',
    severity: 'high',
    title: 'A probe group could not finish: it threw, ran past its deadline, or the request budget was spent',
    expected: 'every group finishes within its deadline',
    why: OWASP.API4,
  },
} satisfies Record<string, ProbeRule>;

/** Every probe selftest can report, by id (docs/selftest.md lists exactly these; a test checks). */
export const ALL_PROBES: ReadonlyMap<string, ProbeRule> = new Map([...Object.values(RUNNER_PROBES), ...PROBE_GROUPS.flatMap((group) => group.rules)].map((rule) => [rule.id, rule]));

export interface SelftestOptions {
  readonly target: URL;
  readonly config: GatewayConfig | undefined;
  readonly admin?: AdminAccess | undefined;
  /** Requests and connections allowed in the whole run. */
  readonly maxRequests: number;
  /** Time allowed for the whole run, in milliseconds. */
  readonly deadlineMs: number;
  /** Time allowed for one probe group, in milliseconds. */
  readonly groupDeadlineMs: number;
  /** Time allowed for one request or connection, in milliseconds. */
  readonly requestTimeoutMs: number;
  readonly ca?: string | undefined;
  readonly jwtSigningJwk?: JWK | undefined;
  readonly groups?: readonly ProbeGroup[] | undefined;
  /** Probe id prefixes to run (`ST-CORS`, `ST-KEY-004`); default: all. */
  readonly only?: readonly string[] | undefined;
}

export interface SelftestReport {
  readonly target: string;
  readonly results: readonly ProbeResult[];
  /** Requests and connections made. */
  readonly requests: number;
  readonly elapsedMs: number;
  readonly groups: readonly string[];
}

export async function runSelftest(options: SelftestOptions): Promise<SelftestReport> {
  const started = Date.now();
  const routes = await routesOf(options);
  const client = new SelftestClient(options.target, { maxRequests: options.maxRequests, timeoutMs: options.requestTimeoutMs, ca: options.ca });
  const caller = await throwawayCaller(options.admin, routes.flatMap((route) => route.scopes));
  const context: ProbeContext = { target: options.target, config: options.config, routes, client, credentials: caller, requestTimeoutMs: options.requestTimeoutMs, jwtSigningJwk: options.jwtSigningJwk };
  const results: ProbeResult[] = [];
  const ran: string[] = [];
  const wanted = (id: string) => options.only === undefined || options.only.some((prefix) => id.startsWith(prefix));
  const groups = (options.groups ?? PROBE_GROUPS).filter((group) => group.rules.some((rule) => wanted(rule.id)));
  try {
    for (const group of groups) {
      ran.push(group.name);
      const left = options.deadlineMs - (Date.now() - started);
      if (left <= 0) {
        results.push(fail(RUNNER_PROBES.groupFailed, `not run: the run's deadline (${options.deadlineMs} ms) has passed`, group.name));
        continue;
      }
      results.push(...(await runGroup(group, context, Math.min(left, options.groupDeadlineMs))).filter((result) => result.probeId === RUNNER_PROBES.groupFailed.id || wanted(result.probeId)));
    }
  } finally {
    await caller.close();
  }
  return { target: options.target.origin, results, requests: client.requests, elapsedMs: Date.now() - started, groups: ran };
}

/** The routes to attack: from the config file when given, else from the admin API's route list, else none. */
async function routesOf(options: SelftestOptions): Promise<ProbeRoute[]> {
  if (options.config !== undefined) return probeRoutes(options.config);
  if (options.admin !== undefined) return inventoryProbeRoutes(options.admin);
  return [];
}

async function runGroup(group: ProbeGroup, context: ProbeContext, deadlineMs: number): Promise<ProbeResult[]> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`did not finish within ${deadlineMs} ms`)), deadlineMs);
  });
  try {
    return await Promise.race([group.run(context), timeout]);
  } catch (error) {
    return [fail(RUNNER_PROBES.groupFailed, `the ${group.name} probes: ${(error as Error).message}`, group.name)];
  } finally {
    clearTimeout(timer);
  }
}

/** Whether a failed probe is at `threshold` or graver (`--fail-on`). */
export function failsAt(results: readonly ProbeResult[], threshold: Severity): boolean {
  return results.some((result) => result.status === 'fail' && severityRank(result.severity) >= severityRank(threshold));
}
