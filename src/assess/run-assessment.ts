/**
 * Runs every check of an assessment and grades the result (issue 23). Never stops at the first
 * finding; a check that throws becomes an AS-RUN-001 finding naming it, so a report always says
 * what could not be looked at. When no check could reach the provider at all the caller treats
 * the assessment as failed (exit 2), see `reachable`.
 */
import type { AssessCheck, AssessFinding, AssessRule, AssessTarget, Grade } from './finding.js';
import { gradeOf } from './grade.js';

export const RUN_RULES = {
  checkFailed: {
    id: 'AS-RUN-001',
    severity: 'info',
    title: 'A check could not run',
    why: 'What was not looked at is not known to be safe: the report says so instead of passing silently.',
    fix: 'Make the provider reachable from here (or give --ca-file / --oauth-issuer) and assess again.',
  },
} as const satisfies Record<string, AssessRule>;

export interface Assessment {
  /** The assessed URL as given. */
  readonly target: string;
  /** When it ran, ms since the epoch (the target's clock). */
  readonly assessedAt: number;
  readonly grade: Grade;
  readonly capReasons: string[];
  readonly findings: AssessFinding[];
  /** false when the TLS endpoint could not be reached at all: nothing was assessed. */
  readonly reachable: boolean;
}

/** Thrown by a check when the provider cannot be reached at all (the CLI exits 2). */
export class ProviderUnreachableError extends Error {
  override readonly name = 'ProviderUnreachableError';
}

/** The grade's reason when the TLS endpoint could not be reached (docs/assess.md#grading). */
export const UNREACHABLE_CAP = 'capped at F: not assessed, the provider could not be reached (AS-RUN-001)';

/** Runs `checks` against `target` concurrently and grades what they found. */
export async function assess(target: AssessTarget, checks: readonly AssessCheck[]): Promise<Assessment> {
  const assessedAt = target.clock.now();
  let reachable = true;
  const results = await Promise.all(
    checks.map(async (check) => {
      try {
        return await check.run(target);
      } catch (error) {
        if (error instanceof ProviderUnreachableError) reachable = false;
        const rule = RUN_RULES.checkFailed;
        return [{ ruleId: rule.id, severity: rule.severity, message: `${check.name}: ${(error as Error).message}`, where: target.url.origin, status: 'not_tested' } satisfies AssessFinding];
      }
    }),
  );
  const findings = results.flat().sort((a, b) => a.ruleId.localeCompare(b.ruleId) || a.message.localeCompare(b.message));
  // Nothing was looked at, so nothing capped: without this an unreachable provider would grade A+.
  const graded = reachable ? gradeOf(findings) : { grade: 'F' as const, capReasons: [UNREACHABLE_CAP] };
  return { target: target.url.href, assessedAt, ...graded, findings, reachable };
}
