import { InvalidArgumentError, type Command } from 'commander';
import { KeyAgePolicyError, parseDayDuration } from '../keys/key-age-policy.js';
import { action, addAdminOptions, adminCall, adminList, print, table, type AdminOptions } from './admin-client.js';

const COLUMNS = ['id', 'consumerId', 'name', 'status', 'scopes', 'expiresAt', 'lastUsedAt', 'age'];
/** A listing also shows when each key ends by its consumer's age policy. */
const LIST_COLUMNS = ['id', 'consumerId', 'name', 'status', 'scopes', 'expiresAt', 'policyExpiresAt', 'lastUsedAt', 'age'];

/** A commander parser for `30d`: checked here so a typo is an error, not an unfiltered list. */
function days(option: string): (value: string) => string {
  return (value: string) => {
    try {
      parseDayDuration(value, option);
      return value;
    } catch (error) {
      if (error instanceof KeyAgePolicyError) throw new InvalidArgumentError(error.message);
      throw error;
    }
  };
}

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

  addAdminOptions(
    keys
      .command('list')
      .description("list keys; AGE says ROTATE past the consumer's warn age; POLICYEXPIRESAT is when the key ends by its expiry or its age policy")
      .option('--consumer <id>', 'only this consumer')
      .option('--expiring <days>', 'only active keys that end within this many days, e.g. 30d (and those already past their policy)', days('--expiring'))
      .option('--older-than <days>', 'only active keys created more than this many days ago, e.g. 90d', days('--older-than')),
  ).action(
    action(async (options: AdminOptions & { consumer?: string; expiring?: string; olderThan?: string }) => {
      const filters = new URLSearchParams();
      if (options.consumer) filters.set('consumerId', options.consumer);
      if (options.expiring) filters.set('expiring', options.expiring);
      if (options.olderThan) filters.set('olderThan', options.olderThan);
      const query = filters.size === 0 ? '' : `?${filters}`;
      const items = await adminList<KeyView>(options, `/v1/keys${query}`);
      print(options, items, () => table(items.map(withAge), LIST_COLUMNS));
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
