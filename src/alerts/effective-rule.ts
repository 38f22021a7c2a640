/**
 * A built-in rule's settings after the config's overrides (`alerts.rules.<name>`): the engine
 * evaluates with these, and `alerts export --format prometheus-rules` writes them, so both agree.
 */
import { ALERT_RULES, type AlertRuleName } from '../core/alert-rules.js';
import type { AlertsConfig } from '../config/alerts-schema.js';
import type { EffectiveRule } from './alert-states.js';

/** Where each rule's default runbook link points (its section of docs/alerts.md). */
export const ALERT_DOCS_URL = 'https://github.com/portcullis-gateway/portcullis/blob/main/docs/alerts.md';

export function effectiveRule(config: Pick<AlertsConfig, 'rules'>, name: AlertRuleName): EffectiveRule & { enabled: boolean } {
  const spec = ALERT_RULES[name];
  const override = config.rules[name] ?? {};
  return {
    name,
    enabled: override.enabled ?? true,
    severity: override.severity ?? spec.severity,
    forSeconds: override.forSeconds ?? spec.forSeconds,
    runbookUrl: override.runbookUrl ?? `${ALERT_DOCS_URL}#${name}`,
    thresholds: { ...spec.thresholds, ...(override.thresholds ?? {}) },
  };
}
