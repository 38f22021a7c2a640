import type { Command } from 'commander';
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
