/**
 * What `portcullis start` takes from preflight: the checks marked `atStart` (check.ts), run on
 * the loaded config offline (no store, Redis or endpoint is contacted; files are read, secrets are
 * resolved), through the same Check code as `portcullis preflight`, so each rule is defined once.
 * A critical finding refuses the start; the other findings are preflight's to report. What start
 * refused before (the schema, references, start-only rules, secrets) stays the loader's, which
 * preflight reads too (PF-CONFIG-001, PF-CONFIG-002, PF-SECRET-001).
 */
import type { GatewayConfig } from '../../config/schema.js';
import type { Clock } from '../../core/clock.js';
import type { Check, CheckContext, Finding } from './check.js';
import { CHECKS } from './runner.js';

/** The checks `start` runs (docs/preflight.md#at-start). */
export const START_CHECKS: readonly Check[] = CHECKS.filter((check) => check.atStart === true);

/**
 * The critical findings of START_CHECKS on `config` (loaded with its secrets resolved), and the
 * checks that could not run (`failed`: the gateway's own start reports what it cannot read, e.g.
 * certificate.watch_failed for a CA folder, so a check that throws does not refuse the start).
 */
export async function startRefusals(config: GatewayConfig, options: { readonly configPath: string; readonly env: NodeJS.ProcessEnv; readonly clock: Clock }): Promise<{ refusals: Finding[]; failed: string[] }> {
  const context: CheckContext = { config, configPath: options.configPath, clock: options.clock, offline: true, secretsResolved: true, timeoutMs: 0, sendTestAlert: false, store: async () => undefined, env: options.env };
  const findings: Finding[] = [];
  const failed: string[] = [];
  for (const check of START_CHECKS) {
    try {
      findings.push(...(await check.run(context)));
    } catch (error) {
      failed.push(`the ${check.name} check could not run: ${(error as Error).message.split('\n')[0]}`);
    }
  }
  return { refusals: findings.filter((found) => found.severity === 'critical'), failed };
}
