/**
 * The admin-user commands end to end: a real gateway with a SQLite store, the real CLI as a child
 * process. The bootstrap token invites the first owner, the owner's accepted invitation (password
 * on standard input) disables it, and break-glass from the host (config + store) re-enables it.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { runCliAsync, spawnCli } from './helpers/cli.js';
import { startGateway, startUpstream, type TestGateway, type TestUpstream } from './helpers/index.js';
import { ADMIN_TOKEN, KEY_ENV, keysConfig } from './helpers/keys.js';
import { TEST_PASSWORD } from './helpers/admin-users.js';

describe('users, roles, whoami, rbac explain and admin break-glass commands', () => {
  let upstream: TestUpstream;
  let gw: TestGateway;
  let env: NodeJS.ProcessEnv;
  let configPath: string;
  const cli = (...args: string[]) => runCliAsync(args, env);

  before(async () => {
    upstream = await startUpstream();
    const config = keysConfig(upstream.url);
    configPath = join(mkdtempSync(join(tmpdir(), 'portcullis-admin-cli-')), 'portcullis.json');
    writeFileSync(configPath, JSON.stringify(config));
    gw = await startGateway(config, { env: KEY_ENV });
    env = { ...KEY_ENV, PORTCULLIS_ADMIN_URL: gw.gateway.adminUrl, PORTCULLIS_ADMIN_TOKEN: ADMIN_TOKEN };
  });
  after(async () => {
    await gw.close();
    await upstream.close();
  });

  test('the first owner is invited, sets a password from standard input, and the bootstrap token stops; break-glass brings it back', async () => {
    const invited = await cli('users', 'invite', 'olivia', '--email', 'olivia@example.test', '--role', 'owner', '--json');
    assert.equal(invited.status, 0, invited.stderr);
    const { user, invitation } = JSON.parse(invited.stdout) as { user: { id: string }; invitation: { code: string } };
    assert.match((await cli('users', 'list')).stdout, /olivia\s+olivia@example\.test\s+invited\s+owner/);

    const accept = spawnCli(['users', 'accept-invitation', '--code', invitation.code], env);
    accept.child.stdin.end(`${TEST_PASSWORD}\n`);
    assert.equal(await accept.exited, 0, accept.output());
    assert.match(accept.output(), /password set for olivia/);

    const refused = await cli('whoami');
    assert.equal(refused.status, 1);
    assert.match(refused.stderr, /401 admin\.unauthorized: .*break-glass/);

    const glass = await cli('admin', 'break-glass', '--config', configPath, '--for', '5');
    assert.equal(glass.status, 0, glass.stderr);
    assert.match(glass.stdout, /works again until/);
    assert.equal(JSON.parse(glass.stderr.trim().split('\n').at(-1)!).event, 'admin.break_glass');

    const whoami = await cli('whoami');
    assert.equal(whoami.status, 0, whoami.stderr);
    assert.match(whoami.stdout, /^bootstrap-token bootstrap/);

    const explained = await cli('rbac', 'explain', '--as', 'olivia', 'POST', `/v1/users/${user.id}/disable`);
    assert.equal(explained.status, 0, explained.stderr);
    assert.match(explained.stdout, /^ALLOW\n/);
    assert.match(explained.stdout, /needs users:write/);
    assert.match(explained.stdout, /through the role owner/);
  });

  test('roles: the built-in ones, the permission table, a custom role; rbac explain says why a role is refused', async () => {
    const listed = await cli('roles', 'list');
    for (const role of ['owner', 'admin', 'operator', 'security', 'auditor', 'viewer']) assert.match(listed.stdout, new RegExp(`^${role}\\s+true`, 'm'));
    assert.match((await cli('roles', 'permissions')).stdout, /credentials:reveal\s+reveal the value/);
    const created = await cli('roles', 'create', 'key-reader', '--permission', 'keys:read', '--permission', 'consumers:read');
    assert.equal(created.status, 0, created.stderr);
    const typo = await cli('roles', 'create', 'typo', '--permission', 'keys:raed');
    assert.equal(typo.status, 1);
    assert.match(typo.stderr, /Unknown permission: keys:raed/);

    const invited = JSON.parse((await cli('users', 'invite', 'kim', '--email', 'kim@example.test', '--role', 'key-reader', '--json')).stdout) as { user: { id: string } };
    const denied = await cli('rbac', 'explain', '--as', invited.user.id, 'POST', '/v1/keys');
    assert.equal(denied.status, 2);
    assert.match(denied.stdout, /^DENY\n/);
    assert.match(denied.stdout, /invited/);
    assert.match((await cli('admin-tokens', 'list')).stdout, /^ID\s+NAME/);
  });
});
