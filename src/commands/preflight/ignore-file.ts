/**
 * The ignore file of `portcullis preflight --ignore <file>` (YAML or JSON): accepted findings,
 * each with the rule, optionally where, the reason it is accepted and the day the acceptance ends.
 * An entry past its `expires` day no longer hides anything and is a finding itself (PF-IGNORE-001):
 * an accepted risk is reviewed, not forgotten.
 *
 *   ignores:
 *     - rule: PF-RATE-001
 *       where: routes[3]          # optional: a config path, entity or URL the finding names (prefix match on paths)
 *       reason: limited by the partner's own gateway (ticket SEC-142)
 *       expires: 2027-03-31       # YYYY-MM-DD, UTC: the entry works through that day
 */
import { readFile } from 'node:fs/promises';
import { Type, type Static } from '@sinclair/typebox';
import { Ajv } from 'ajv';
import { parse } from 'yaml';
import { CHECKLIST, finding, type Finding, type Rule } from './check.js';

const IgnoreEntry = Type.Object(
  {
    rule: Type.String({ pattern: '^PF-[A-Z]+-[0-9]{3}$' }),
    where: Type.Optional(Type.String({ minLength: 1 })),
    reason: Type.String({ minLength: 1 }),
    expires: Type.String({ pattern: '^[0-9]{4}-[0-9]{2}-[0-9]{2}$' }),
  },
  { additionalProperties: false },
);
const IgnoreFile = Type.Object({ ignores: Type.Array(IgnoreEntry) }, { additionalProperties: false });

export type IgnoreEntry = Static<typeof IgnoreEntry>;

export const IGNORE_RULES = {
  expired: {
    id: 'PF-IGNORE-001',
    severity: 'medium',
    title: 'An ignore entry past its expires day (the finding it hid is reported again)',
    why: CHECKLIST.environment,
    fix: 'Fix the finding, or review the acceptance and give the entry a new `expires` day with its reason.',
  },
} satisfies Record<string, Rule>;

const validate = new Ajv({ allErrors: true, strict: true }).compile<Static<typeof IgnoreFile>>(IgnoreFile);

/** The entries of an ignore file; throws an Error naming every problem (a missing reason, a bad date). */
export async function readIgnoreFile(path: string): Promise<IgnoreEntry[]> {
  const data: unknown = parse(await readFile(path, 'utf8'));
  if (!validate(data)) {
    const problems = (validate.errors ?? []).map((error) => `${error.instancePath || '(root)'} ${error.message ?? 'is not valid'}${error.params && 'missingProperty' in error.params ? ` (${String(error.params.missingProperty)})` : ''}`);
    throw new Error(`${path} is not a valid ignore file: ${problems.join('; ')}`);
  }
  const entries: IgnoreEntry[] = data.ignores;
  entries.forEach((entry, index) => {
    if (Number.isNaN(Date.parse(`${entry.expires}T00:00:00Z`))) throw new Error(`${path}: ignores[${index}].expires is not a date: ${entry.expires}`);
  });
  return entries;
}

/** Whether `entry` covers `found`: same rule, and `where` (if given) names the finding's path (or a parent of it), entity or URL. */
function covers(entry: IgnoreEntry, found: Finding): boolean {
  if (entry.rule !== found.ruleId) return false;
  if (entry.where === undefined) return true;
  const { path, entity, url } = found.where;
  return entity === entry.where || url === entry.where || (path !== undefined && (path === entry.where || path.startsWith(`${entry.where}.`) || path.startsWith(`${entry.where}[`)));
}

/** Findings not hidden by a live entry, plus one PF-IGNORE-001 per expired entry; `ignored`: how many were hidden. */
export function applyIgnores(findings: readonly Finding[], entries: readonly IgnoreEntry[], now: number, file: string): { findings: Finding[]; ignored: number } {
  // An entry works through its expires day (UTC), so it ends at the start of the next day.
  const live = entries.filter((entry) => Date.parse(`${entry.expires}T00:00:00Z`) + 86_400_000 > now);
  const kept = findings.filter((found) => !live.some((entry) => covers(entry, found)));
  const expired = entries
    .map((entry, index) => ({ entry, index }))
    .filter(({ entry }) => !live.includes(entry))
    .map(({ entry, index }) => finding(IGNORE_RULES.expired, `the ignore of ${entry.rule}${entry.where ? ` at ${entry.where}` : ''} expired on ${entry.expires} (reason given: ${entry.reason})`, { path: `${file}#ignores[${index}]` }));
  return { findings: [...kept, ...expired], ignored: findings.length - kept.length };
}
