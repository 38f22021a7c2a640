import { InvalidArgumentError, type Command } from 'commander';
import { KEY_MAX_AGE_LIMIT_DAYS } from '../keys/key-age-policy.js';
import { action, addAdminOptions, adminCall, adminList, CliError, print, table, type AdminOptions } from './admin-client.js';

const COLUMNS = ['id', 'name', 'status', 'createdAt'];

export function registerConsumersCommand(program: Command): void {
  const consumers = program.command('consumers').description('manage consumers (partners and applications) through the admin API');

  addAdminOptions(consumers.command('create').description('create a consumer').argument('<name>', 'unique name').option('--metadata <json>', 'metadata as a JSON object')).action(
    action(async (name: string, options: AdminOptions & { metadata?: string }) => {
      let metadata: unknown;
      try {
        metadata = options.metadata === undefined ? undefined : JSON.parse(options.metadata);
      } catch {
        throw new CliError('--metadata must be a JSON object');
      }
      const consumer = (await adminCall(options, 'POST', '/v1/consumers', { name, metadata })) as Record<string, unknown>;
      print(options, consumer, () => table([consumer], COLUMNS));
    }),
  );

  addAdminOptions(
    consumers
      .command('update')
      .description("change a consumer's metadata: --metadata is merged in (JSON Merge Patch: null removes a member); --max-age-days sets its key-age policy")
      .argument('<id>')
      .option('--metadata <json>', 'a JSON object merged into the metadata, e.g. \'{"team":"payments","old":null}\'')
      .option('--max-age-days <days>', `the consumer's key-age policy (apiKeys.maxAgeDays), 1-${KEY_MAX_AGE_LIMIT_DAYS}, or none to fall back to the organisation's`, maxAgeDays),
  ).action(
    action(async (id: string, options: AdminOptions & { metadata?: string; maxAgeDays?: number | 'none' }) => {
      if (options.metadata === undefined && options.maxAgeDays === undefined) throw new CliError('nothing to change: give --metadata and/or --max-age-days');
      let metadata: Record<string, unknown> = {};
      if (options.metadata !== undefined) {
        let parsed: unknown;
        try {
          parsed = JSON.parse(options.metadata);
        } catch {
          parsed = undefined;
        }
        if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) throw new CliError('--metadata must be a JSON object');
        metadata = parsed as Record<string, unknown>;
      }
      if (options.maxAgeDays !== undefined) {
        const section = metadata.apiKeys;
        metadata = { ...metadata, apiKeys: { ...(section !== null && typeof section === 'object' && !Array.isArray(section) ? section : {}), maxAgeDays: options.maxAgeDays === 'none' ? null : options.maxAgeDays } };
      }
      const consumer = (await adminCall(options, 'PATCH', `/v1/consumers/${encodeURIComponent(id)}`, { metadata })) as Record<string, unknown>;
      print(options, consumer, () => table([consumer], [...COLUMNS, 'metadata']).replace(/\[object Object\]/, JSON.stringify(consumer.metadata)));
    }),
  );

  addAdminOptions(consumers.command('list').description('list consumers')).action(
    action(async (options: AdminOptions) => {
      const items = await adminList<Record<string, unknown>>(options, '/v1/consumers');
      print(options, items, () => table(items, COLUMNS));
    }),
  );

  addAdminOptions(consumers.command('show').description('show one consumer').argument('<id>')).action(
    action(async (id: string, options: AdminOptions) => {
      const consumer = (await adminCall(options, 'GET', `/v1/consumers/${encodeURIComponent(id)}`)) as Record<string, unknown>;
      print(options, consumer, () => table([consumer], [...COLUMNS, 'metadata']).replace(/\[object Object\]/, JSON.stringify(consumer.metadata)));
    }),
  );

  for (const [verb, description] of [
    ['disable', 'disable a consumer: all of its keys stop at once'],
    ['enable', 'enable a disabled consumer again'],
  ] as const) {
    addAdminOptions(consumers.command(verb).description(description).argument('<id>')).action(
      action(async (id: string, options: AdminOptions) => {
        const consumer = (await adminCall(options, 'POST', `/v1/consumers/${encodeURIComponent(id)}/${verb}`)) as Record<string, unknown>;
        print(options, consumer, () => table([consumer], COLUMNS));
      }),
    );
  }
}

/** --max-age-days: a whole number of days, or `none` (sent as null: the merge patch removes the override; commander would turn a null into ''). */
function maxAgeDays(value: string): number | 'none' {
  if (value === 'none') return 'none';
  if (!/^[1-9][0-9]{0,3}$/.test(value) || Number(value) > KEY_MAX_AGE_LIMIT_DAYS) throw new InvalidArgumentError(`must be a whole number of days from 1 to ${KEY_MAX_AGE_LIMIT_DAYS}, or none`);
  return Number(value);
}
