/**
 * `portcullis inventory`: what the gateway exposes, to whom, under which contract and version, and
 * how much each route is used (docs/inventory.md). From the running gateway through the admin API
 * (GET /v1/inventory, with traffic figures), or from a config file with `--config` (no gateway,
 * no traffic). `--format openapi` prints the API as partners see it through the gateway.
 */
import { InvalidArgumentError, type Command } from 'commander';
import { systemClock } from '../core/clock.js';
import { gatewayOpenApi, GatewayOpenApiError } from '../config/inventory/gateway-openapi.js';
import type { InventoryReport } from '../admin/inventory/inventory-report.js';
import { InventoryConfigError, loadInventoryConfig, localInventory } from '../commands/inventory/local-inventory.js';
import { action, addAdminOptions, adminCall, CliError, type AdminOptions } from './admin-client.js';
import { inventoryCsv, inventoryTable } from './inventory-format.js';

const FORMATS = ['table', 'json', 'csv', 'openapi'] as const;
type Format = (typeof FORMATS)[number];

interface InventoryFlags extends AdminOptions {
  config?: string;
  format?: Format;
  serverUrl?: string;
}

export function registerInventoryCommand(program: Command): void {
  addAdminOptions(
    program
      .command('inventory')
      .description('every route: methods, path, upstream, contract and version, owner, authentication, scopes, lifecycle and traffic; or the API as partners see it (--format openapi)')
      .option('-c, --config <file>', 'read this config file instead of asking the running gateway (no traffic figures)')
      .option('--format <format>', `${FORMATS.join(', ')} (default: table)`, (value: string) => {
        if (!(FORMATS as readonly string[]).includes(value)) throw new InvalidArgumentError(`--format must be one of: ${FORMATS.join(', ')}`);
        return value as Format;
      })
      .option('--server-url <url>', "with --format openapi: the gateway's public base URL (servers[0].url)"),
  ).action(
    action(async (flags: InventoryFlags) => {
      const format: Format = flags.format ?? (flags.json ? 'json' : 'table');
      if (flags.serverUrl !== undefined && !/^https?:\/\//.test(flags.serverUrl)) throw new CliError('--server-url must be an http(s) URL');
      if (format === 'openapi') return printJson(await openApi(flags));
      const report = await fetchReport(flags);
      if (format === 'json') return printJson(report);
      process.stdout.write(format === 'csv' ? inventoryCsv(report.routes) : inventoryTable(report.routes));
    }),
  );
}

function printJson(value: unknown): void {
  process.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
}

async function fetchReport(flags: InventoryFlags): Promise<InventoryReport> {
  if (flags.config === undefined) return (await adminCall(flags, 'GET', '/v1/inventory')) as InventoryReport;
  try {
    return await localInventory(flags.config, process.env, systemClock.now());
  } catch (error) {
    if (error instanceof InventoryConfigError) throw new CliError(error.message);
    throw error;
  }
}

async function openApi(flags: InventoryFlags): Promise<unknown> {
  if (flags.config === undefined) return adminCall(flags, 'GET', `/v1/inventory/openapi${flags.serverUrl ? `?serverUrl=${encodeURIComponent(flags.serverUrl)}` : ''}`);
  try {
    const { config } = await loadInventoryConfig(flags.config, process.env);
    return gatewayOpenApi(config, { now: systemClock.now(), serverUrl: flags.serverUrl });
  } catch (error) {
    if (error instanceof InventoryConfigError || error instanceof GatewayOpenApiError) throw new CliError(error.message);
    throw error;
  }
}
