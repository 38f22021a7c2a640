import type { Command } from 'commander';
import { action, addAdminOptions, adminCall, adminList, print, table, type AdminOptions } from './admin-client.js';

const COLUMNS = ['id', 'consumerId', 'name', 'status', 'scopes', 'expiresAt', 'lastUsedAt', 'age'];

type KeyView = Record<string, unknown> & { pastWarningAge?: boolean };
const withAge = (key: KeyView) => ({ ...key, age: key.pastWarningAge ? 'ROTATE' : 'ok' });

function showOnce(key: string): string {
  return `\nAPI key (shown only this once; store it in a secret manager now):\n\n  ${key}\n\n`;
}

export function registerKeysCommand(program: Command): void {
  const keys = program.command('keys').description('manage API keys through the admin API');

  addAdminOptions(
    keys
      .command('create')
      .description('issue a key for a consumer (the key is printed once)')
      .requiredOption('--consumer <id>', 'consumer id')
      .requiredOption('--name <name>', 'what the key is for')
      .option('--scope <scope...>', 'scopes (repeatable)')
      .option('--expires-in-days <days>', 'days until expiry (at most apiKeys.maxAgeDays)')
      .option('--environment <env>', 'key environment, e.g. test'),
  ).action(
    action(async (options: AdminOptions & { consumer: string; name: string; scope?: string[]; expiresInDays?: string; environment?: string }) => {
      const created = (await adminCall(options, 'POST', '/v1/keys', {
        consumerId: options.consumer,
        name: options.name,
        scopes: options.scope ?? [],
        expiresInDays: options.expiresInDays === undefined ? undefined : Number(options.expiresInDays),
        environment: options.environment,
      })) as { secret: string; apiKey: KeyView };
      print(options, created, () => table([withAge(created.apiKey)], COLUMNS) + showOnce(created.secret));
    }),
  );

  addAdminOptions(keys.command('list').description('list keys; AGE says ROTATE past apiKeys.warnAgeDays').option('--consumer <id>', 'only this consumer')).action(
    action(async (options: AdminOptions & { consumer?: string }) => {
      const query = options.consumer ? `?consumerId=${encodeURIComponent(options.consumer)}` : '';
      const items = await adminList<KeyView>(options, `/v1/keys${query}`);
      print(options, items, () => table(items.map(withAge), COLUMNS));
    }),
  );

  addAdminOptions(keys.command('show').description('show one key (never the key itself)').argument('<id>')).action(
    action(async (id: string, options: AdminOptions) => {
      const key = (await adminCall(options, 'GET', `/v1/keys/${encodeURIComponent(id)}`)) as KeyView;
      print(options, key, () => table([withAge(key)], [...COLUMNS, 'createdBy', 'replacedBy', 'revokedAt']));
    }),
  );

  addAdminOptions(
    keys
      .command('rotate')
      .description('issue a replacement; the old key keeps working until the grace period ends')
      .argument('<id>')
      .option('--grace-seconds <seconds>', 'how long the old key keeps working', '86400')
      .option('--expires-in-days <days>', 'days until the new key expires'),
  ).action(
    action(async (id: string, options: AdminOptions & { graceSeconds: string; expiresInDays?: string }) => {
      const rotated = (await adminCall(options, 'POST', `/v1/keys/${encodeURIComponent(id)}/rotate`, {
        gracePeriodSeconds: Number(options.graceSeconds),
        expiresInDays: options.expiresInDays === undefined ? undefined : Number(options.expiresInDays),
      })) as { secret: string; apiKey: KeyView; previous: KeyView };
      print(options, rotated, () => table([withAge(rotated.previous), withAge(rotated.apiKey)], COLUMNS) + showOnce(rotated.secret));
    }),
  );

  addAdminOptions(keys.command('revoke').description('revoke a key now, on every node').argument('<id>')).action(
    action(async (id: string, options: AdminOptions) => {
      const key = (await adminCall(options, 'POST', `/v1/keys/${encodeURIComponent(id)}/revoke`)) as KeyView;
      print(options, key, () => table([withAge(key)], COLUMNS));
    }),
  );
}
