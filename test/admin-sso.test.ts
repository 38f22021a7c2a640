/**
 * Admin single sign-on (issue 18 §5) against a real OpenID Connect provider (oidc-provider 8 on a
 * loopback port), the whole redirect flow followed by hand over real HTTP, as a browser would:
 * start → provider's authorization endpoint → its login and consent interactions → callback. Groups
 * map to roles (deny by default), amr/acr decide whether the provider's MFA counts or ours is asked
 * for, a replayed state, a foreign browser and a wrong nonce are refused, a local user is never
 * taken over, role changes at the provider apply at the next sign-in, and a provider that is down
 * is a clear 503, logged and counted.
 */
import assert from 'node:assert/strict';
import { request as httpRequestRaw } from 'node:http';
import { after, before, describe, test } from 'node:test';
import { totpCodeAt } from '../src/admin/mfa/totp.js';
import { validateConfig } from '../src/config/loader.js';
import { assertProblem, freePort, startGateway, type TestGateway } from './helpers/index.js';
import { ADMIN_TOKEN, KEY_ENV, keysConfig } from './helpers/keys.js';
import { CLIENT_SECRET, SSO_CLIENT_ID, startProvider, type NextLogin, type ProviderAccount, type TestProvider } from './helpers/oidc-provider.js';

interface Reply {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  text: string;
  json<T = Record<string, any>>(): T;
}

function call(url: string, options: { method?: string; headers?: Record<string, string>; body?: unknown } = {}): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const body = options.body === undefined ? undefined : JSON.stringify(options.body);
    const headers = { ...options.headers, ...(body === undefined ? {} : { 'content-type': 'application/json' }) };
    const req = httpRequestRaw(url, { method: options.method ?? 'GET', headers, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        resolve({ status: res.statusCode!, headers: res.headers, text, json: () => JSON.parse(text) });
      });
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(body);
  });
}

/** name=value of each Set-Cookie of a reply. */
function cookiesOf(reply: Reply): Map<string, string> {
  const set = reply.headers['set-cookie'] ?? [];
  return new Map((Array.isArray(set) ? set : [set]).map((line) => line.split(';')[0]!.split('=') as [string, string]).map(([name, ...value]) => [name, value.join('=')]));
}

const ACCOUNTS: Record<string, ProviderAccount & { groups: string[] }> = {
  alice: { email: 'alice@example.com', groups: ['platform-admins'] },
  bob: { email: 'bob@example.com', groups: ['marketing'] },
  carol: { email: 'carol@example.com', groups: ['sec-team'], preferred_username: 'carol' },
  dana: { email: 'dana@example.com', groups: ['platform-admins'] },
  erin: { email: 'erin@elsewhere.test', groups: ['platform-admins'] },
};

describe('admin single sign-on through OpenID Connect', () => {
  let provider: TestProvider;
  let gw: TestGateway;
  let admin: string;
  let offsetMs = 0;
  const clock = { now: () => Date.now() + offsetMs };

  before(async () => {
    const port = await freePort();
    const redirectUri = `http://127.0.0.1:${port}/v1/auth/sso/callback`;
    provider = await startProvider({ sso: { redirectUri, accounts: ACCOUNTS } });
    const config = keysConfig('http://127.0.0.1:9', {});
    config.admin = {
      host: '127.0.0.1',
      port,
      token: '${env:PORTCULLIS_ADMIN_TOKEN}',
      mfa: { seedKey: '${env:MFA_SEED}' },
      sso: {
        oidc: {
          issuer: provider.issuer,
          clientId: SSO_CLIENT_ID,
          clientSecret: '${env:SSO_CLIENT_SECRET}',
          redirectUri,
          roleMapping: { 'platform-admins': ['owner'], 'sec-team': ['security'], auditors: ['auditor'] },
          allowedDomains: ['example.com'],
          requireMfaClaim: { amr: ['mfa', 'otp'], acr: ['urn:test:mfa'] },
        },
      },
    };
    gw = await startGateway(config, { env: { ...KEY_ENV, MFA_SEED: 's'.repeat(40), SSO_CLIENT_SECRET: CLIENT_SECRET }, clock });
    admin = gw.gateway.adminUrl;
    // A local user with dana's email, before any SSO: never to be taken over.
    const invited = await call(`${admin}/v1/users`, { method: 'POST', headers: { authorization: `Bearer ${ADMIN_TOKEN}` }, body: { name: 'dana', email: 'dana@example.com', roles: ['viewer'] } });
    assert.equal(invited.status, 201, invited.text);
  });
  after(async () => {
    await gw.close();
    await provider.close();
  });

  /** Starts at the gateway, walks the provider's redirects with its cookies, and comes back to the callback. */
  async function signIn(login: NextLogin, options: { tamper?: (url: URL) => void } = {}) {
    provider.nextLogin = login;
    const start = await call(`${admin}/v1/auth/sso/start`);
    assert.equal(start.status, 302, start.text);
    const binding = cookiesOf(start).get('__Host-portcullis-sso')!;
    assert.ok(binding, 'the binding cookie is set');
    assert.match(String(start.headers['set-cookie']), /__Host-portcullis-sso=[^;]+; Path=\/; Secure; HttpOnly; SameSite=Lax/);
    let url = new URL(String(start.headers.location));
    assert.equal(url.origin, provider.issuer);
    assert.equal(url.searchParams.get('code_challenge_method'), 'S256');
    assert.ok(url.searchParams.get('nonce') && url.searchParams.get('state') && url.searchParams.get('code_challenge'));
    options.tamper?.(url);
    const jar = new Map<string, string>();
    for (let hop = 0; hop < 12 && url.origin === provider.issuer; hop++) {
      const reply = await call(url.href, { headers: { cookie: [...jar].map(([name, value]) => `${name}=${value}`).join('; ') } });
      for (const [name, value] of cookiesOf(reply)) jar.set(name, value);
      assert.ok([302, 303].includes(reply.status), `provider answered ${reply.status} at ${url.pathname}: ${reply.text.slice(0, 300)}`);
      url = new URL(String(reply.headers.location), url);
    }
    assert.equal(url.pathname, '/v1/auth/sso/callback');
    const callbackUrl = `${admin}${url.pathname}${url.search}`;
    const reply = await call(callbackUrl, { headers: { cookie: `__Host-portcullis-sso=${binding}` } });
    return { reply, callbackUrl, binding };
  }

  const sessionTokenOf = (reply: Reply) => cookiesOf(reply).get('__Host-portcullis-session')!;
  const logged = (event: string) => gw.logs.records.filter((line) => line.event === event);

  test('a user in a mapped group is provisioned, audited, and signed in with the provider’s MFA; the same callback again is refused', async () => {
    const { reply, callbackUrl, binding } = await signIn({ accountId: 'alice', amr: ['pwd', 'mfa'] });
    assert.equal(reply.status, 200, reply.text);
    const body = reply.json();
    assert.equal(body.status, 'signed_in');
    assert.equal(body.session.name, 'alice');
    assert.equal(body.session.method, 'sso+provider_mfa');
    assert.equal(body.session.mfa, true);
    assert.ok(body.session.permissions.includes('users:write'), 'owner permissions');
    const token = sessionTokenOf(reply);
    assert.match(token, /^ptc_ses_/);
    const whoami = await call(`${admin}/v1/whoami`, { headers: { authorization: `Bearer ${token}` } });
    assert.equal(whoami.json().name, 'alice');
    assert.equal(logged('admin.sso_provisioned').length, 1);
    const audit = await call(`${admin}/v1/audit?action=admin_user.sso_provision`, { headers: { authorization: `Bearer ${token}` } });
    const records = audit.json<{ items: Array<{ actor: { type: string; id: string }; changes?: { after?: Record<string, unknown> } }> }>().items;
    assert.ok(records.length > 0 && records.every((record) => record.actor.type === 'system' && record.actor.id === 'sso'), audit.text);
    const afters = records.map((record) => record.changes?.after ?? {});
    assert.ok(afters.some((after) => after.email === 'alice@example.com' && JSON.stringify(after.roles) === '["owner"]'), 'the user, with the mapped roles');
    assert.ok(afters.some((after) => after.ssoIssuer === provider.issuer && after.ssoSubject === 'alice'), 'the linked identity');

    // Replay: the state was single use.
    assertProblem(await call(callbackUrl, { headers: { cookie: `__Host-portcullis-sso=${binding}` } }), 401, 'admin.sso_failed');
    assert.match(String(logged('admin.sso_failed').at(-1)?.reason), /state is unknown, used or expired/);
    // A second sign-in finds the linked user: no second provisioning.
    assert.equal((await signIn({ accountId: 'alice', amr: ['mfa'] })).reply.status, 200);
    assert.equal(logged('admin.sso_provisioned').length, 1);
  });

  test('a user in no mapped group is refused with 403 admin.sso_no_role, logged; another email domain with 403 admin.sso_refused', async () => {
    const { reply } = await signIn({ accountId: 'bob', amr: ['mfa'] });
    assertProblem(reply, 403, 'admin.sso_no_role');
    assert.equal(logged('admin.sso_refused').at(-1)?.code, 'admin.sso_no_role');
    assertProblem((await signIn({ accountId: 'erin', amr: ['mfa'] })).reply, 403, 'admin.sso_refused');
  });

  test('a local user with the same email is not taken over: 409 admin.sso_account_conflict', async () => {
    const { reply } = await signIn({ accountId: 'dana', amr: ['mfa'] });
    assertProblem(reply, 409, 'admin.sso_account_conflict');
  });

  test('without an MFA claim, a user with our second factor must present it; amr or acr that assert MFA skip it', async () => {
    const first = await signIn({ accountId: 'carol', amr: ['pwd'] });
    assert.equal(first.reply.status, 200, first.reply.text);
    assert.deepEqual([first.reply.json().session.mfa, first.reply.json().session.method], [false, 'sso']);
    const bearer = { authorization: `Bearer ${sessionTokenOf(first.reply)}` };
    const enrolment = (await call(`${admin}/v1/mfa/totp`, { method: 'POST', headers: bearer, body: {} })).json<{ secret: string }>();
    const confirmed = await call(`${admin}/v1/mfa/totp/confirm`, { method: 'POST', headers: bearer, body: { code: totpCodeAt(enrolment.secret, clock.now()) } });
    assert.equal(confirmed.status, 200, confirmed.text);
    offsetMs += 30_000; // the next code is of a later time step (the replay guard refuses the same one)

    const second = await signIn({ accountId: 'carol', amr: ['pwd'] });
    assert.equal(second.reply.status, 200, second.reply.text);
    const pending = second.reply.json();
    assert.equal(pending.status, 'mfa_required');
    assert.equal(cookiesOf(second.reply).get('__Host-portcullis-session'), undefined, 'no session before the second factor');
    const code = totpCodeAt(enrolment.secret, clock.now());
    const wrong = code === '000000' ? '111111' : '000000';
    assertProblem(await call(`${admin}/v1/auth/sso/mfa`, { method: 'POST', body: { mfaToken: pending.mfaToken, code: wrong } }), 401, 'admin.login_failed');
    const done = await call(`${admin}/v1/auth/sso/mfa`, { method: 'POST', body: { mfaToken: pending.mfaToken, code } });
    assert.equal(done.status, 201, done.text);
    assert.deepEqual([done.json().mfa, done.json().method, done.json().name], [true, 'sso+totp', 'carol']);
    assert.match(sessionTokenOf(done), /^ptc_ses_/);
    // The step is single use.
    offsetMs += 30_000;
    assertProblem(await call(`${admin}/v1/auth/sso/mfa`, { method: 'POST', body: { mfaToken: pending.mfaToken, code: totpCodeAt(enrolment.secret, clock.now()) } }), 401, 'admin.sso_failed');

    const byAmr = await signIn({ accountId: 'carol', amr: ['pwd', 'otp'] });
    assert.deepEqual([byAmr.reply.json().status, byAmr.reply.json().session?.mfa], ['signed_in', true]);
    const byAcr = await signIn({ accountId: 'carol', amr: ['pwd'], acr: 'urn:test:mfa' });
    assert.deepEqual([byAcr.reply.json().status, byAcr.reply.json().session?.mfa], ['signed_in', true]);
  });

  test('role changes at the provider apply at the next sign-in, audited', async () => {
    ACCOUNTS.carol!.groups = ['auditors'];
    try {
      const { reply } = await signIn({ accountId: 'carol', amr: ['otp'] });
      assert.equal(reply.status, 200, reply.text);
      const permissions: string[] = reply.json().session.permissions;
      assert.ok(permissions.includes('audit:read') && !permissions.includes('users:write'), permissions.join(' '));
      assert.deepEqual(logged('admin.sso_roles_changed').at(-1)?.after, ['auditor']);
    } finally {
      ACCOUNTS.carol!.groups = ['sec-team'];
    }
  });

  test('a wrong nonce in the ID token is refused; so is a callback from another browser (no binding cookie)', async () => {
    const tampered = await signIn({ accountId: 'alice', amr: ['mfa'] }, { tamper: (url) => url.searchParams.set('nonce', 'a-nonce-the-gateway-never-made') });
    assertProblem(tampered.reply, 401, 'admin.sso_failed');
    assert.match(String(logged('admin.sso_failed').at(-1)?.reason), /nonce/);

    // A callback whose browser did not start the sign-in (login CSRF): no binding cookie, no session.
    const start = await call(`${admin}/v1/auth/sso/start`);
    const state = new URL(String(start.headers.location)).searchParams.get('state')!;
    assertProblem(await call(`${admin}/v1/auth/sso/callback?code=x&state=${encodeURIComponent(state)}`), 401, 'admin.sso_failed');
    assert.match(String(logged('admin.sso_failed').at(-1)?.reason), /binding cookie/);
  });

  test('the provider down is a 503 admin.sso_unavailable, logged and counted', async () => {
    const start = await call(`${admin}/v1/auth/sso/start`);
    const binding = cookiesOf(start).get('__Host-portcullis-sso')!;
    const state = new URL(String(start.headers.location)).searchParams.get('state')!;
    await provider.stop();
    const reply = await call(`${admin}/v1/auth/sso/callback?code=some-code&state=${encodeURIComponent(state)}&iss=${encodeURIComponent(provider.issuer)}`, { headers: { cookie: `__Host-portcullis-sso=${binding}` } });
    assertProblem(reply, 503, 'admin.sso_unavailable');
    assert.equal(logged('admin.sso_unavailable').length, 1);
    const metrics = (await call(`${admin}/metrics`)).text;
    assert.match(metrics, /portcullis_admin_sso_logins_total\{outcome="unavailable"\} 1/);
    assert.match(metrics, /portcullis_admin_sso_logins_total\{outcome="signed_in"\} [1-9]/);
    assert.match(metrics, /portcullis_admin_sso_logins_total\{outcome="refused"\} [1-9]/);
  });
});

describe('admin single sign-on: the ID token signature', () => {
  test('an ID token that does not verify against the provider’s published keys is refused with 401 admin.sso_failed', async () => {
    const port = await freePort();
    const redirectUri = `http://127.0.0.1:${port}/v1/auth/sso/callback`;
    const provider = await startProvider({ sso: { redirectUri, accounts: ACCOUNTS } });
    // The keys the gateway fetches are not the ones the provider signs with.
    provider.forgeJwks = true;
    const config = keysConfig('http://127.0.0.1:9', {});
    config.admin = { host: '127.0.0.1', port, token: '${env:PORTCULLIS_ADMIN_TOKEN}', sso: { oidc: { issuer: provider.issuer, clientId: SSO_CLIENT_ID, clientSecret: '${env:SSO_CLIENT_SECRET}', redirectUri, roleMapping: { 'platform-admins': ['owner'] }, requireMfaClaim: { amr: ['mfa'] } } } };
    const gw = await startGateway(config, { env: { ...KEY_ENV, SSO_CLIENT_SECRET: CLIENT_SECRET } });
    try {
      provider.nextLogin = { accountId: 'alice', amr: ['mfa'] };
      const start = await call(`${gw.gateway.adminUrl}/v1/auth/sso/start`);
      const binding = cookiesOf(start).get('__Host-portcullis-sso')!;
      let url = new URL(String(start.headers.location));
      const jar = new Map<string, string>();
      while (url.origin === provider.issuer) {
        const reply = await call(url.href, { headers: { cookie: [...jar].map(([name, value]) => `${name}=${value}`).join('; ') } });
        for (const [name, value] of cookiesOf(reply)) jar.set(name, value);
        url = new URL(String(reply.headers.location), url);
      }
      const reply = await call(`${gw.gateway.adminUrl}${url.pathname}${url.search}`, { headers: { cookie: `__Host-portcullis-sso=${binding}` } });
      assertProblem(reply, 401, 'admin.sso_failed');
      assert.match(String(gw.logs.records.filter((line) => line.event === 'admin.sso_failed').at(-1)?.reason), /ID token does not verify: ERR_JWS_SIGNATURE_VERIFICATION_FAILED/);
      assert.equal(cookiesOf(reply).get('__Host-portcullis-session'), undefined);
    } finally {
      await gw.close();
      await provider.close();
    }
  });
});

describe('admin.sso config', () => {
  const sso = (oidc: Record<string, unknown>) => ({ admin: { port: 0, token: '${env:PORTCULLIS_ADMIN_TOKEN}', sso: { oidc: { clientId: 'c', redirectUri: 'https://admin.example.com/v1/auth/sso/callback', roleMapping: { ops: ['operator'] }, ...oidc } } } });
  const issuesOf = (oidc: Record<string, unknown>) => {
    const loaded = validateConfig(keysConfig('http://127.0.0.1:9', sso(oidc)), KEY_ENV);
    return loaded.ok ? [] : loaded.issues.map((issue) => `${issue.path}: ${issue.message}`);
  };

  test('the issuer must be https (http only on loopback), and the mapping must map something', () => {
    assert.deepEqual(issuesOf({ issuer: 'http://idp.example.com' }), ['admin.sso.oidc.issuer: must be an https:// URL (http:// only on loopback)']);
    assert.deepEqual(issuesOf({ issuer: 'https://idp.example.com' }), []);
    assert.deepEqual(issuesOf({ issuer: 'http://127.0.0.1:8080' }), []);
    assert.deepEqual(issuesOf({ issuer: 'https://idp.example.com', roleMapping: {} }), ['admin.sso.oidc.roleMapping: maps no group to a role: nobody could sign in (deny by default)']);
  });

  test('start refuses a role mapping that names a role that does not exist', async () => {
    const config = keysConfig('http://127.0.0.1:9', sso({ issuer: 'http://127.0.0.1:1', roleMapping: { ops: ['operator'], odd: ['no-such-role'] } }));
    await assert.rejects(startGateway(config, { env: KEY_ENV }), /admin\.sso: admin\.sso\.oidc\.roleMapping\["odd"\]: No such role: no-such-role/);
  });

  test('a provider that cannot be reached makes start of a sign-in answer 503 admin.sso_unavailable', async () => {
    const gw = await startGateway(keysConfig('http://127.0.0.1:9', sso({ issuer: 'http://127.0.0.1:1' })), { env: KEY_ENV });
    try {
      assertProblem(await call(`${gw.gateway.adminUrl}/v1/auth/sso/start`), 503, 'admin.sso_unavailable');
    } finally {
      await gw.close();
    }
  });
});
