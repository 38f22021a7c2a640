/**
 * Scoped admin tokens on SQLite and PostgreSQL (issue 18 §3): shown once, a subset of the maker's
 * permissions, never able to mint anything stronger than themselves, expiring, rotated with grace,
 * revoked at once, shrinking with their user, last use batched.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { ManualClock } from '../src/core/clock.js';
import type { AdminUser } from '../src/store/admin-users.js';
import { GatewayError } from '../src/core/errors.js';
import { activeUser, BOOTSTRAP, sessionOf, testSessionAuthenticator } from './helpers/admin-users.js';
import { startAdminApi, type StandaloneAdminApi } from './helpers/admin-api.js';
import { STORE_BACKENDS } from './helpers/store-backends.js';

const DAY = 86_400_000;

for (const backend of STORE_BACKENDS) {
  describe(`admin tokens on ${backend.name}`, { skip: backend.skip }, () => {
    let api: StandaloneAdminApi;
    let cleanup: () => Promise<void>;
    const clock = new ManualClock(Date.now());
    let operator: AdminUser;
    let security: AdminUser;
    let owner: AdminUser;
    const post = async (path: string, token: string, body: unknown) => {
      const reply = await api.call('POST', path, { token, body });
      return { status: reply.status, body: (await reply.json()) as Record<string, any> };
    };
    const create = (token: string, permissions: string[], extra: Record<string, unknown> = {}) => post('/v1/admin-tokens', token, { name: 'ci', permissions, ...extra });
    before(async () => {
      const opened = await backend.open();
      cleanup = opened.cleanup;
      api = await startAdminApi(opened.location, { clock });
      api.admin.addAuthenticator(testSessionAuthenticator(api.admin), 'first');
      operator = await activeUser(api.admin, 'opal', ['operator']);
      security = await activeUser(api.admin, 'sid', ['security']);
      owner = await activeUser(api.admin, 'orla', ['owner']);
    });
    after(async () => {
      await api.close();
      await cleanup();
    });

    test('a token is shown once, works as a bearer credential, and holds only the permissions it was given', async () => {
      const created = await create(sessionOf(operator), ['keys:read', 'consumers:read']);
      assert.equal(created.status, 201, JSON.stringify(created.body));
      assert.match(created.body.secret, /^ptc_adm_[0-9A-Za-z]{32}_[0-9A-Za-z]{6}$/);
      assert.equal(created.body.adminToken.userId, operator.id);
      assert.equal(new Date(created.body.adminToken.expiresAt).getTime(), clock.now() + 90 * DAY, 'default expiry 90 days');
      const shown = await (await api.call('GET', `/v1/admin-tokens/${created.body.adminToken.id}`, { token: sessionOf(owner) })).text();
      assert.ok(!shown.includes(created.body.secret.slice(8, 40)), 'the token is never shown again');

      const token = created.body.secret as string;
      assert.equal((await api.call('GET', '/v1/keys', { token })).status, 200);
      const whoami = (await (await api.call('GET', '/v1/whoami', { token })).json()) as Record<string, any>;
      assert.deepEqual([whoami.kind, whoami.credentialId, whoami.userId], ['admin-token', created.body.adminToken.id, operator.id]);
      assert.equal((await post('/v1/consumers', token, { name: 'nope' })).status, 403);
      // A mistyped token (checksum) and a forged one (right id, wrong secret) are refused.
      const id = created.body.adminToken.id as string;
      assert.equal((await api.call('GET', '/v1/keys', { token: `${token.slice(0, -1)}x` })).status, 401);
      const forged = (await import('../src/keys/api-key-format.js')).generateApiKey('ptc', 'adm').key.replace(/^(ptc_adm_)[0-9A-Za-z]{8}/, `$1${id}`);
      assert.equal((await api.call('GET', '/v1/keys', { token: forged })).status, 401);
    });

    test('a token never mints a stronger token, and refuses unknown permissions and lifetimes past the maximum', async () => {
      const minter = (await create(sessionOf(operator), ['admin-tokens:write', 'keys:read'])).body.secret as string;
      const stronger = await create(minter, ['keys:read', 'keys:write']);
      assert.equal(stronger.status, 403);
      assert.match(stronger.body.detail, /keys:write/);
      assert.equal((await create(minter, ['keys:read'])).status, 201);
      // The operator holds keys:write, but the token acting for them does not: the token's permissions decide.
      assert.equal((await create(minter, ['admin-tokens:write', 'keys:write'])).status, 403);
      assert.equal((await create(sessionOf(operator), ['users:write'])).status, 403, 'an operator cannot give a token users:write');
      assert.equal((await create(sessionOf(operator), ['keys:reed'])).status, 400);
      assert.equal((await create(sessionOf(operator), ['keys:read'], { expiresInDays: 366 })).status, 400);
      // The bootstrap token acts for nobody: it cannot make admin tokens.
      await assert.rejects(api.admin.tokens.create(BOOTSTRAP, { name: 'x', permissions: ['keys:read'] }), (error: GatewayError) => error.code === 'admin.invalid_request');
    });

    test('a token never invites a user stronger than itself', async () => {
      const inviter = (await create(sessionOf(owner), ['users:write', 'keys:read'])).body.secret as string;
      assert.equal((await post('/v1/users', inviter, { name: 'newowner', email: 'newowner@example.test', roles: ['owner'] })).status, 403);
      assert.equal((await post('/v1/users', inviter, { name: 'newop', email: 'newop@example.test', roles: ['operator'] })).status, 403);
      assert.equal((await post('/v1/users', inviter, { name: 'newviewer', email: 'newviewer@example.test', roles: ['viewer'] })).status, 403, 'viewer holds more than keys:read');
    });

    test('rotation keeps the old token for the grace period; revocation stops it at once', async () => {
      const first = await create(sessionOf(operator), ['keys:read']);
      const rotated = await post(`/v1/admin-tokens/${first.body.adminToken.id}/rotate`, sessionOf(operator), { gracePeriodSeconds: 60 });
      assert.equal(rotated.status, 201, JSON.stringify(rotated.body));
      assert.equal(rotated.body.previous.replacedBy, rotated.body.adminToken.id);
      assert.equal((await api.call('GET', '/v1/keys', { token: first.body.secret })).status, 200, 'within the grace period');
      clock.advance(61_000);
      assert.equal((await api.call('GET', '/v1/keys', { token: first.body.secret })).status, 401);
      assert.equal((await api.call('GET', '/v1/keys', { token: rotated.body.secret })).status, 200);
      // Another user's token: only with admin-tokens:revoke.
      assert.equal((await post(`/v1/admin-tokens/${rotated.body.adminToken.id}/rotate`, sessionOf(security), { gracePeriodSeconds: 0 })).status, 403);
      const other = await create(sessionOf(security), ['keys:read']);
      assert.equal((await post(`/v1/admin-tokens/${other.body.adminToken.id}/revoke`, sessionOf(operator), {})).status, 403);
      assert.equal((await post(`/v1/admin-tokens/${rotated.body.adminToken.id}/revoke`, sessionOf(security), {})).status, 200);
      assert.equal((await api.call('GET', '/v1/keys', { token: rotated.body.secret })).status, 401);
    });

    test('a token expires, and shrinks with its user: demoted, its extra permissions stop; disabled, it stops', async () => {
      const short = await create(sessionOf(operator), ['keys:read'], { expiresInDays: 1 });
      clock.advance(DAY);
      assert.equal((await api.call('GET', '/v1/keys', { token: short.body.secret })).status, 401);

      const user = await activeUser(api.admin, 'temp-op', ['operator']);
      const token = (await create(sessionOf(user), ['keys:read', 'consumers:write'])).body.secret as string;
      assert.equal((await post('/v1/consumers', token, { name: 'made-by-token' })).status, 201);
      assert.equal((await post(`/v1/users/${user.id}/roles`, sessionOf(owner), { roles: ['viewer'] })).status, 200);
      assert.equal((await post('/v1/consumers', token, { name: 'made-after-demotion' })).status, 403);
      assert.equal((await api.call('GET', '/v1/keys', { token })).status, 200, 'viewer still reads keys');
      assert.equal((await post(`/v1/users/${user.id}/disable`, sessionOf(owner), {})).status, 200);
      assert.equal((await api.call('GET', '/v1/keys', { token })).status, 401);
    });

    test('last use (time and address) is written in a batch, not per request', async () => {
      const created = await create(sessionOf(operator), ['keys:read']);
      assert.equal((await api.call('GET', '/v1/keys', { token: created.body.secret })).status, 200);
      const before = (await api.admin.tokens.get(created.body.adminToken.id)).lastUsedAt;
      assert.equal(before, null, 'nothing written yet');
      await api.admin.tokens.flushLastUsed();
      const after = await api.admin.tokens.get(created.body.adminToken.id);
      assert.equal(after.lastUsedAt, new Date(clock.now()).toISOString());
      assert.equal(after.lastUsedIp, '127.0.0.1');
    });
  });
}
