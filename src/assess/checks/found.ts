/** Findings of an assess rule: found (with the rule's grade cap) or not tested (and why). */
import type { AssessFinding, AssessRule, Severity } from '../finding.js';

/** A finding of `rule` at its own severity (or `severity`), carrying the rule's grade cap. */
export function found(rule: AssessRule, message: string, where: string, severity: Severity = rule.severity): AssessFinding {
  return { ruleId: rule.id, severity, message, where, status: 'found', ...(rule.cap ? { cap: rule.cap } : {}) };
}

/** `rule` could not be checked (the document was unreachable, the provider has none): says why, never caps. */
export function notTested(rule: AssessRule, message: string, where: string): AssessFinding {
  return { ruleId: rule.id, severity: 'info', message, where, status: 'not_tested' };
}
