/**
 * Admin users, roles and the bootstrap token through the admin API on SQLite and PostgreSQL
 * (issue 18 §1, §2): invitation codes that work once and expire, the password policy, the
 * bootstrap token disabled by the first owner and re-enabled by break-glass, the last owner kept,
 * and the escalations refused.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { ManualClock } from '../src/core/clock.js';
import { activeUser, principalOf, sessionOf, TEST_PASSWORD, testSessionAuthenticator } from './helpers/admin-users.js';
import { startAdminApi, type StandaloneAdminApi } from './helpers/admin-api.js';
import { STORE_BACKENDS } from './helpers/store-backends.js';

const json = async (reply: Response) => ({ status: reply.status, body: (await reply.json()) as Record<string, any> });

for (const backend of STORE_BACKENDS) {
  describe(`admin users on ${backend.name}`, { skip: backend.skip }, () => {
    let api: StandaloneAdminApi;
    let cleanup: () => Promise<void>;
    const clock = new ManualClock(Date.now());
    before(async () => {
      const opened = await backend.open();
      cleanup = opened.cleanup;
      api = await startAdminApi(opened.location, { clock });
      api.admin.addAuthenticator(testSessionAuthenticator(api.admin), 'first');
    });
    after(async () => {
      await api.close();
      await cleanup();
    });

    test('the bootstrap token invites the first owner, whose accepted invitation disables the bootstrap token', async () => {
      const invited = await json(await api.call('POST', '/v1/users', { body: { name: 'olivia', email: 'Olivia@Example.test', roles: ['owner'] } }));
      assert.equal(invited.status, 201, JSON.stringify(invited.body));
      assert.equal(invited.body.user.status, 'invited');
      assert.equal(invited.body.user.email, 'olivia@example.test');
      assert.match(invited.body.invitation.code, /^ptc_inv_[0-9A-Za-z]{32}_[0-9A-Za-z]{6}$/);
      // Still enabled while the owner has not set a password.
      assert.equal((await api.call('GET', '/v1/users')).status, 200);

      const accepted = await json(await api.call('POST', '/v1/invitations/accept', { token: undefined, body: { code: invited.body.invitation.code, password: TEST_PASSWORD } }));
      assert.equal(accepted.status, 200, JSON.stringify(accepted.body));
      assert.equal(accepted.body.status, 'active');
      assert.equal(accepted.body.passwordSet, true);

      const refused = await json(await api.call('GET', '/v1/users'));
      assert.equal(refused.status, 401);
      assert.equal(refused.body.code, 'admin.unauthorized');
      assert.match(refused.body.detail, /break-glass/);
      assert.ok(api.logs.records.some((line) => line.event === 'admin.bootstrap_token_refused'));

      // The owner, signed in, is who acts from now on.
      const whoami = await json(await api.call('GET', '/v1/whoami', { token: sessionOf(accepted.body as { id: string }) }));
      assert.equal(whoami.body.kind, 'admin-user');
      assert.deepEqual(whoami.body.roles, ['owner']);
      assert.ok(whoami.body.permissions.includes('users:write'));

      // Break-glass (from the host: the CLI calls this) re-enables it, for a while.
      await api.admin.bootstrap.breakGlass({ kind: 'cli', id: 'break-glass' }, clock.now() + 3_600_000);
      assert.equal((await api.call('GET', '/v1/users')).status, 200);
      clock.advance(3_600_001);
      assert.equal((await api.call('GET', '/v1/users')).status, 401);
    });

    test('an invitation code works once, and not after it expires', async () => {
      const owner = (await api.admin.users.users.findByName('olivia'))!;
      const by = await principalOf(api.admin, owner);
      const first = await api.admin.users.invite(by, { name: 'ivan', email: 'ivan@example.test', roles: ['viewer'] });
      assert.equal((await api.call('POST', '/v1/invitations/accept', { token: undefined, body: { code: first.invitation.code, password: TEST_PASSWORD } })).status, 200);
      const again = await json(await api.call('POST', '/v1/invitations/accept', { token: undefined, body: { code: first.invitation.code, password: TEST_PASSWORD } }));
      assert.equal(again.status, 400);
      assert.equal(again.body.code, 'admin.invalid_request');

      const late = await api.admin.users.invite(by, { name: 'lena', email: 'lena@example.test', roles: ['viewer'] });
      clock.advance(72 * 3_600_000 + 1);
      assert.equal((await api.call('POST', '/v1/invitations/accept', { token: undefined, body: { code: late.invitation.code, password: TEST_PASSWORD } })).status, 400);
      // A code with a valid shape and a wrong secret is refused like an unknown one.
      const forged = late.invitation.code.slice(0, 16) + 'x'.repeat(24);
      assert.equal((await api.call('POST', '/v1/invitations/accept', { token: undefined, body: { code: forged, password: TEST_PASSWORD } })).status, 400);
    });

    test('refuses passwords under 12 characters, on the common list, or holding the user name; accepts a long passphrase', async () => {
      const owner = (await api.admin.users.users.findByName('olivia'))!;
      const { invitation } = await api.admin.users.invite(await principalOf(api.admin, owner), { name: 'petra', email: 'petra@example.test', roles: ['viewer'] });
      for (const [password, why] of [['short-pass1', /at least 12/], ['1q2w3e4r5t6y', /commonly used/], ['my name is petra!', /name or email/]] as const) {
        const reply = await json(await api.call('POST', '/v1/invitations/accept', { token: undefined, body: { code: invitation.code, password } }));
        assert.equal(reply.status, 400, password);
        assert.match(reply.body.detail, why);
      }
      // No composition rules: lower-case letters and spaces are enough.
      assert.equal((await api.call('POST', '/v1/invitations/accept', { token: undefined, body: { code: invitation.code, password: 'plain lower case words' } })).status, 200);
      const user = await api.admin.users.verifyPassword('petra', 'plain lower case words');
      assert.equal(user?.name, 'petra');
      assert.equal(await api.admin.users.verifyPassword('petra', 'plain lower case wordz'), undefined);
    });

    test('password verification takes as long for an unknown user as for a wrong password (a dummy hash is verified)', async () => {
      const timed = async (login: string) => {
        const start = process.hrtime.bigint();
        assert.equal(await api.admin.users.verifyPassword(login, 'not the password at all'), undefined);
        return Number(process.hrtime.bigint() - start);
      };
      await timed('nobody-at-all');
      const known: number[] = [];
      const unknown: number[] = [];
      for (let i = 0; i < 3; i++) {
        known.push(await timed('petra'));
        unknown.push(await timed(`nobody-${i}`));
      }
      // argon2id dominates both; without the dummy hash an unknown user would answer in a store lookup's time.
      assert.ok(Math.min(...unknown) > Math.min(...known) / 3, `unknown ${unknown} vs known ${known} ns`);
    });

    test('the last active owner cannot be disabled, deleted or demoted; with a second owner they can', async () => {
      const owner = (await api.admin.users.users.findByName('olivia'))!;
      const session = sessionOf(owner);
      for (const [method, path, body] of [['POST', `/v1/users/${owner.id}/disable`, {}], ['DELETE', `/v1/users/${owner.id}`, undefined], ['POST', `/v1/users/${owner.id}/roles`, { roles: ['admin'] }]] as const) {
        const reply = await json(await api.call(method, path, { token: session, body }));
        assert.equal(reply.status, 409, `${method} ${path}`);
        assert.match(reply.body.detail, /last active owner/);
      }
      const second = await activeUser(api.admin, 'oscar', ['owner'], await principalOf(api.admin, owner));
      const demoted = await json(await api.call('POST', `/v1/users/${second.id}/roles`, { token: session, body: { roles: ['viewer'] } }));
      assert.equal(demoted.status, 200);
      assert.deepEqual(demoted.body.roles, ['viewer']);
    });

    test('refuses escalation: security cannot change an owner, operator cannot edit roles, nobody grants what they lack', async () => {
      const owner = (await api.admin.users.users.findByName('olivia'))!;
      const byOwner = await principalOf(api.admin, owner);
      const security = await activeUser(api.admin, 'sam', ['security'], byOwner);
      const operator = await activeUser(api.admin, 'otto', ['operator'], byOwner);

      const onOwner = await json(await api.call('POST', `/v1/users/${owner.id}/disable`, { token: sessionOf(security), body: {} }));
      assert.equal(onOwner.status, 403);
      assert.match(onOwner.body.detail, /Only an owner/);
      // security holds users:write but not keys:write: it cannot make anyone an admin or operator.
      const grant = await json(await api.call('POST', `/v1/users/${operator.id}/roles`, { token: sessionOf(security), body: { roles: ['admin'] } }));
      assert.equal(grant.status, 403);
      assert.match(grant.body.detail, /do not hold/);
      const selfPromotion = await json(await api.call('POST', `/v1/users/${security.id}/roles`, { token: sessionOf(security), body: { roles: ['owner'] } }));
      assert.equal(selfPromotion.status, 403);

      assert.equal((await api.call('POST', '/v1/roles', { token: sessionOf(operator), body: { name: 'mine', permissions: ['keys:read'] } })).status, 403);
      assert.equal((await api.call('POST', `/v1/users/${operator.id}/roles`, { token: sessionOf(operator), body: { roles: ['owner'] } })).status, 403);

      const unknown = await json(await api.call('POST', '/v1/roles', { token: sessionOf(security), body: { name: 'typo', permissions: ['users:reed'] } }));
      assert.equal(unknown.status, 400);
      assert.match(unknown.body.detail, /Unknown permission: users:reed/);
      const stronger = await json(await api.call('POST', '/v1/roles', { token: sessionOf(security), body: { name: 'keyholder', permissions: ['users:read', 'keys:write'] } }));
      assert.equal(stronger.status, 403);
      const fine = await json(await api.call('POST', '/v1/roles', { token: sessionOf(security), body: { name: 'user-reader', permissions: ['users:read'] } }));
      assert.equal(fine.status, 201);
      const viewer = await activeUser(api.admin, 'vera', ['user-reader', 'viewer'], byOwner);
      assert.equal((await api.call('GET', '/v1/users', { token: sessionOf(viewer) })).status, 200);
      assert.equal((await api.call('DELETE', '/v1/roles/user-reader', { token: sessionOf(security) })).status, 409);
    });

    test('a disabled user is refused; enabled again, they are back; a deleted user is gone', async () => {
      const owner = (await api.admin.users.users.findByName('olivia'))!;
      const user = await activeUser(api.admin, 'dora', ['viewer'], await principalOf(api.admin, owner));
      assert.equal((await api.call('POST', `/v1/users/${user.id}/disable`, { token: sessionOf(owner), body: {} })).status, 200);
      assert.equal((await api.call('GET', '/v1/whoami', { token: sessionOf(user) })).status, 401);
      assert.equal((await api.call('POST', `/v1/users/${user.id}/enable`, { token: sessionOf(owner), body: {} })).status, 200);
      assert.equal((await api.call('GET', '/v1/whoami', { token: sessionOf(user) })).status, 200);
      assert.equal((await api.call('DELETE', `/v1/users/${user.id}`, { token: sessionOf(owner) })).status, 200);
      assert.equal((await api.call('GET', `/v1/users/${user.id}`, { token: sessionOf(owner) })).status, 404);
    });

    test('a password reset code sets a new password once; the old one works until then', async () => {
      const owner = (await api.admin.users.users.findByName('olivia'))!;
      const user = await activeUser(api.admin, 'rita', ['viewer'], await principalOf(api.admin, owner));
      const reset = await json(await api.call('POST', `/v1/users/${user.id}/reset-password`, { token: sessionOf(owner), body: {} }));
      assert.equal(reset.status, 201);
      assert.match(reset.body.code, /^ptc_rst_/);
      assert.ok(await api.admin.users.verifyPassword('rita', TEST_PASSWORD));
      const newPassword = 'a brand new passphrase here';
      assert.equal((await api.call('POST', '/v1/password-resets/complete', { token: undefined, body: { code: reset.body.code, password: newPassword } })).status, 200);
      assert.equal((await api.call('POST', '/v1/password-resets/complete', { token: undefined, body: { code: reset.body.code, password: newPassword } })).status, 400);
      assert.equal(await api.admin.users.verifyPassword('rita', TEST_PASSWORD), undefined);
      assert.ok(await api.admin.users.verifyPassword('rita', newPassword));
    });

    test('user, role and token changes, and break-glass are in the audit trail with their actor, and no secret is', async () => {
      const owner = (await api.admin.users.users.findByName('olivia'))!;
      const made = await json(await api.call('POST', '/v1/admin-tokens', { token: sessionOf(owner), body: { name: 'audit-probe', permissions: ['users:read'] } }));
      assert.equal(made.status, 201);
      // The token cannot set roles: a denied attempt.
      assert.equal((await api.call('POST', `/v1/users/${owner.id}/roles`, { token: made.body.secret, body: { roles: ['viewer'] } })).status, 403);
      const rows = await api.store.db.selectFrom('audit_records').select(['action', 'actor_type', 'actor_id', 'target_kind', 'target_id', 'outcome', 'record']).orderBy('seq').execute();
      const records = rows.map((row) => ({ ...row, record: JSON.parse(row.record) as Record<string, any> }));
      const find = (action: string, check: (r: (typeof records)[number]) => boolean = () => true) => records.find((r) => r.action === action && check(r));
      assert.ok(find('admin_user.invite', (r) => r.actor_type === 'bootstrap-token' && r.target_kind === 'admin_user'));
      assert.ok(find('admin_user.accept_invitation', (r) => r.actor_type === 'admin-user' && r.target_id === owner.id));
      const demotion = find('admin_user.set_roles', (r) => r.actor_id === owner.id);
      assert.ok(demotion, 'a role change by the owner');
      assert.deepEqual(demotion!.record.changes.before.roles, ['owner']);
      assert.deepEqual(demotion!.record.changes.after.roles, ['viewer']);
      assert.ok(find('admin_role.create', (r) => r.actor_type === 'admin-user'));
      const token = find('admin_token.create', (r) => r.target_id === made.body.adminToken.id);
      assert.equal(token?.record.actor.credentialId, 'test-session');
      assert.ok(find('admin.break_glass', (r) => r.actor_type === 'cli'));
      const everything = rows.map((row) => row.record).join('\n');
      assert.ok(!everything.includes('$argon2id$'), 'no password hash');
      assert.ok(!everything.includes(made.body.secret), 'no admin token');
      assert.ok(!/ptc_(inv|rst)_/.test(everything), 'no one-time code');
    });

    test('every change is a unit of work of its actor (change rows name the user or token)', async () => {
      const rows = await api.store.db.selectFrom('changes').select(['entity', 'actor_kind', 'actor_id', 'action']).where('entity', 'in', ['admin_user', 'admin_role', 'admin_token', 'admin_state']).execute();
      assert.ok(rows.some((row) => row.action === 'admin_user.invite' && row.actor_kind === 'bootstrap-token'));
      assert.ok(rows.some((row) => row.action === 'admin_user.accept_invitation' && row.actor_kind === 'admin-user'));
      assert.ok(rows.some((row) => row.action === 'admin_role.create' && row.actor_kind === 'admin-user'));
      assert.ok(rows.some((row) => row.entity === 'admin_state' && row.action === 'admin_user.accept_invitation'), 'the bootstrap switch changed with the owner');
      assert.ok(rows.some((row) => row.action === 'admin.break_glass' && row.actor_kind === 'cli'));
    });
  });
}
