/**
 * The session id is rotated on every privilege change (issue 18 §5), on both stores: at login
 * (the session the caller came with ends), when a user's roles change (every session of theirs
 * ends: the new privileges ride only on a session opened after the change), and when a second
 * factor is enrolled (a new id and cookie). Step-up's rotation is in admin-login.test.ts, passkey
 * enrolment and removal in admin-webauthn.test.ts.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { totpCodeAt } from '../src/admin/mfa/totp.js';
import { SESSION_COOKIE } from '../src/admin/sessions/session-cookie.js';
import type { AdminPrincipal } from '../src/core/actor.js';
import { ManualClock } from '../src/core/clock.js';
import { startAdminApi, type StandaloneAdminApi } from './helpers/admin-api.js';
import { assertProblem, httpRequest } from './helpers/index.js';
import { testAuthConfig } from './helpers/sign-in.js';
import { STORE_BACKENDS } from './helpers/store-backends.js';

const PASSWORD = 'Juniper-Lantern-5512-Oboe';
const BOOTSTRAP: AdminPrincipal = { kind: 'bootstrap-token', id: 'bootstrap', permissions: ['*'] };

interface Session {
  readonly cookie: string;
  readonly csrf: string;
  readonly id: string;
  readonly userId: string;
}

for (const backend of STORE_BACKENDS) {
  describe(`session rotation on privilege change on ${backend.name}`, { skip: backend.skip }, () => {
    const clock = new ManualClock(Date.UTC(2026, 5, 1, 9));
    let api: StandaloneAdminApi;
    let cleanup: () => Promise<void>;
    const ids = new Map<string, string>();

    before(async () => {
      const opened = await backend.open();
      cleanup = opened.cleanup;
      api = await startAdminApi(opened.location, { clock, signIn: testAuthConfig() });
      for (const [name, role] of [['carol', 'viewer'], ['alice', 'owner']] as const) {
        const { invitation } = await api.admin.users.invite(BOOTSTRAP, { name, email: `${name}@example.com`, roles: [role] });
        ids.set(name, (await api.admin.users.acceptInvitation(invitation.code, PASSWORD)).id);
      }
    });
    after(async () => {
      await api?.close();
      await cleanup?.();
    });

    function call(method: string, path: string, session?: Session, body?: unknown) {
      const headers: Record<string, string> = { origin: api.url };
      if (body !== undefined) headers['content-type'] = 'application/json';
      if (session) Object.assign(headers, { cookie: `${SESSION_COOKIE}=${session.cookie}`, 'x-csrf-token': session.csrf });
      return httpRequest(`${api.url}${path}`, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
    }
    const cookieOf = (reply: { headers: Record<string, unknown> }) => String(reply.headers['set-cookie']).split(';')[0]!.split('=')[1]!;

    async function login(name: string, previous?: Session, code?: string): Promise<Session> {
      const headers: Record<string, string> = { 'content-type': 'application/json', origin: api.url };
      if (previous) headers.cookie = `${SESSION_COOKIE}=${previous.cookie}`;
      const reply = await httpRequest(`${api.url}/v1/login`, { method: 'POST', headers, body: JSON.stringify({ name, password: PASSWORD, ...(code ? { code } : {}) }) });
      assert.equal(reply.status, 201, reply.text);
      const body = reply.json<{ csrfToken: string; id: string; userId: string }>();
      return { cookie: cookieOf(reply), csrf: body.csrfToken, id: body.id, userId: body.userId };
    }

    test('a login ends the session the caller came with and opens one with a new id', async () => {
      const first = await login('carol');
      const second = await login('carol', first);
      assert.notEqual(second.id, first.id);
      assert.notEqual(second.cookie, first.cookie);
      assertProblem(await call('GET', '/v1/session', first), 401, 'admin.session_expired');
      assert.equal((await call('GET', '/v1/session', second)).status, 200);
    });

    test('a change of roles ends every session of that user, not the sessions of others', async () => {
      const laptop = await login('carol');
      const phone = await login('carol');
      const alice = await login('alice');
      // The same roles again are no change: nothing ends.
      await api.admin.users.setRoles(BOOTSTRAP, ids.get('carol')!, ['viewer']);
      assert.equal((await call('GET', '/v1/session', laptop)).status, 200);
      await api.admin.users.setRoles(BOOTSTRAP, ids.get('carol')!, ['operator']);
      assertProblem(await call('GET', '/v1/session', laptop), 401, 'admin.session_expired');
      assertProblem(await call('GET', '/v1/session', phone), 401, 'admin.session_expired');
      assert.equal((await call('GET', '/v1/session', alice)).status, 200);
      const again = await login('carol');
      assert.ok((await call('GET', '/v1/session', again)).json<{ permissions: string[] }>().permissions.includes('consumers:write'));
      const revocations = await api.store.db.selectFrom('audit_records').select('target_id').where('action', '=', 'admin_user.set_roles').where('target_kind', '=', 'admin_session').execute();
      const ended = revocations.map((row) => row.target_id);
      assert.ok(ended.includes(laptop.id) && ended.includes(phone.id) && !ended.includes(alice.id), ended.join(' '));
    });

    test('enrolling a second factor replaces the session: a new id and cookie, counted as a fresh factor', async () => {
      const session = await login('carol');
      const secret = (await call('POST', '/v1/mfa/totp', session, {})).json<{ secret: string }>().secret;
      const confirmed = await call('POST', '/v1/mfa/totp/confirm', session, { code: totpCodeAt(secret, clock.now()) });
      assert.equal(confirmed.status, 200, confirmed.text);
      const rotated = confirmed.json<{ session: { id: string; csrfToken: string; token?: string } }>().session;
      assert.equal(rotated.token, undefined, 'a cookie caller gets a cookie, not a token in the body');
      const fresh: Session = { ...session, cookie: cookieOf(confirmed), csrf: rotated.csrfToken, id: rotated.id };
      assert.notEqual(fresh.id, session.id);
      assertProblem(await call('GET', '/v1/session', session), 401, 'admin.session_expired');
      const me = (await call('GET', '/v1/session', fresh)).json<{ id: string; mfa: boolean; stepUpValidUntil: string | null }>();
      assert.equal(me.id, fresh.id);
      assert.equal(me.mfa, true);
      assert.equal(me.stepUpValidUntil, new Date(clock.now() + 10 * 60_000).toISOString());
    });
  });
}
