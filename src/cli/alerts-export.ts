/** `portcullis alerts export`: the config's alerts section (or the shipped defaults) as Prometheus rules. */
import { Value } from '@sinclair/typebox/value';
import { AlertsSchema, type AlertsConfig } from '../config/alerts-schema.js';
import { formatIssue, loadConfigFile } from '../config/loader.js';
import { prometheusRules } from '../alerts/prometheus-rules.js';
import { CliError } from './admin-client.js';

export async function exportPrometheusRules(configFile: string | undefined): Promise<string> {
  if (configFile === undefined) return prometheusRules(Value.Default(AlertsSchema, {}) as AlertsConfig);
  // Only the rules' overrides matter: secrets are checked to be references, not looked up.
  const loaded = await loadConfigFile(configFile, process.env, { resolveSecrets: false });
  if (!loaded.ok) throw new CliError(`${configFile} is invalid:\n${loaded.issues.map((issue) => `  ${formatIssue(issue)}`).join('\n')}`);
  return prometheusRules(loaded.config.alerts);
}
