/**
 * `portcullis login`, `mfa enrol`, `whoami` with the stored session, and `logout`, against a real
 * admin listener: the session file is readable by its owner only, and the password goes through
 * stdin, never a flag.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { totpCodeAt } from '../src/admin/mfa/totp.js';
import type { AdminPrincipal } from '../src/core/actor.js';
import { sqliteLocation, startAdminApi, type StandaloneAdminApi } from './helpers/admin-api.js';
import { CLI } from './helpers/cli.js';
import { testAuthConfig } from './helpers/sign-in.js';

const PASSWORD = 'Marmalade-Orbit-5531-Quill';
const BOOTSTRAP: AdminPrincipal = { kind: 'bootstrap-token', id: 'bootstrap', permissions: ['*'] };
let api: StandaloneAdminApi;
const configDir = mkdtempSync(join(tmpdir(), 'portcullis-cli-session-'));

function cli(args: string[], stdin = ''): Promise<{ status: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const env: NodeJS.ProcessEnv = { ...process.env, PORTCULLIS_CONFIG_DIR: configDir, PORTCULLIS_ADMIN_URL: api.url };
    delete env.PORTCULLIS_ADMIN_TOKEN;
    const child = spawn(process.execPath, [CLI, ...args], { env });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (data: Buffer) => (stdout += data.toString()));
    child.stderr.on('data', (data: Buffer) => (stderr += data.toString()));
    child.once('close', (status) => resolve({ status, stdout, stderr }));
    child.stdin.end(stdin);
  });
}

before(async () => {
  api = await startAdminApi(sqliteLocation(), { signIn: testAuthConfig() });
  const { invitation } = await api.admin.users.invite(BOOTSTRAP, { name: 'dana', email: 'dana@example.com', roles: ['owner'] });
  await api.admin.users.acceptInvitation(invitation.code, PASSWORD);
});
after(() => api.close());

test('login stores a session only its user can read; whoami, mfa enrol and logout use it', async () => {
  const wrong = await cli(['login', '--name', 'dana'], 'not the password\n');
  assert.equal(wrong.status, 1);
  assert.match(wrong.stderr, /401 admin\.login_failed/);

  const login = await cli(['login', '--name', 'dana'], `${PASSWORD}\n`);
  assert.equal(login.status, 0, login.stderr);
  const file = join(configDir, 'session.json');
  assert.equal(statSync(file).mode & 0o777, 0o600);

  const whoami = await cli(['whoami', '--json']);
  assert.equal(whoami.status, 0, whoami.stderr);
  assert.equal(JSON.parse(whoami.stdout).name, 'dana');

  const started = await cli(['mfa', 'enrol']);
  assert.equal(started.status, 0, started.stderr);
  const secret = /by hand: ([A-Z2-7]+)/.exec(started.stdout)![1]!;
  const confirmed = await cli(['mfa', 'enrol', '--code', totpCodeAt(secret, Date.now())]);
  assert.equal(confirmed.status, 0, confirmed.stderr);
  assert.equal(confirmed.stdout.match(/^ {2}[a-z2-7]{4}-/gm)?.length, 10);

  const logout = await cli(['logout']);
  assert.equal(logout.status, 0, logout.stderr);
  assert.equal(existsSync(file), false);
  const after = await cli(['whoami']);
  assert.equal(after.status, 1);
  assert.match(after.stderr, /portcullis login/);
});
