/**
 * `portcullis inventory --config <file>`: the inventory of a config file without a running gateway
 * (before a rollout, in CI, for the golden file of the examples). The config loads through the
 * same loader as `config validate` and `start`, without resolving secrets (the inventory names no
 * secret); traffic figures need the running gateway's store and are null here.
 */
import { dirname, resolve } from 'node:path';
import { formatIssue, loadConfigFile } from '../../config/loader.js';
import type { GatewayConfig } from '../../config/schema.js';
import { inventoryReport, type InventoryReport } from '../../admin/inventory/inventory-report.js';

export class InventoryConfigError extends Error {}

export async function loadInventoryConfig(file: string, env: NodeJS.ProcessEnv): Promise<{ config: GatewayConfig; baseDir: string }> {
  const loaded = await loadConfigFile(file, env, { resolveSecrets: false });
  if (!loaded.ok) throw new InventoryConfigError(`${file} is invalid:\n${loaded.issues.map((issue) => `  ${formatIssue(issue)}`).join('\n')}`);
  return { config: loaded.config, baseDir: dirname(resolve(file)) };
}

export async function localInventory(file: string, env: NodeJS.ProcessEnv, now: number): Promise<InventoryReport> {
  const { config, baseDir } = await loadInventoryConfig(file, env);
  return inventoryReport(config, { baseDir, now });
}
