/**
 * `portcullis limits`: rate-limit overrides per consumer or API key, through the admin API. They
 * take effect on every node within about one change-feed poll, without a restart.
 */
import type { Command } from 'commander';
import { action, addAdminOptions, adminCall, adminList, CliError, print, table, type AdminOptions } from './admin-client.js';

const COLUMNS = ['id', 'subjectType', 'subjectId', 'limitName', 'limit', 'windowSeconds', 'burst', 'updatedAt'];

interface SubjectOptions {
  consumer?: string;
  key?: string;
}

function subject(options: SubjectOptions, required: boolean): { subjectType: 'consumer' | 'api_key'; subjectId: string } | undefined {
  if (options.consumer !== undefined && options.key !== undefined) throw new CliError('give --consumer or --key, not both');
  if (options.consumer !== undefined) return { subjectType: 'consumer', subjectId: options.consumer };
  if (options.key !== undefined) return { subjectType: 'api_key', subjectId: options.key };
  if (required) throw new CliError('give --consumer <id> or --key <id>');
  return undefined;
}

function positiveInteger(name: string) {
  return (value: string): number => {
    if (!/^[1-9][0-9]*$/.test(value)) throw new CliError(`${name} must be a positive whole number`);
    return Number(value);
  };
}

export function registerLimitsCommand(program: Command): void {
  const limits = program.command('limits').description('rate-limit overrides per consumer or API key, through the admin API');

  addAdminOptions(
    limits
      .command('set')
      .description("set a consumer's or key's own numbers for a named limit (replaces an existing override)")
      .requiredOption('--name <limit>', 'the limit name, as in the ratelimit policy config')
      .requiredOption('--limit <n>', 'units per window', positiveInteger('--limit'))
      .option('--consumer <id>', 'the consumer the override is for')
      .option('--key <id>', 'the API key id the override is for (wins over its consumer\'s)')
      .option('--window-seconds <n>', 'a different window (default: the configured one)', positiveInteger('--window-seconds'))
      .option('--burst <n>', 'units that may be spent at once (default: the limit)', positiveInteger('--burst')),
  ).action(
    action(async (options: AdminOptions & SubjectOptions & { name: string; limit: number; windowSeconds?: number; burst?: number }) => {
      const body = { ...subject(options, true), limitName: options.name, limit: options.limit, windowSeconds: options.windowSeconds, burst: options.burst };
      const override = (await adminCall(options, 'POST', '/v1/rate-limit-overrides', body)) as Record<string, unknown>;
      print(options, override, () => table([override], COLUMNS));
    }),
  );

  addAdminOptions(limits.command('list').description('list overrides').option('--consumer <id>', 'only this consumer\'s').option('--key <id>', 'only this key\'s')).action(
    action(async (options: AdminOptions & SubjectOptions) => {
      const filter = subject(options, false);
      const query = filter ? `?subjectType=${filter.subjectType}&subjectId=${encodeURIComponent(filter.subjectId)}` : '';
      const items = await adminList<Record<string, unknown>>(options, `/v1/rate-limit-overrides${query}`);
      print(options, items, () => table(items, COLUMNS));
    }),
  );

  addAdminOptions(limits.command('delete').description('delete an override: the configured numbers apply again').argument('<id>')).action(
    action(async (id: string, options: AdminOptions) => {
      const result = await adminCall(options, 'DELETE', `/v1/rate-limit-overrides/${encodeURIComponent(id)}`);
      print(options, result, () => `deleted ${id}\n`);
    }),
  );
}
