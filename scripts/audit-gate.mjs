// CI's advisory gate: `npm audit --omit=dev` over the production dependencies fails the run on a
// known critical advisory. When the registry's advisory service does not answer (it refuses the
// bulk advisory request on the project's machines: 405), the run says so plainly and goes on:
// an unreachable service is reported, never taken for "no advisories".
// Usage: node scripts/audit-gate.mjs  (exit 1 on a critical advisory, 0 otherwise)
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

/**
 * What an `npm audit --json` output means for CI.
 * @param {string} output standard output of `npm audit --omit=dev --json`
 * @returns {{ verdict: 'fail' | 'pass' | 'unavailable', message: string }}
 */
export function auditVerdict(output) {
  let report;
  try {
    report = JSON.parse(output);
  } catch {
    return { verdict: 'unavailable', message: 'npm audit printed no report' };
  }
  const counts = report?.metadata?.vulnerabilities;
  if (!counts || typeof counts.critical !== 'number') {
    const reason = typeof report?.message === 'string' ? report.message : 'no advisory counts in the answer';
    return { verdict: 'unavailable', message: `the registry's advisory service did not answer (${reason})` };
  }
  if (counts.critical > 0) {
    const names = Object.values(report.vulnerabilities ?? {}).filter((v) => v.severity === 'critical').map((v) => v.name);
    return { verdict: 'fail', message: `${counts.critical} critical advisory(ies) in production dependencies: ${names.join(', ')}` };
  }
  return { verdict: 'pass', message: `no critical advisory in production dependencies (${counts.total ?? 0} below critical)` };
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const run = spawnSync('npm', ['audit', '--omit=dev', '--json'], { encoding: 'utf8', timeout: 120_000 });
  const { verdict, message } = auditVerdict(run.stdout ?? '');
  const say = verdict === 'unavailable' ? `NOT CHECKED: ${message}; no advisory check this run` : message;
  process.stdout.write(`audit-gate: ${say}\n`);
  if (verdict === 'fail') process.exitCode = 1;
}
