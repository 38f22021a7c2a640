/**
 * Admin users' sign-in on a real admin listener over both stores: login with password and TOTP,
 * the replay guard, recovery codes, session timeouts (injected clock), CSRF on cookie requests,
 * brute-force lockout and its release, step-up, enrolment-only sessions after the grace period,
 * and an MFA reset by a second admin (issue 18 items 4–6).
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { totpCodeAt } from '../src/admin/mfa/totp.js';
import { SESSION_COOKIE } from '../src/admin/sessions/session-cookie.js';
import { ManualClock } from '../src/core/clock.js';
import type { AdminPrincipal } from '../src/core/actor.js';
import { testAuthConfig } from './helpers/sign-in.js';
import { startAdminApi, type StandaloneAdminApi } from './helpers/admin-api.js';
import { assertProblem, httpRequest } from './helpers/index.js';
import { STORE_BACKENDS } from './helpers/store-backends.js';

const PASSWORD = 'Tangerine-Quarry-7781-Vellum';
const BOOTSTRAP: AdminPrincipal = { kind: 'bootstrap-token', id: 'bootstrap', permissions: ['*'] };
const HOUR = 3_600_000;

interface Session {
  readonly cookie: string;
  readonly csrf: string;
  readonly id: string;
  readonly userId: string;
}

for (const backend of STORE_BACKENDS) {
  describe(`admin login, sessions and MFA on ${backend.name}`, { skip: backend.skip }, () => {
    const clock = new ManualClock(Date.UTC(2026, 5, 1, 9));
    let api: StandaloneAdminApi;
    let cleanup: () => Promise<void>;
    let seed = '';
    let recoveryCodes: string[] = [];
    const origin = () => api.url;

    // Real admin users (the admin plane, argon2id passwords): carol, a viewer invited 4 days ago who
    // never enrolled (past the 72-hour grace period); alice, an owner, and bob, security, invited now.
    before(async () => {
      const opened = await backend.open();
      cleanup = opened.cleanup;
      api = await startAdminApi(opened.location, { clock, signIn: testAuthConfig() });
      const invite = async (name: string, roles: string[]) => {
        const { invitation } = await api.admin.users.invite(BOOTSTRAP, { name, email: `${name}@example.com`, roles });
        await api.admin.users.acceptInvitation(invitation.code, PASSWORD);
      };
      await invite('carol', ['viewer']);
      clock.advance(96 * HOUR);
      await invite('alice', ['owner']);
      await invite('bob', ['security']);
    });
    after(async () => {
      await api?.close();
      await cleanup?.();
    });

    async function call(method: string, path: string, options: { session?: Session; body?: unknown; csrf?: string | null; origin?: string | null; bearer?: string } = {}) {
      const headers: Record<string, string> = {};
      if (options.body !== undefined) headers['content-type'] = 'application/json';
      if (options.session) headers.cookie = `${SESSION_COOKIE}=${options.session.cookie}`;
      const csrf = options.csrf === undefined ? options.session?.csrf : options.csrf;
      if (csrf !== null && csrf !== undefined) headers['x-csrf-token'] = csrf;
      const sentOrigin = options.origin === undefined ? origin() : options.origin;
      if (sentOrigin !== null) headers.origin = sentOrigin;
      if (options.bearer) headers.authorization = `Bearer ${options.bearer}`;
      return httpRequest(`${api.url}${path}`, { method, headers, body: options.body === undefined ? undefined : JSON.stringify(options.body) });
    }

    async function login(name: string, extra: Record<string, unknown> = {}): Promise<Session> {
      const reply = await call('POST', '/v1/login', { body: { name, password: PASSWORD, ...extra } });
      assert.equal(reply.status, 201, reply.text);
      const setCookie = String(reply.headers['set-cookie']);
      assert.match(setCookie, new RegExp(`^${SESSION_COOKIE}=ptc_ses_[A-Za-z0-9_-]+; Path=/; Secure; HttpOnly; SameSite=Strict; Max-Age=28800$`));
      const body = reply.json<{ csrfToken: string; id: string; userId: string }>();
      return { cookie: setCookie.split(';')[0]!.split('=')[1]!, csrf: body.csrfToken, id: body.id, userId: body.userId };
    }

    test('an unknown name and a wrong password get the same answer', async () => {
      const unknown = await call('POST', '/v1/login', { body: { name: 'mallory', password: PASSWORD } });
      const wrong = await call('POST', '/v1/login', { body: { name: 'alice', password: 'not the password at all' } });
      const a = assertProblem(unknown, 401, 'admin.login_failed');
      const b = assertProblem(wrong, 401, 'admin.login_failed');
      assert.equal(a.detail, b.detail);
      assert.deepEqual(Object.keys(unknown.headers).sort(), Object.keys(wrong.headers).sort());
    });

    test('enrols TOTP with a QR code and a confirmation code, and answers 10 recovery codes', async () => {
      const session = await login('alice');
      const started = await call('POST', '/v1/mfa/totp', { session, body: {} });
      assert.equal(started.status, 201, started.text);
      const enrolment = started.json<{ secret: string; otpauthUri: string; qrCodeDataUrl: string }>();
      assert.match(enrolment.otpauthUri, /^otpauth:\/\/totp\/Portcullis:alice\?.*secret=/);
      assert.match(enrolment.qrCodeDataUrl, /^data:image\/png;base64,/);
      seed = enrolment.secret;
      assertProblem(await call('POST', '/v1/mfa/totp/confirm', { session, body: { code: totpCodeAt(seed, clock.now() + 5 * 60_000) } }), 400, 'admin.invalid_request');
      const confirmed = await call('POST', '/v1/mfa/totp/confirm', { session, body: { code: totpCodeAt(seed, clock.now()) } });
      assert.equal(confirmed.status, 200, confirmed.text);
      recoveryCodes = confirmed.json<{ recoveryCodes: string[] }>().recoveryCodes;
      assert.equal(recoveryCodes.length, 10);
      assert.equal(new Set(recoveryCodes).size, 10);
      // The seed is stored sealed, never as the base32 an attacker could use.
      const row = await api.store.db.selectFrom('admin_totp').selectAll().where('user_id', '=', session.userId).executeTakeFirstOrThrow();
      assert.ok(!row.secret_encrypted.includes(seed));
      assert.equal(row.status, 'active');
    });

    test('refuses a replayed TOTP code and a code of an earlier step', async () => {
      clock.advance(60_000);
      assertProblem(await call('POST', '/v1/login', { body: { name: 'alice', password: PASSWORD } }), 401, 'admin.mfa_required');
      const code = totpCodeAt(seed, clock.now());
      await login('alice', { code });
      assertProblem(await call('POST', '/v1/login', { body: { name: 'alice', password: PASSWORD, code } }), 401, 'admin.login_failed');
      clock.advance(30_000);
      // Still inside the ±1 step window, but older than the step just accepted.
      assertProblem(await call('POST', '/v1/login', { body: { name: 'alice', password: PASSWORD, code: totpCodeAt(seed, clock.now() - 30_000) } }), 401, 'admin.login_failed');
      await login('alice', { code: totpCodeAt(seed, clock.now()) });
    });

    test('a recovery code works once', async () => {
      const recoveryCode = recoveryCodes[0]!;
      await login('alice', { recoveryCode: recoveryCode.toUpperCase() });
      assertProblem(await call('POST', '/v1/login', { body: { name: 'alice', password: PASSWORD, recoveryCode } }), 401, 'admin.login_failed');
      clock.advance(30_000);
      const session = await login('alice', { code: totpCodeAt(seed, clock.now()) });
      const status = await call('GET', '/v1/mfa', { session });
      assert.deepEqual(status.json(), { totp: 'active', passkeys: 0, recoveryCodesLeft: 9 });
    });

    test('refuses a session idle for 15 minutes, and one older than 8 hours however active', async () => {
      clock.advance(30_000);
      const idle = await login('alice', { code: totpCodeAt(seed, clock.now()) });
      clock.advance(14 * 60_000);
      assert.equal((await call('GET', '/v1/session', { session: idle })).status, 200);
      clock.advance(15 * 60_000);
      assertProblem(await call('GET', '/v1/session', { session: idle }), 401, 'admin.session_expired');

      const busy = await login('alice', { code: totpCodeAt(seed, clock.now() + 30_000) });
      for (let i = 0; i < 47; i++) {
        clock.advance(10 * 60_000);
        assert.equal((await call('GET', '/v1/consumers', { session: busy })).status, 200, `after ${(i + 1) * 10} minutes`);
      }
      clock.advance(10 * 60_000);
      assertProblem(await call('GET', '/v1/consumers', { session: busy }), 401, 'admin.session_expired');
    });

    test('refuses a cookie POST without its CSRF token or from a foreign Origin; a bearer session needs neither', async () => {
      clock.advance(60_000);
      const session = await login('alice', { code: totpCodeAt(seed, clock.now()) });
      const create = (name: string, extra: Parameters<typeof call>[2] = {}) => call('POST', '/v1/consumers', { session, body: { name }, ...extra });
      assertProblem(await create('no-token', { csrf: null }), 403, 'admin.csrf_failed');
      assertProblem(await create('wrong-token', { csrf: 'A'.repeat(43) }), 403, 'admin.csrf_failed');
      assertProblem(await create('foreign', { origin: 'https://evil.example' }), 403, 'admin.csrf_failed');
      assertProblem(await create('no-origin', { origin: null }), 403, 'admin.csrf_failed');
      assert.equal((await create('allowed')).status, 201);

      clock.advance(30_000);
      const cli = await call('POST', '/v1/login', { body: { name: 'alice', password: PASSWORD, code: totpCodeAt(seed, clock.now()), tokenInBody: true } });
      assert.equal(cli.headers['set-cookie'], undefined);
      const token = cli.json<{ token: string }>().token;
      assert.equal((await call('POST', '/v1/consumers', { bearer: token, body: { name: 'from-cli' }, origin: null })).status, 201);
    });

    test('locks an account out after repeated failures from one address, with growing waits, and releases it by itself', async () => {
      clock.advance(60_000);
      const waits: number[] = [];
      let failures = 0;
      for (;;) {
        const reply = await call('POST', '/v1/login', { body: { name: 'bob', password: `wrong password ${failures}` } });
        if (reply.status === 401) {
          assertProblem(reply, 401, 'admin.login_failed');
          failures++;
          continue;
        }
        assertProblem(reply, 429, 'auth.too_many_failures');
        const wait = Number(reply.headers['retry-after']);
        if (wait > 60) break;
        waits.push(wait);
        clock.advance(wait * 1000);
      }
      // maxFailuresPerAccountAndIp: 10; waits from the fourth failure on: 1, 2, 4, … capped at 30 s.
      assert.equal(failures, 10);
      assert.deepEqual(waits, [1, 2, 4, 8, 16, 30]);
      assertProblem(await call('POST', '/v1/login', { body: { name: 'bob', password: PASSWORD } }), 429, 'auth.too_many_failures');
      clock.advance(15 * 60_000);
      await login('bob');
    });

    test('a step-up route needs a second factor within 10 minutes; step-up rotates the session', async () => {
      clock.advance(60_000);
      const session = await login('alice', { code: totpCodeAt(seed, clock.now()) });
      assert.equal((await call('POST', '/v1/mfa/recovery-codes', { session, body: {} })).status, 200);
      clock.advance(11 * 60_000);
      assertProblem(await call('POST', '/v1/mfa/recovery-codes', { session, body: {} }), 403, 'admin.step_up_required');
      const stepped = await call('POST', '/v1/session/step-up', { session, body: { code: totpCodeAt(seed, clock.now()) } });
      assert.equal(stepped.status, 200, stepped.text);
      const setCookie = String(stepped.headers['set-cookie']);
      const fresh: Session = { ...session, cookie: setCookie.split(';')[0]!.split('=')[1]!, csrf: stepped.json<{ csrfToken: string }>().csrfToken, id: stepped.json<{ id: string }>().id };
      assert.notEqual(fresh.id, session.id);
      assertProblem(await call('GET', '/v1/session', { session }), 401, 'admin.session_expired');
      assert.equal((await call('POST', '/v1/mfa/recovery-codes', { session: fresh, body: {} })).status, 200);
    });

    test('after the grace period an account without a factor may only enrol or log out', async () => {
      clock.advance(60_000);
      const session = await login('carol');
      assertProblem(await call('GET', '/v1/consumers', { session }), 403, 'admin.mfa_enrolment_required');
      const me = await call('GET', '/v1/session', { session });
      assert.equal(me.json<{ enrolOnly: boolean }>().enrolOnly, true);
      assert.equal((await call('POST', '/v1/mfa/totp', { session, body: {} })).status, 201);
      assert.equal((await call('POST', '/v1/logout', { session, body: {} })).status, 200);
      assertProblem(await call('GET', '/v1/session', { session }), 401, 'admin.session_expired');
    });

    test('an MFA reset needs another admin with mfa:reset and a fresh factor; it ends the target’s sessions', async () => {
      clock.advance(60_000);
      const alice = await login('alice', { code: totpCodeAt(seed, clock.now()) });
      const aliceId = alice.userId;
      assertProblem(await call('POST', `/v1/users/${aliceId}/mfa/reset`, { session: alice, body: {} }), 403, 'admin.forbidden');
      const carol = await login('carol');
      assertProblem(await call('POST', `/v1/users/${aliceId}/mfa/reset`, { session: carol, body: {} }), 403, 'admin.mfa_enrolment_required');
      let bob = await login('bob');
      // bob has no factor yet: a step-up route stays closed to him until he enrols and presents one.
      assertProblem(await call('POST', `/v1/users/${aliceId}/mfa/reset`, { session: bob, body: {} }), 403, 'admin.step_up_required');
      const bobSeed = (await call('POST', '/v1/mfa/totp', { session: bob, body: {} })).json<{ secret: string }>().secret;
      assert.equal((await call('POST', '/v1/mfa/totp/confirm', { session: bob, body: { code: totpCodeAt(bobSeed, clock.now()) } })).status, 200);
      // Enrolling rotated bob's session: the one he enrolled with is over.
      assertProblem(await call('POST', `/v1/users/${aliceId}/mfa/reset`, { session: bob, body: {} }), 401, 'admin.session_expired');
      clock.advance(30_000);
      bob = await login('bob', { code: totpCodeAt(bobSeed, clock.now()) });
      const reset = await call('POST', `/v1/users/${aliceId}/mfa/reset`, { session: bob, body: {} });
      assert.equal(reset.status, 200, reset.text);
      assert.ok(reset.json<{ sessionsRevoked: number }>().sessionsRevoked >= 1);
      assertProblem(await call('GET', '/v1/session', { session: alice }), 401, 'admin.session_expired');
      const again = await login('alice');
      assert.deepEqual((await call('GET', '/v1/mfa', { session: again })).json(), { totp: 'none', passkeys: 0, recoveryCodesLeft: 0 });
      // Every step is in the audit trail with its actor.
      const actions = (await api.store.db.selectFrom('audit_records').select(['action', 'actor_id']).execute()).map((row) => `${row.action} ${row.actor_id}`);
      assert.ok(actions.includes(`admin_mfa.reset ${bob.userId}`), actions.join('\n'));
      assert.ok(actions.includes(`admin_session.create ${aliceId}`));
      assert.ok(actions.includes('admin.login_failed anonymous'));
    });

    test('lists the caller’s sessions and ends the others', async () => {
      clock.advance(60_000);
      const first = await login('alice');
      const second = await login('alice');
      const list = (await call('GET', '/v1/sessions', { session: second })).json<{ items: { id: string; current: boolean }[] }>();
      assert.ok(list.items.some((item) => item.id === first.id && !item.current));
      assert.ok(list.items.some((item) => item.id === second.id && item.current));
      const revoked = await call('POST', '/v1/sessions/revoke-others', { session: second, body: {} });
      assert.ok(revoked.json<{ revoked: number }>().revoked >= 1);
      assertProblem(await call('GET', '/v1/session', { session: first }), 401, 'admin.session_expired');
      assert.equal((await call('GET', '/v1/session', { session: second })).status, 200);
    });
  });
}
