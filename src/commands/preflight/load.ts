/**
 * Loading the config for preflight with the same loader `config validate` and `start` use (schema,
 * semantic checks, start-only rules: nothing here repeats them), turned into findings: a config
 * that does not load is PF-CONFIG-001, a secret reference that does not resolve PF-SECRET-001, and
 * what only `start` would refuse (a certificate file missing, a key that does not match) PF-CONFIG-002.
 * The config is read twice: once without resolving secrets (its shape and rules), then resolving
 * them, so that each problem is told apart by where it first appears.
 */
import { loadConfigFile } from '../../config/loader.js';
import type { GatewayConfig } from '../../config/schema.js';
import { CHECKLIST, finding, OWASP, type Finding, type Rule } from './check.js';

export const LOAD_RULES = {
  invalid: {
    id: 'PF-CONFIG-001',
    severity: 'critical',
    title: 'The config does not load (`config validate` refuses it): schema, references, policy rules',
    why: `${OWASP.API8}; ${CHECKLIST.environment}`,
    fix: 'Run `portcullis config validate <file>` and fix each error at its path; no other check runs until the config loads.',
  },
  startRefused: {
    id: 'PF-CONFIG-002',
    severity: 'critical',
    title: 'A rule only start applies fails: a certificate, key, CA or geo file that cannot be read or does not make a TLS context, a secret shorter than its minimum',
    why: CHECKLIST.environment,
    fix: 'Fix the file or secret at the path named; `portcullis config validate <file>` (without --no-resolve-secrets) reports the same.',
  },
  secretUnresolved: {
    id: 'PF-SECRET-001',
    severity: 'critical',
    title: 'A secret reference that does not resolve (an environment variable not set, a vault secret that does not exist)',
    why: CHECKLIST.secrets,
    fix: 'Set the environment variable in the deployment, or create the secret (`portcullis secrets set <name>`), before starting.',
  },
} satisfies Record<string, Rule>;

export type Loaded = { ok: true; config: GatewayConfig; findings: Finding[] } | { ok: false; findings: Finding[] };

/** The config at `file` and the findings of loading it; `resolveSecrets` false skips secrets and the files start reads. */
export async function loadForPreflight(file: string, env: NodeJS.ProcessEnv, resolveSecrets: boolean): Promise<Loaded> {
  const shape = await loadConfigFile(file, env, { resolveSecrets: false });
  if (!shape.ok) return { ok: false, findings: shape.issues.map((issue) => finding(LOAD_RULES.invalid, issue.message, { path: issue.path })) };
  if (!resolveSecrets) return { ok: true, config: shape.config, findings: [] };
  const resolved = await loadConfigFile(file, env, { resolveSecrets: true });
  if (resolved.ok) return { ok: true, config: resolved.config, findings: [] };
  // The config is sound; what fails now is the environment it meets. The unresolved config is
  // checked further (its references stand in for the values).
  const findings = resolved.issues.map((issue) => (/^environment variable .* is not set$/.test(issue.message) ? finding(LOAD_RULES.secretUnresolved, issue.message, { path: issue.path }) : finding(LOAD_RULES.startRefused, issue.message, { path: issue.path })));
  return { ok: true, config: shape.config, findings };
}
