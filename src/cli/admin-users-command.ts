/**
 * `portcullis users …`, `roles …`, `admin-tokens …`, `whoami` and `rbac explain` through the admin
 * API (docs/admin.md). Secrets (invitation and reset codes, admin tokens) are printed once; a
 * password is read from standard input, never taken as a flag (flags show in process listings).
 */
import type { Command } from 'commander';
import { action, addAdminOptions, adminCall, adminList, CliError, print, table, type AdminOptions } from './admin-client.js';

const USER_COLUMNS = ['id', 'name', 'email', 'status', 'roles', 'passwordSet', 'updatedAt'];
const TOKEN_COLUMNS = ['id', 'name', 'userId', 'status', 'permissions', 'expiresAt', 'lastUsedAt', 'lastUsedIp'];
const ROLE_COLUMNS = ['name', 'builtIn', 'description'];

type Row = Record<string, unknown>;
const enc = encodeURIComponent;

function showOnce(what: string, secret: string, expiresAt?: unknown): string {
  return `\n${what} (shown only this once${expiresAt ? `; valid until ${String(expiresAt)}` : ''}):\n\n  ${secret}\n\n`;
}

/** The password: the first line of standard input (piped, or typed at the prompt). */
async function readPassword(): Promise<string> {
  if (process.stdin.isTTY) process.stderr.write('password (at least 12 characters): ');
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) {
    chunks.push(chunk as Buffer);
    if (Buffer.concat(chunks).includes(10)) break;
  }
  const password = Buffer.concat(chunks).toString('utf8').split(/\r?\n/)[0] ?? '';
  if (password === '') throw new CliError('no password on standard input');
  return password;
}

export function registerUsersCommand(program: Command): void {
  const users = program.command('users').description('admin users: invite, disable, delete, roles, password resets (through the admin API)');
  addAdminOptions(users.command('list').description('list admin users')).action(
    action(async (options: AdminOptions) => {
      const items = await adminList<Row>(options, '/v1/users');
      print(options, items, () => table(items, USER_COLUMNS));
    }),
  );
  addAdminOptions(users.command('show').description('show one admin user').argument('<id>')).action(
    action(async (id: string, options: AdminOptions) => {
      const user = (await adminCall(options, 'GET', `/v1/users/${enc(id)}`)) as Row;
      print(options, user, () => table([user], [...USER_COLUMNS, 'createdBy', 'createdAt']));
    }),
  );
  addAdminOptions(
    users.command('invite').description('invite an admin user (prints their one-time invitation code)').argument('<name>').requiredOption('--email <email>', 'their email').requiredOption('--role <role...>', 'roles (repeatable)'),
  ).action(
    action(async (name: string, options: AdminOptions & { email: string; role: string[] }) => {
      const created = (await adminCall(options, 'POST', '/v1/users', { name, email: options.email, roles: options.role })) as { user: Row; invitation: { code: string; expiresAt: string } };
      print(options, created, () => table([created.user], USER_COLUMNS) + showOnce('invitation code (give it to them; they run `portcullis users accept-invitation`)', created.invitation.code, created.invitation.expiresAt));
    }),
  );
  for (const [verb, path, summary] of [
    ['disable', 'disable', 'disable an admin user (their sessions and tokens stop)'],
    ['enable', 'enable', 'enable a disabled admin user'],
  ] as const) {
    addAdminOptions(users.command(verb).description(summary).argument('<id>')).action(
      action(async (id: string, options: AdminOptions) => {
        const user = (await adminCall(options, 'POST', `/v1/users/${enc(id)}/${path}`, {})) as Row;
        print(options, user, () => table([user], USER_COLUMNS));
      }),
    );
  }
  addAdminOptions(users.command('delete').description('delete an admin user and their tokens').argument('<id>')).action(
    action(async (id: string, options: AdminOptions) => {
      const user = (await adminCall(options, 'DELETE', `/v1/users/${enc(id)}`)) as Row;
      print(options, user, () => `deleted ${String(user.name)} (${String(user.id)})\n`);
    }),
  );
  addAdminOptions(users.command('set-roles').description("replace an admin user's roles").argument('<id>').requiredOption('--role <role...>', 'roles (repeatable)')).action(
    action(async (id: string, options: AdminOptions & { role: string[] }) => {
      const user = (await adminCall(options, 'POST', `/v1/users/${enc(id)}/roles`, { roles: options.role })) as Row;
      print(options, user, () => table([user], USER_COLUMNS));
    }),
  );
  addAdminOptions(users.command('reset-password').description('a one-time password-reset code for an admin user (printed once)').argument('<id>')).action(
    action(async (id: string, options: AdminOptions) => {
      const issued = (await adminCall(options, 'POST', `/v1/users/${enc(id)}/reset-password`, {})) as { code: string; expiresAt: string };
      print(options, issued, () => showOnce('password-reset code (they run `portcullis users complete-reset`)', issued.code, issued.expiresAt));
    }),
  );
  for (const [verb, path, summary] of [
    ['accept-invitation', '/v1/invitations/accept', 'accept an invitation: set your password (read from standard input)'],
    ['complete-reset', '/v1/password-resets/complete', 'set a new password with a reset code (password read from standard input)'],
  ] as const) {
    addAdminOptions(users.command(verb).description(summary).requiredOption('--code <code>', 'the one-time code you were given')).action(
      action(async (options: AdminOptions & { code: string }) => {
        const user = (await adminCall({ ...options, token: options.token ?? 'none' }, 'POST', path, { code: options.code, password: await readPassword() })) as Row;
        print(options, user, () => `password set for ${String(user.name)}: sign in with \`portcullis login\`\n`);
      }),
    );
  }
}

export function registerRolesCommand(program: Command): void {
  const roles = program.command('roles').description('roles and the permission table; custom roles (through the admin API)');
  addAdminOptions(roles.command('list').description('list the built-in and custom roles')).action(
    action(async (options: AdminOptions) => {
      const { items } = (await adminCall(options, 'GET', '/v1/roles')) as { items: Row[] };
      print(options, items, () => table(items, ROLE_COLUMNS));
    }),
  );
  addAdminOptions(roles.command('show').description('show a role and its permissions').argument('<name>')).action(
    action(async (name: string, options: AdminOptions) => {
      const role = (await adminCall(options, 'GET', `/v1/roles/${enc(name)}`)) as Row & { permissions: string[] };
      print(options, role, () => table([role], ROLE_COLUMNS) + `\n${role.permissions.map((p) => `  ${p}`).join('\n')}\n`);
    }),
  );
  addAdminOptions(roles.command('permissions').description('the permission table: every permission and what it allows')).action(
    action(async (options: AdminOptions) => {
      const { items } = (await adminCall(options, 'GET', '/v1/permissions')) as { items: Row[] };
      print(options, items, () => table(items, ['name', 'description']));
    }),
  );
  for (const verb of ['create', 'update'] as const) {
    addAdminOptions(
      roles
        .command(verb)
        .description(verb === 'create' ? 'create a custom role from permissions you hold' : "replace a custom role's permissions")
        .argument('<name>')
        .requiredOption('--permission <permission...>', 'permissions (repeatable)')
        .option('--description <text>', 'what the role is for'),
    ).action(
      action(async (name: string, options: AdminOptions & { permission: string[]; description?: string }) => {
        const body = { permissions: options.permission, ...(options.description === undefined ? {} : { description: options.description }) };
        const role = (await adminCall(options, 'POST', verb === 'create' ? '/v1/roles' : `/v1/roles/${enc(name)}`, verb === 'create' ? { name, ...body } : body)) as Row;
        print(options, role, () => table([role], [...ROLE_COLUMNS, 'permissions']));
      }),
    );
  }
  addAdminOptions(roles.command('delete').description('delete a custom role no user holds').argument('<name>')).action(
    action(async (name: string, options: AdminOptions) => {
      const deleted = await adminCall(options, 'DELETE', `/v1/roles/${enc(name)}`);
      print(options, deleted, () => `deleted role ${name}\n`);
    }),
  );
}

export function registerAdminTokensCommand(program: Command): void {
  const tokens = program.command('admin-tokens').description('scoped admin tokens (ptc_adm_…) for automation (through the admin API)');
  addAdminOptions(tokens.command('list').description('list admin tokens (never the tokens themselves)').option('--user <id>', "only this user's")).action(
    action(async (options: AdminOptions & { user?: string }) => {
      const items = await adminList<Row>(options, `/v1/admin-tokens${options.user ? `?userId=${enc(options.user)}` : ''}`);
      print(options, items, () => table(items, TOKEN_COLUMNS));
    }),
  );
  addAdminOptions(tokens.command('show').description('show one admin token').argument('<id>')).action(
    action(async (id: string, options: AdminOptions) => {
      const token = (await adminCall(options, 'GET', `/v1/admin-tokens/${enc(id)}`)) as Row;
      print(options, token, () => table([token], [...TOKEN_COLUMNS, 'createdBy', 'replacedBy', 'revokedAt']));
    }),
  );
  addAdminOptions(
    tokens
      .command('create')
      .description('create an admin token for yourself with some of your permissions (printed once)')
      .argument('<name>')
      .requiredOption('--permission <permission...>', 'permissions (repeatable)')
      .option('--expires-in-days <days>', 'days until expiry (default admin.tokens.defaultExpiryDays)'),
  ).action(
    action(async (name: string, options: AdminOptions & { permission: string[]; expiresInDays?: string }) => {
      const created = (await adminCall(options, 'POST', '/v1/admin-tokens', { name, permissions: options.permission, expiresInDays: options.expiresInDays === undefined ? undefined : Number(options.expiresInDays) })) as { secret: string; adminToken: Row };
      print(options, created, () => table([created.adminToken], TOKEN_COLUMNS) + showOnce('admin token (store it in your CI secret store now)', created.secret));
    }),
  );
  addAdminOptions(tokens.command('rotate').description('replace an admin token; the old one works until the grace period ends').argument('<id>').option('--grace-seconds <seconds>', 'how long the old token keeps working', '86400')).action(
    action(async (id: string, options: AdminOptions & { graceSeconds: string }) => {
      const rotated = (await adminCall(options, 'POST', `/v1/admin-tokens/${enc(id)}/rotate`, { gracePeriodSeconds: Number(options.graceSeconds) })) as { secret: string; adminToken: Row; previous: Row };
      print(options, rotated, () => table([rotated.previous, rotated.adminToken], TOKEN_COLUMNS) + showOnce('new admin token', rotated.secret));
    }),
  );
  addAdminOptions(tokens.command('revoke').description('revoke an admin token now, on every node').argument('<id>')).action(
    action(async (id: string, options: AdminOptions) => {
      const token = (await adminCall(options, 'POST', `/v1/admin-tokens/${enc(id)}/revoke`, {})) as Row;
      print(options, token, () => table([token], TOKEN_COLUMNS));
    }),
  );
}

export function registerWhoamiCommand(program: Command): void {
  addAdminOptions(program.command('whoami').description('who the admin API takes you for: user or token, roles, permissions')).action(
    action(async (options: AdminOptions) => {
      const me = (await adminCall(options, 'GET', '/v1/whoami')) as { kind: string; id: string; name: string | null; roles: string[]; credentialId: string | null; mfa: boolean; permissions: string[] };
      print(options, me, () => `${me.kind} ${me.name ?? me.id}${me.credentialId && me.credentialId !== me.id ? ` (credential ${me.credentialId})` : ''}\nroles: ${me.roles.join(', ') || '-'}\nsecond factor: ${me.mfa ? 'yes' : 'no'}\npermissions:\n${me.permissions.map((p) => `  ${p}`).join('\n')}\n`);
    }),
  );
}

export function registerRbacCommand(program: Command): void {
  const rbac = program.command('rbac').description('explain admin access decisions');
  addAdminOptions(rbac.command('explain').description('would this user or token be allowed METHOD path, and why').requiredOption('--as <user|token>', 'a user id, name or email, or an admin token id').argument('<method>').argument('<path>')).action(
    action(async (method: string, path: string, options: AdminOptions & { as: string }) => {
      const query = new URLSearchParams({ as: options.as, method, path });
      const found = (await adminCall(options, 'GET', `/v1/rbac/explain?${query}`)) as { decision: string; reasons: string[] };
      print(options, found, () => `${found.decision.toUpperCase()}\n${found.reasons.map((reason) => `  - ${reason}`).join('\n')}\n`);
      if (found.decision !== 'allow') process.exitCode = 2;
    }),
  );
}

export function registerAdminUsersCommands(program: Command): void {
  registerUsersCommand(program);
  registerRolesCommand(program);
  registerAdminTokensCommand(program);
  registerWhoamiCommand(program);
  registerRbacCommand(program);
}
