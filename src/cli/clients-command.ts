/** `portcullis clients …`: OAuth clients of the built-in authorization server, over the admin API. */
import { readFileSync } from 'node:fs';
import type { Command } from 'commander';
import { action, addAdminOptions, adminCall, adminList, CliError, print, table, type AdminOptions } from './admin-client.js';

const COLUMNS = ['clientId', 'consumerId', 'name', 'status', 'scopes', 'authMethods', 'previousSecretValidUntil'];

type ClientView = Record<string, unknown>;

function showSecretOnce(clientId: string, secret: string | undefined): string {
  if (secret === undefined) return '';
  return `\nclient_id:     ${clientId}\nclient_secret (shown only this once; store it in a secret manager now):\n\n  ${secret}\n\n`;
}

function readJwks(path: string | undefined): unknown {
  if (path === undefined) return undefined;
  try {
    return JSON.parse(readFileSync(path, 'utf8')) as unknown;
  } catch (error) {
    throw new CliError(`--jwks ${path}: ${(error as Error).message}`);
  }
}

export function registerClientsCommand(program: Command): void {
  const clients = program.command('clients').description('manage OAuth clients of the built-in authorization server through the admin API');

  addAdminOptions(
    clients
      .command('create')
      .description('create a client for a consumer (the secret is printed once)')
      .requiredOption('--consumer <id>', 'consumer id')
      .requiredOption('--name <name>', 'what the client is for')
      .option('--scope <scope...>', 'scopes the client may be granted (repeatable)')
      .option('--jwks <file>', 'a JSON file with the public keys of the client ({"keys": [...]}) for private_key_jwt')
      .option('--no-secret', 'no client secret (a private_key_jwt-only client)'),
  ).action(
    action(async (options: AdminOptions & { consumer: string; name: string; scope?: string[]; jwks?: string; secret: boolean }) => {
      const created = (await adminCall(options, 'POST', '/v1/oauth/clients', {
        consumerId: options.consumer,
        name: options.name,
        scopes: options.scope ?? [],
        jwks: readJwks(options.jwks),
        secret: options.secret,
      })) as { clientSecret?: string; client: ClientView };
      print(options, created, () => table([created.client], COLUMNS) + showSecretOnce(String(created.client.clientId), created.clientSecret));
    }),
  );

  addAdminOptions(clients.command('list').description('list clients').option('--consumer <id>', 'only this consumer')).action(
    action(async (options: AdminOptions & { consumer?: string }) => {
      const query = options.consumer ? `?consumerId=${encodeURIComponent(options.consumer)}` : '';
      const items = await adminList<ClientView>(options, `/v1/oauth/clients${query}`);
      print(options, items, () => table(items, COLUMNS));
    }),
  );

  addAdminOptions(clients.command('show').description('show one client (never its secret)').argument('<client-id>')).action(
    action(async (id: string, options: AdminOptions) => {
      const client = (await adminCall(options, 'GET', `/v1/oauth/clients/${encodeURIComponent(id)}`)) as ClientView;
      print(options, client, () => table([client], [...COLUMNS, 'jwksKeyIds', 'createdAt', 'revokedAt']));
    }),
  );

  addAdminOptions(
    clients
      .command('rotate')
      .description('issue a new secret; the old one keeps working until the grace period ends')
      .argument('<client-id>')
      .option('--grace-seconds <seconds>', 'how long the old secret keeps working', '86400'),
  ).action(
    action(async (id: string, options: AdminOptions & { graceSeconds: string }) => {
      const rotated = (await adminCall(options, 'POST', `/v1/oauth/clients/${encodeURIComponent(id)}/rotate`, { gracePeriodSeconds: Number(options.graceSeconds) })) as { clientSecret: string; client: ClientView };
      print(options, rotated, () => table([rotated.client], COLUMNS) + showSecretOnce(id, rotated.clientSecret));
    }),
  );

  addAdminOptions(clients.command('revoke').description('revoke a client and every token it holds, on every node').argument('<client-id>')).action(
    action(async (id: string, options: AdminOptions) => {
      const client = (await adminCall(options, 'POST', `/v1/oauth/clients/${encodeURIComponent(id)}/revoke`)) as ClientView;
      print(options, client, () => table([client], COLUMNS));
    }),
  );
}
