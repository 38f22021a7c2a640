/**
 * `portcullis inventory`: what the gateway exposes, to whom, under which contract and version, and
 * how much each route is used (docs/inventory.md). From the running gateway through the admin API
 * (GET /v1/inventory, with traffic figures), or from a config file with `--config` (no gateway,
 * no traffic). `--format openapi` prints the API as partners see it through the gateway.
 */
import { InvalidArgumentError, type Command } from 'commander';
import { systemClock } from '../core/clock.js';
import { gatewayOpenApi, GatewayOpenApiError } from '../config/inventory/gateway-openapi.js';
import { deprecatedReport, shadowReport, type DeprecatedRouteUsage, type InventoryReport, type InventoryReportOptions, type ShadowReport } from '../admin/inventory/inventory-report.js';
import type { GatewayConfig } from '../config/schema.js';
import { InventoryConfigError, loadInventoryConfig, localInventory } from '../commands/inventory/local-inventory.js';
import { action, addAdminOptions, adminCall, CliError, type AdminOptions } from './admin-client.js';
import { deprecatedText, inventoryCsv, inventoryTable, shadowText } from './inventory-format.js';

const FORMATS = ['table', 'json', 'csv', 'openapi'] as const;
type Format = (typeof FORMATS)[number];

interface InventoryFlags extends AdminOptions {
  config?: string;
  shadow?: boolean;
  deprecated?: boolean;
  byConsumer?: boolean;
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
      .option('--server-url <url>', "with --format openapi: the gateway's public base URL (servers[0].url)")
      .option('--shadow', 'what no contract covers: routes without a contract, contract operations no route serves, requests no operation matched')
      .option('--deprecated', 'deprecated, announced and sunset routes')
      .option('--by-consumer', 'with --deprecated: who still calls each route (requests per consumer, 30 days)'),
  ).action(
    action(async (flags: InventoryFlags) => {
      const format: Format = flags.format ?? (flags.json ? 'json' : 'table');
      if (flags.serverUrl !== undefined && !/^https?:\/\//.test(flags.serverUrl)) throw new CliError('--server-url must be an http(s) URL');
      if (flags.byConsumer && !flags.deprecated) throw new CliError('--by-consumer goes with --deprecated');
      if ((flags.shadow || flags.deprecated) && (format === 'openapi' || format === 'csv')) throw new CliError('--shadow and --deprecated print a table or JSON');
      if (flags.shadow) return printView(format, await fetchView(flags, '/v1/inventory/shadow', shadowReport), (view) => shadowText(view as ShadowReport));
      if (flags.deprecated) return printView(format, await fetchView(flags, '/v1/inventory/deprecated', deprecatedReport), (view) => deprecatedText(view as { routes: DeprecatedRouteUsage[] }, flags.byConsumer === true));
      if (format === 'openapi') return printJson(await openApi(flags));
      const report = await fetchReport(flags);
      if (format === 'json') return printJson(report);
      process.stdout.write(format === 'csv' ? inventoryCsv(report.routes) : inventoryTable(report.routes));
    }),
  );
}

function printView(format: Format, view: unknown, text: (view: unknown) => string): void {
  if (format === 'json') printJson(view);
  else process.stdout.write(text(view));
}

/** A view of the running gateway (admin API), or of a config file (`--config`, no store). */
async function fetchView(flags: InventoryFlags, path: string, local: (config: GatewayConfig, options: InventoryReportOptions) => Promise<unknown>): Promise<unknown> {
  if (flags.config === undefined) return adminCall(flags, 'GET', path);
  try {
    const { config, baseDir } = await loadInventoryConfig(flags.config, process.env);
    return await local(config, { baseDir, now: systemClock.now() });
  } catch (error) {
    if (error instanceof InventoryConfigError) throw new CliError(error.message);
    throw error;
  }
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
