/** `portcullis signing-keys …`: the built-in authorization server's token signing keys. */
import type { Command } from 'commander';
import { action, addAdminOptions, adminCall, adminList, print, table, type AdminOptions } from './admin-client.js';

const COLUMNS = ['kid', 'algorithm', 'status', 'published', 'createdAt', 'retiredAt', 'publishUntil'];

export function registerSigningKeysCommand(program: Command): void {
  const keys = program.command('signing-keys').description('OAuth token signing keys of the built-in authorization server');

  addAdminOptions(keys.command('list').description('list signing keys; retired keys stay published until their tokens expire')).action(
    action(async (options: AdminOptions) => {
      const items = await adminList<Record<string, unknown>>(options, '/v1/oauth/signing-keys');
      print(options, items, () => table(items, COLUMNS));
    }),
  );

  addAdminOptions(keys.command('rotate').description('make a new signing key active now (e.g. after a suspected leak)')).action(
    action(async (options: AdminOptions) => {
      const { items } = (await adminCall(options, 'POST', '/v1/oauth/signing-keys/rotate', {})) as { items: Array<Record<string, unknown>> };
      print(options, items, () => table(items, COLUMNS));
    }),
  );
}
