/**
 * Passkeys as a second factor, with a real browser authenticator (issue 18 §4): Debian's Chromium
 * (one launch for the file) with a CDP virtual authenticator (CTAP2, platform, user verification)
 * creates and signs for real on a page at the admin listener's origin, http://localhost:<port>;
 * the admin API runs on a real store (SQLite and PostgreSQL). Enrolment, login, step-up, a replayed,
 * a forged and a cloned-authenticator assertion, another user's passkey, removal behind step-up,
 * and the config refusing an IP address as the RP id.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import { ManualClock } from '../src/core/clock.js';
import type { AdminPrincipal } from '../src/core/actor.js';
import { formatIssue, validateConfig } from '../src/config/loader.js';
import { addVirtualAuthenticator, createCredential, getAssertion, launchChromium, skipWithoutChromium } from './helpers/browser.js';
import { startAdminApi, type StandaloneAdminApi } from './helpers/admin-api.js';
import { assertProblem, httpRequest } from './helpers/index.js';
import { testAuthConfig } from './helpers/sign-in.js';
import { STORE_BACKENDS } from './helpers/store-backends.js';

const PASSWORD = 'Marigold-Ferry-4410-Quarto';
const BOOTSTRAP: AdminPrincipal = { kind: 'bootstrap-token', id: 'bootstrap', permissions: ['*'] };
const MINUTE = 60_000;

type Json = Record<string, any>;

let browser: Browser | undefined;
before(async () => {
  if (!skipWithoutChromium) browser = await launchChromium();
});
after(async () => {
  await browser?.close();
});

test('the config refuses an IP address as the WebAuthn RP id, and an origin outside the RP id', () => {
  const raw = (webauthn: Json) => ({
    listeners: [{ name: 'public', port: 8080 }],
    upstreams: { a: { targets: ['http://10.0.0.5:8080'] } },
    routes: [{ name: 'r', methods: ['GET'], path: '/r', upstream: 'a' }],
    admin: { webauthn },
  });
  const issues = (webauthn: Json) => {
    const result = validateConfig(raw(webauthn), {});
    return result.ok ? [] : result.issues.map(formatIssue);
  };
  assert.ok(issues({ rpId: '127.0.0.1', origins: ['http://127.0.0.1:9901'] }).some((line) => line.startsWith('admin.webauthn.rpId: must be a domain such as localhost, not the IP address 127.0.0.1')));
  assert.ok(issues({ rpId: 'admin.example.com', origins: ['https://evil.example.net'] }).some((line) => line.startsWith('admin.webauthn.origins[0]: the host evil.example.net is not admin.example.com')));
  assert.deepEqual(issues({ rpId: 'example.com', origins: ['https://admin.example.com', 'http://example.com:9901'] }), []);
});

for (const backend of STORE_BACKENDS) {
  describe(`passkeys in a real browser on ${backend.name}`, { skip: skipWithoutChromium || backend.skip }, () => {
    const clock = new ManualClock(Date.UTC(2026, 5, 1, 9));
    const webauthn = { rpId: 'localhost', rpName: 'Portcullis', origins: [] as string[] };
    let api: StandaloneAdminApi;
    let cleanup: () => Promise<void>;
    let page: Page;
    let origin = '';
    let alicePasskey = '';

    before(async () => {
      const opened = await backend.open();
      cleanup = opened.cleanup;
      api = await startAdminApi(opened.location, { clock, signIn: { ...testAuthConfig(), webauthn } });
      for (const name of ['alice', 'bob']) {
        const { invitation } = await api.admin.users.invite(BOOTSTRAP, { name, email: `${name}@example.com`, roles: [name === 'alice' ? 'owner' : 'viewer'] });
        await api.admin.users.acceptInvitation(invitation.code, PASSWORD);
      }
      // The page lives at the admin listener's origin by its name (WebAuthn needs a domain, not 127.0.0.1).
      origin = `http://localhost:${new URL(api.url).port}`;
      webauthn.origins.push(origin);
      page = await browser!.newPage();
      await page.goto(`${origin}/healthz`);
      await addVirtualAuthenticator(page);
    });
    after(async () => {
      await page?.close();
      await api?.close();
      await cleanup?.();
    });

    /** A bearer-token call (the CLI's way), sent as the page's origin would be. */
    async function call(method: string, path: string, options: { token?: string; body?: unknown } = {}) {
      const headers: Record<string, string> = { host: new URL(origin).host, origin };
      if (options.body !== undefined) headers['content-type'] = 'application/json';
      if (options.token) headers.authorization = `Bearer ${options.token}`;
      return httpRequest(`${api.url}${path}`, { method, headers, body: options.body === undefined ? undefined : JSON.stringify(options.body) });
    }
    const ok = async (reply: Promise<Awaited<ReturnType<typeof call>>> | Awaited<ReturnType<typeof call>>, status = 200) => {
      const answered = await reply;
      assert.equal(answered.status, status, answered.text);
      return answered.json<Json>();
    };
    const passwordLogin = async (name: string) => (await ok(call('POST', '/v1/login', { body: { name, password: PASSWORD, tokenInBody: true } }), 201)).token as string;
    const loginOptions = async (name: string) => (await ok(call('POST', '/v1/login/webauthn/options', { body: { name, password: PASSWORD } }))).publicKey as Json;
    const passkeyLogin = (name: string, assertion: Json) => call('POST', '/v1/login', { body: { name, password: PASSWORD, webauthn: assertion, tokenInBody: true } });

    async function register(token: string, name: string) {
      const options = (await ok(call('POST', '/v1/mfa/webauthn/registration/options', { token, body: {} }))).publicKey as Json;
      assert.equal(options.rp.id, 'localhost');
      const response = await createCredential(page, options);
      const registered = await ok(call('POST', '/v1/mfa/webauthn/registration', { token, body: { name, response } }), 201);
      // Registering rotates the session: the old token is over, the new one comes in the answer.
      assertProblem(await call('GET', '/v1/session', { token }), 401, 'admin.session_expired');
      assert.notEqual(registered.session.token, token);
      return { response, registered, token: registered.session.token as string };
    }

    test('enrols a passkey made by navigator.credentials.create; its answer works once', async () => {
      const { response, registered, token } = await register(await passwordLogin('alice'), 'laptop');
      assert.equal(registered.passkey.name, 'laptop');
      assert.deepEqual(registered.passkey.transports, ['internal']);
      assert.equal(registered.recoveryCodes.length, 10);
      alicePasskey = registered.passkey.id;
      assertProblem(await call('POST', '/v1/mfa/webauthn/registration', { token, body: { name: 'again', response } }), 400, 'admin.invalid_request');
      assert.deepEqual(await ok(call('GET', '/v1/mfa', { token })), { totp: 'none', passkeys: 1, recoveryCodesLeft: 10 });
      const listed = await ok(call('GET', '/v1/mfa/webauthn', { token }));
      assert.deepEqual(listed.items.map((item: Json) => item.id), [alicePasskey]);
      const row = await api.store.db.selectFrom('audit_records').select(['actor_id', 'target_id']).where('action', '=', 'admin_mfa.passkey_register').executeTakeFirstOrThrow();
      assert.deepEqual(row, { actor_id: (await ok(call('GET', '/v1/session', { token }))).userId, target_id: alicePasskey });
    });

    test('logs in with the passkey; the same assertion is refused the second time', async () => {
      clock.advance(MINUTE);
      assertProblem(await call('POST', '/v1/login', { body: { name: 'alice', password: PASSWORD } }), 401, 'admin.mfa_required');
      assertProblem(await call('POST', '/v1/login/webauthn/options', { body: { name: 'alice', password: 'not the password at all' } }), 401, 'admin.login_failed');
      const options = await loginOptions('alice');
      assert.equal(options.rpId, 'localhost');
      const assertion = await getAssertion(page, options);
      const session = await ok(passkeyLogin('alice', assertion), 201);
      assert.equal(session.method, 'password+webauthn');
      assert.equal(session.mfa, true);
      clock.advance(MINUTE);
      assertProblem(await passkeyLogin('alice', assertion), 401, 'admin.login_failed');
    });

    test('refuses a forged signature, and an older assertion once a newer one was used (a cloned authenticator)', async () => {
      clock.advance(MINUTE);
      const assertion = await getAssertion(page, await loginOptions('alice'));
      const signature = Buffer.from(String((assertion.response as Json).signature), 'base64url');
      signature[signature.length - 5]! ^= 0x01;
      const forged = { ...assertion, response: { ...(assertion.response as Json), signature: signature.toString('base64url') } };
      assertProblem(await passkeyLogin('alice', forged), 401, 'admin.login_failed');
      // The refusal was the signature's: the genuine assertion for that challenge still works.
      await ok(passkeyLogin('alice', assertion), 201);

      clock.advance(MINUTE);
      const older = await getAssertion(page, await loginOptions('alice'));
      const newer = await getAssertion(page, await loginOptions('alice'));
      await ok(passkeyLogin('alice', newer), 201);
      clock.advance(MINUTE);
      assertProblem(await passkeyLogin('alice', older), 401, 'admin.login_failed');
      assert.ok(api.logs.records.some((line) => line.event === 'admin.passkey_counter_regressed'), 'the counter regression is logged');
    });

    test('steps up with the passkey; a second passkey and a passkey removal need that fresh factor', async () => {
      clock.advance(MINUTE);
      const token = (await ok(passkeyLogin('alice', await getAssertion(page, await loginOptions('alice'))), 201)).token as string;
      clock.advance(11 * MINUTE);
      assertProblem(await call('DELETE', `/v1/mfa/webauthn/${alicePasskey}`, { token }), 403, 'admin.step_up_required');
      assertProblem(await call('POST', '/v1/mfa/webauthn/registration/options', { token, body: {} }), 403, 'admin.step_up_required');
      assertProblem(await call('POST', '/v1/mfa/totp', { token, body: {} }), 403, 'admin.step_up_required');
      const options = (await ok(call('POST', '/v1/session/step-up/webauthn/options', { token, body: {} }))).publicKey as Json;
      const assertion = await getAssertion(page, options);
      const stepped = await ok(call('POST', '/v1/session/step-up', { token, body: { webauthn: assertion } }));
      assert.ok(typeof stepped.token === 'string' && stepped.token !== token);
      assertProblem(await call('GET', '/v1/session', { token }), 401, 'admin.session_expired');
      assertProblem(await call('POST', '/v1/session/step-up', { token: stepped.token, body: { webauthn: assertion } }), 401, 'admin.login_failed');
      assert.equal((await ok(call('POST', '/v1/mfa/recovery-codes', { token: stepped.token, body: {} }))).recoveryCodes.length, 10);
    });

    test('refuses another user’s passkey at login', async () => {
      clock.advance(MINUTE);
      const bob = await register(await passwordLogin('bob'), 'bob’s key');
      const options = await loginOptions('alice');
      // The same authenticator signs alice's challenge with bob's credential.
      const foreign = await getAssertion(page, { ...options, allowCredentials: [{ id: bob.registered.passkey.credentialId, type: 'public-key', transports: ['internal'] }] });
      assert.equal(foreign.id, bob.registered.passkey.credentialId);
      assertProblem(await passkeyLogin('alice', foreign), 401, 'admin.login_failed');
    });

    test('removes a passkey within the step-up window; the removal is audited with its actor', async () => {
      clock.advance(MINUTE);
      const session = await ok(passkeyLogin('alice', await getAssertion(page, await loginOptions('alice'))), 201);
      const removed = await ok(call('DELETE', `/v1/mfa/webauthn/${alicePasskey}`, { token: session.token }));
      assert.deepEqual({ removed: removed.removed, id: removed.id }, { removed: true, id: alicePasskey });
      // Removing a factor rotates the session too; the new one keeps the step-up freshness it had.
      assertProblem(await call('GET', '/v1/session', { token: session.token }), 401, 'admin.session_expired');
      const token = removed.session.token as string;
      assertProblem(await call('DELETE', `/v1/mfa/webauthn/${alicePasskey}`, { token }), 404, 'admin.not_found');
      assert.equal((await ok(call('GET', '/v1/mfa', { token }))).passkeys, 0);
      const row = await api.store.db.selectFrom('audit_records').select(['actor_id', 'target_id']).where('action', '=', 'admin_mfa.passkey_remove').executeTakeFirstOrThrow();
      assert.deepEqual(row, { actor_id: session.userId, target_id: alicePasskey });
    });
  });
}
