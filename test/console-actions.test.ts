/**
 * The console's change dialogs (issue 25: everything the CLI offers for daily operations) in
 * Debian's Chromium against the real demo gateway: a passkey registered on the account screen with
 * a CDP virtual authenticator, sign-out and sign-in with the passkey as the second factor, a
 * step-up answered with the passkey; a custom role made, edited and deleted from the permission
 * table, and the RBAC explain; an admin token created and rotated (shown once) that works on the
 * admin API; an OAuth client created, rotated and revoked, its secrets checked at the demo's token
 * endpoint; a private_key_jwt client made from a pasted JWKS, its signed assertion exchanged there; a vault secret written, staged, promoted and revealed; an upstream credential made with
 * a secret reference; a problem shown with its code and documentation link; and a viewer without
 * any of those buttons whose forged call is refused. Every new dialog and screen passes axe-core
 * at 1280×800 and 390 px, and is photographed for docs/console.md.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { existsSync, readFileSync } from 'node:fs';
import { randomUUID } from 'node:crypto';
import { exportJWK, generateKeyPair, SignJWT } from 'jose';
import { totpCodeAt } from '../src/admin/mfa/totp.js';
import type { Clock } from '../src/core/clock.js';
import { startDemo, type RunningDemo } from '../src/demo/demo.js';
import { addVirtualAuthenticator, launchChromium, skipWithoutChromium } from './helpers/browser.js';
import { assertAccessible, screenshot, SCREENSHOTS } from './helpers/console.js';
import { eventually, httpRequest } from './helpers/index.js';

const WIDE = { width: 1280, height: 800 };
const NARROW = { width: 390, height: 800 };
const MINUTE = 60_000;
const VIEWER_PASSWORD = 'Tamarind-Quiver-8830-Lodge';

describe('the console’s change dialogs in a real browser', { skip: skipWithoutChromium }, () => {
  // The gateway's clock runs with the system's plus an offset the step-up test moves forward.
  let offset = 0;
  const clock: Clock = { now: () => Date.now() + offset };
  let demo: RunningDemo;
  let browser: Browser;
  let context: BrowserContext;
  let page: Page;
  let origin = '';
  const bootstrap = () => ({ authorization: `Bearer ${demo.keys.adminToken}`, 'content-type': 'application/json' });
  const adminGet = async <T>(path: string) => {
    const reply = await httpRequest(`${demo.gateway.adminUrl}${path}`, { headers: bootstrap() });
    assert.equal(reply.status, 200, reply.text);
    return reply.json<T>();
  };
  const dialog = () => page.getByRole('dialog');
  /** Both widths: the dialog or screen passes axe wide and at 390 px without sideways scrolling. */
  const accessibleBothWays = async (name: string) => {
    await assertAccessible(page, name);
    await page.setViewportSize(NARROW);
    await assertAccessible(page, `${name} (narrow)`);
    const overflow = await page.evaluate(() => {
      const root = (globalThis as unknown as { document: { documentElement: { scrollWidth: number; clientWidth: number } } }).document.documentElement;
      return root.scrollWidth - root.clientWidth;
    });
    await page.setViewportSize(WIDE);
    assert.ok(overflow <= 0, `${name} scrolls sideways by ${overflow}px at ${NARROW.width}px`);
  };
  const passwordStep = async (target: Page, name: string, password: string) => {
    await target.getByLabel('Name').fill(name);
    await target.getByLabel('Password').fill(password);
    await target.getByRole('button', { name: 'Sign in', exact: true }).click();
  };

  before(async () => {
    [demo, browser] = await Promise.all([startDemo({ port: 0, adminPort: 0, clock, print: () => undefined }), launchChromium()]);
    // WebAuthn needs a domain: the demo's passkey origin is http://localhost:<admin port>.
    origin = `http://localhost:${new URL(demo.gateway.adminUrl).port}`;
    context = await browser.newContext({ viewport: WIDE });
    page = await context.newPage();
    page.setDefaultTimeout(10_000);
    await page.goto(`${origin}/console/`);
    await passwordStep(page, demo.owner.name, demo.owner.password);
    await page.getByLabel('Authenticator code').fill(totpCodeAt(demo.owner.totpSecret, clock.now()));
    await page.getByRole('button', { name: 'Verify and sign in' }).click();
    await page.getByRole('heading', { name: 'Overview' }).waitFor();
  });
  after(async () => {
    await context?.close();
    await browser?.close();
    await demo?.close();
  });

  test('registers a passkey on the account screen, signs in with it as the second factor, and steps up with it', async () => {
    await addVirtualAuthenticator(page);
    await page.getByRole('link', { name: 'Your account' }).click();
    await page.getByText('No passkey yet.').waitFor();
    await page.getByLabel('New passkey’s name (which device or key)').fill('laptop');
    await page.getByRole('button', { name: 'Register a passkey' }).click();
    await dialog().getByText('Make a passkey named laptop on this device').waitFor();
    await dialog().getByRole('button', { name: 'Register passkey' }).click();
    await page.getByRole('cell', { name: 'laptop', exact: true }).waitFor();
    await page.getByText('Passkeys: 1').waitFor();
    await accessibleBothWays('account with a passkey');
    await page.getByRole('heading', { name: 'Passkeys' }).scrollIntoViewIfNeeded();
    await screenshot(page, 'account-passkeys');

    await page.getByRole('button', { name: 'Sign out', exact: true }).click();
    await passwordStep(page, demo.owner.name, demo.owner.password);
    await page.getByRole('button', { name: 'Sign in with a passkey' }).waitFor();
    await assertAccessible(page, 'login, second factor');
    await screenshot(page, 'login-passkey');
    await page.getByRole('button', { name: 'Sign in with a passkey' }).click();
    // Signed in again where it was (#/account), now with the passkey listed.
    await page.getByRole('cell', { name: 'laptop', exact: true }).waitFor();
    const session = await page.evaluate(async () => (await (globalThis as unknown as { fetch(url: string): Promise<{ json(): Promise<{ method: string; mfa: boolean }> }> }).fetch('/v1/session')).json());
    assert.deepEqual({ method: session.method, mfa: session.mfa }, { method: 'password+webauthn', mfa: true });

    // Past the step-up window (admin.mfa.stepUpMinutes, 10), creating an admin token asks for a
    // fresh factor: the passkey answers it, and the change goes through.
    offset += 11 * MINUTE;
    await page.getByRole('link', { name: 'Admin users' }).click();
    await page.getByLabel('Name', { exact: true }).last().fill('ci-reader');
    await page.getByLabel('Permissions (of yours, separated by spaces)').fill('consumers:read');
    await page.getByRole('button', { name: 'Create token' }).click();
    await dialog().getByRole('button', { name: 'Create token' }).click();
    await dialog().getByText('admin.step_up_required').waitFor();
    await assertAccessible(page, 'step-up in a dialog');
    await screenshot(page, 'step-up-passkey');
    await dialog().getByRole('button', { name: 'Confirm with a passkey' }).click();
    const token = (await page.getByRole('status', { name: 'Admin token ci-reader' }).textContent())!.trim();
    assert.match(token, /^ptc_adm_/);
    const whoami = await httpRequest(`${demo.gateway.adminUrl}/v1/consumers`, { headers: { authorization: `Bearer ${token}` } });
    assert.equal(whoami.status, 200, 'the token made in the console reads consumers');
    await page.getByRole('button', { name: 'I have stored it' }).click();

    // Rotation: the new token is shown once; both work during the grace period.
    await page.getByRole('button', { name: 'Rotate the token ci-reader' }).click();
    await dialog().getByText('Replace the admin token ci-reader with a new one (shown once); the old one keeps working for 3600 seconds').waitFor();
    await dialog().getByRole('button', { name: 'Rotate token' }).click();
    const rotated = (await page.getByRole('status', { name: 'Admin token ci-reader (rotated)' }).textContent())!.trim();
    assert.match(rotated, /^ptc_adm_/);
    assert.notEqual(rotated, token);
    for (const secret of [token, rotated]) assert.equal((await httpRequest(`${demo.gateway.adminUrl}/v1/consumers`, { headers: { authorization: `Bearer ${secret}` } })).status, 200);
    await page.getByRole('button', { name: 'I have stored it' }).click();
  });

  test('makes, edits and deletes a custom role from the permission table; explains a decision', async () => {
    await page.getByRole('button', { name: 'New custom role' }).click();
    await page.getByLabel('Role name (a-z, 0-9 and -)').fill('partner-desk');
    await page.getByLabel('Description', { exact: true }).fill('reads partners and their keys');
    await page.getByRole('checkbox', { name: /^consumers:read / }).check();
    await page.getByRole('checkbox', { name: /^audit:read / }).check();
    await page.getByRole('button', { name: 'Create role' }).click();
    await dialog().getByText('Create the role partner-desk with 2 permissions: audit:read consumers:read').waitFor();
    await dialog().getByRole('button', { name: 'Create role' }).click();
    await page.getByRole('cell', { name: 'partner-desk', exact: true }).waitFor();
    assert.deepEqual((await adminGet<{ permissions: string[] }>('/v1/roles/partner-desk')).permissions, ['audit:read', 'consumers:read']);

    await page.getByRole('button', { name: 'Edit the role partner-desk' }).click();
    await page.getByRole('checkbox', { name: /^audit:read / }).uncheck();
    await page.getByRole('checkbox', { name: /^keys:read / }).check();
    await accessibleBothWays('role editor');
    await page.getByRole('heading', { name: 'Edit the role partner-desk' }).scrollIntoViewIfNeeded();
    await screenshot(page, 'role-editor');
    await page.getByRole('button', { name: 'Save role' }).click();
    await dialog().getByText('Change the role partner-desk: add keys:read; remove audit:read.').waitFor();
    await dialog().getByRole('button', { name: 'Change role' }).click();
    await page.getByRole('cell', { name: 'consumers:read keys:read', exact: true }).waitFor();
    assert.deepEqual((await adminGet<{ permissions: string[] }>('/v1/roles/partner-desk')).permissions, ['consumers:read', 'keys:read']);

    await page.getByLabel('User or admin token (name, e-mail or id)').fill(demo.owner.name);
    await page.getByRole('button', { name: 'Explain' }).click();
    await page.getByRole('status').getByText('Allowed: demo-owner').waitFor();

    await page.getByRole('button', { name: 'Delete the role partner-desk' }).click();
    await dialog().getByRole('button', { name: 'Delete role' }).click();
    await eventually(async () => (await page.getByRole('cell', { name: 'partner-desk', exact: true }).count()) === 0, 'the role leaves the table');
    assert.equal((await httpRequest(`${demo.gateway.adminUrl}/v1/roles/partner-desk`, { headers: bootstrap() })).status, 404);
  });

  test('creates an OAuth client whose secret gets tokens, rotates it and revokes it', async () => {
    const token = (secret: string, clientId: string) =>
      httpRequest(`${demo.gateway.url()}/oauth2/token`, {
        method: 'POST',
        headers: { authorization: `Basic ${Buffer.from(`${clientId}:${secret}`).toString('base64')}`, 'content-type': 'application/x-www-form-urlencoded' },
        body: 'grant_type=client_credentials&scope=accounts%3Aread',
      });
    await page.getByRole('link', { name: 'OAuth', exact: true }).click();
    await page.getByLabel('Consumer', { exact: true }).selectOption({ label: 'demo-partner' });
    await page.getByLabel('Client name').fill('partner sync');
    await page.getByLabel('Scopes it may be granted (separated by spaces)').fill('accounts:read');
    await page.getByRole('button', { name: 'Create client' }).click();
    await dialog().getByText(/^Create the OAuth client partner sync for the consumer con_\S+, which may be granted the scopes accounts:read\. Its client secret is shown once\.$/).waitFor();
    await assertAccessible(page, 'confirm an OAuth client');
    await dialog().getByRole('button', { name: 'Create client' }).click();
    const shown = page.getByRole('status', { name: /^Client secret of partner sync/ });
    const secret = (await shown.textContent())!.trim();
    const clientId = /client id (\S+)\)$/.exec((await shown.getAttribute('aria-label'))!)![1]!;
    await accessibleBothWays('OAuth client secret shown once');
    await screenshot(page, 'oauth-client-created');
    await page.getByRole('button', { name: 'I have stored it' }).click();
    const issued = await token(secret, clientId);
    assert.equal(issued.status, 200, issued.text);
    assert.equal(typeof issued.json<{ access_token: string }>().access_token, 'string');

    await page.getByLabel('Grace period when rotating a secret (seconds)').fill('0');
    await page.getByRole('button', { name: 'Rotate secret of partner sync' }).click();
    await dialog().getByRole('button', { name: 'Rotate secret' }).click();
    const next = (await page.getByRole('status', { name: 'Client secret of partner sync' }).textContent())!.trim();
    await page.getByRole('button', { name: 'I have stored it' }).click();
    assert.equal((await token(next, clientId)).status, 200);
    await eventually(async () => (await token(secret, clientId)).status === 401, 'the old secret ends with a grace period of 0');

    await page.getByRole('button', { name: 'Revoke partner sync' }).click();
    await dialog().getByText('Revoke partner sync: it gets no more tokens').waitFor();
    await dialog().getByRole('button', { name: 'Revoke client' }).click();
    await page.getByRole('row').filter({ hasText: clientId }).getByText('revoked').waitFor();
    await eventually(async () => (await token(next, clientId)).status === 401, 'the revoked client gets no token');
    assert.equal((await token(next, clientId)).json<{ error: string }>().error, 'invalid_client');
  });

  test('creates a private_key_jwt client from a pasted JWKS, without a secret; its signed assertion gets a token', async () => {
    const { privateKey, publicKey } = await generateKeyPair('ES256', { extractable: true });
    const kid = 'partner-console-key';
    await page.getByRole('link', { name: 'OAuth', exact: true }).click();
    await page.getByLabel('Consumer', { exact: true }).selectOption({ label: 'demo-partner' });
    await page.getByLabel('Client name').fill('partner signer');
    await page.getByLabel('Scopes it may be granted (separated by spaces)').fill('accounts:read');
    await page.getByLabel('Give it a client secret (client_secret_basic)').uncheck();
    // Neither a secret nor keys: refused in the form, before any call.
    await page.getByRole('button', { name: 'Create client' }).click();
    await page.getByRole('alert').getByText('A client without a secret needs public keys').waitFor();
    const jwksField = page.getByLabel('Public keys for private_key_jwt (a JWKS, JSON; optional)');
    await jwksField.fill('{"keys": ');
    await page.getByRole('button', { name: 'Create client' }).click();
    await page.getByRole('alert').getByText('The public keys are not JSON').waitFor();
    await jwksField.fill(JSON.stringify({ keys: [{ ...(await exportJWK(publicKey)), kid, alg: 'ES256', use: 'sig' }] }));
    await page.getByRole('button', { name: 'Create client' }).click();
    await dialog().getByText(`It authenticates with private_key_jwt, signed by the keys ${kid}. It has no client secret.`, { exact: false }).waitFor();
    await assertAccessible(page, 'confirm a private_key_jwt client');
    await dialog().getByRole('button', { name: 'Create client' }).click();
    await page.getByRole('cell', { name: 'partner signer', exact: true }).waitFor();
    assert.equal(await page.getByRole('status', { name: /^Client secret of partner signer/ }).count(), 0, 'no secret to show');
    const clients = await adminGet<{ items: Array<{ clientId: string; name: string; authMethods: string[]; jwksKeyIds: string[] }> }>('/v1/oauth/clients');
    const client = clients.items.find((item) => item.name === 'partner signer')!;
    assert.deepEqual([client.authMethods, client.jwksKeyIds], [['private_key_jwt'], [kid]]);

    const metadata = (await httpRequest(`${demo.gateway.url()}/.well-known/oauth-authorization-server`)).json<{ token_endpoint: string }>();
    const now = Math.floor(clock.now() / 1000); // the gateway's clock, which the step-up test moved on
    const assertion = await new SignJWT({ jti: randomUUID() }).setProtectedHeader({ alg: 'ES256', kid }).setIssuer(client.clientId).setSubject(client.clientId).setAudience(metadata.token_endpoint).setIssuedAt(now).setExpirationTime(now + 60).sign(privateKey);
    const issued = await httpRequest(`${demo.gateway.url()}/oauth2/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ grant_type: 'client_credentials', scope: 'accounts:read', client_assertion_type: 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer', client_assertion: assertion }).toString(),
    });
    assert.equal(issued.status, 200, issued.text);
    assert.equal(typeof issued.json<{ access_token: string }>().access_token, 'string');
  });

  test('writes, stages, promotes and reveals a vault secret; creates a credential naming it; shows a problem with its code and link', async () => {
    await page.getByRole('link', { name: 'Credentials and secrets' }).click();
    const write = async (value: string, stage: boolean, summary: RegExp, action: string) => {
      await page.getByLabel('Secret name').fill('partner-token');
      await page.getByLabel('Value (never shown again)').fill(value);
      await page.getByLabel('Stage it (promote later)').setChecked(stage);
      await page.getByRole('button', { name: 'Write secret' }).click();
      await dialog().getByText(summary).waitFor();
      assert.equal(await dialog().getByText(value).count(), 0, 'the summary never shows the value');
      await dialog().getByRole('button', { name: action }).click();
      await dialog().waitFor({ state: 'hidden' });
    };
    await write('first-value-4481', false, /^Store a new version of partner-token \(16 characters.*It is promoted at once/, 'Store and promote');
    await write('second-value-9127', true, /It is staged: nothing serves it until you promote it/, 'Store staged version');
    await page.getByRole('button', { name: 'Versions of partner-token' }).click();
    await page.getByRole('button', { name: 'Promote version 2 of partner-token' }).click();
    await dialog().getByText('Promote version 2 of partner-token').first().waitFor();
    await accessibleBothWays('promote a secret version');
    await screenshot(page, 'secret-promote');
    await dialog().getByRole('button', { name: 'Promote version 2' }).click();
    await page.getByRole('button', { name: 'Promote version 1 of partner-token' }).waitFor();
    const versions = await adminGet<{ secret: { currentVersion: number }; versions: Array<{ version: number; promoted: boolean }> }>('/v1/secrets/partner-token/versions');
    assert.deepEqual(versions.versions.map((item) => [item.version, item.promoted]).sort(), [[1, false], [2, true]]);
    await page.getByRole('button', { name: 'Reveal partner-token' }).click();
    await dialog().getByRole('button', { name: 'Reveal value' }).click();
    assert.equal((await page.getByRole('status', { name: 'partner-token, version 2' }).textContent())!.trim(), 'second-value-9127');
    await page.getByRole('button', { name: 'I have stored it' }).click();

    const create = async () => {
      await page.getByLabel('Name (a-z, 0-9, - and _)').fill('partner-api');
      await page.getByLabel('Owner (a team or an address)').fill('payments-team');
      await page.getByLabel('Token, password or header value (a reference: ${secret:NAME} or ${env:NAME})').fill('${secret:partner-token}');
      await page.getByLabel('Expires at (your time; optional, e.g. the contract end)').fill(CONTRACT_END);
      await page.getByLabel('Disabled when unused for (days; optional)').fill('45');
      await page.getByRole('button', { name: 'Create credential' }).click();
      await dialog().getByText('secret: ${secret:partner-token}').waitFor();
    };
    // The contract end as the browser reads its local time, the way the form converts it.
    const CONTRACT_END = '2031-06-30T17:30';
    const contractEnd = await page.evaluate((local) => new Date(local).toISOString(), CONTRACT_END);
    await create();
    await dialog().getByText(`expiring at ${contractEnd.replace('T', ' ').replace(/\.\d+Z$/, ' UTC')} at the latest, disabled after 45 days unused`, { exact: false }).waitFor();
    await accessibleBothWays('confirm a credential');
    await screenshot(page, 'credential-create');
    await dialog().getByRole('button', { name: 'Create credential' }).click();
    await page.getByRole('row').filter({ has: page.getByRole('cell', { name: 'partner-api', exact: true }) }).getByText('active').waitFor();
    const listed = await adminGet<{ items: Array<{ name: string; kind: string; owner: string; settings: Record<string, string>; expiresAt: string | null; disableIfUnusedDays: number | null }> }>('/v1/credentials');
    const made = listed.items.find((item) => item.name === 'partner-api');
    assert.deepEqual(made && { kind: made.kind, owner: made.owner, settings: made.settings, expiresAt: made.expiresAt, disableIfUnusedDays: made.disableIfUnusedDays }, {
      kind: 'static',
      owner: 'payments-team',
      settings: { scheme: 'bearer', secret: '${secret:partner-token}' },
      expiresAt: contractEnd,
      disableIfUnusedDays: 45,
    });

    // The same name again: the API's 409 shows in the dialog with its title, code and documentation link.
    await create();
    await dialog().getByRole('button', { name: 'Create credential' }).click();
    const problem = dialog().getByRole('alert');
    await problem.getByText('admin.conflict', { exact: true }).waitFor();
    assert.match((await problem.getByRole('link', { name: 'what it means and what to do' }).getAttribute('href'))!, /errors(\.md)?#admin-conflict|admin\.conflict|admin-conflict/);
    await assertAccessible(page, 'a problem in a dialog');
    await dialog().getByRole('button', { name: 'Cancel' }).click();
  });

  test('a viewer sees none of these buttons, and their forged role creation is refused with 403', async () => {
    const invited = await httpRequest(`${demo.gateway.adminUrl}/v1/users`, { method: 'POST', headers: bootstrap(), body: JSON.stringify({ name: 'vic', email: 'vic@demo.example', roles: ['viewer'] }) });
    assert.equal(invited.status, 201, invited.text);
    const accepted = await httpRequest(`${demo.gateway.adminUrl}/v1/invitations/accept`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ code: invited.json<{ invitation: { code: string } }>().invitation.code, password: VIEWER_PASSWORD }) });
    assert.equal(accepted.status, 200, accepted.text);
    const viewerContext = await browser.newContext({ viewport: WIDE });
    try {
      const viewer = await viewerContext.newPage();
      viewer.setDefaultTimeout(10_000);
      await viewer.goto(`${origin}/console/#/secrets`);
      await passwordStep(viewer, 'vic', VIEWER_PASSWORD);
      await viewer.getByRole('cell', { name: 'partner-api', exact: true }).waitFor();
      for (const button of ['Create credential', 'Write secret', 'New version', 'Promote']) assert.equal(await viewer.getByRole('button', { name: button }).count(), 0, button);
      await viewer.getByRole('link', { name: 'OAuth', exact: true }).click();
      await viewer.getByRole('heading', { name: 'OAuth clients and signing keys' }).waitFor();
      await viewer.getByRole('cell', { name: 'partner sync', exact: true }).waitFor();
      assert.equal(await viewer.getByRole('button', { name: 'Create client' }).count(), 0);
      assert.equal(await viewer.getByRole('link', { name: 'Admin users' }).count(), 0);
      const forged = await viewer.evaluate(async () => {
        const web = globalThis as unknown as { fetch(url: string, init?: Record<string, unknown>): Promise<{ status: number; json(): Promise<Record<string, unknown>> }> };
        const session = await (await web.fetch('/v1/session')).json();
        const reply = await web.fetch('/v1/roles', { method: 'POST', headers: { 'content-type': 'application/json', 'x-csrf-token': String(session.csrfToken) }, body: JSON.stringify({ name: 'forged', permissions: ['consumers:read'] }) });
        return { status: reply.status, body: await reply.json() };
      });
      assert.deepEqual([forged.status, forged.body.code], [403, 'admin.forbidden']);
      assert.equal((await httpRequest(`${demo.gateway.adminUrl}/v1/roles/forged`, { headers: bootstrap() })).status, 404);
    } finally {
      await viewerContext.close();
    }
  });

  test('removes the passkey on the account screen (a fresh factor, as the API requires)', async () => {
    await page.getByRole('link', { name: 'Your account' }).click();
    await page.getByRole('button', { name: 'Remove the passkey laptop' }).click();
    await dialog().getByText('Remove the passkey laptop').waitFor();
    await dialog().getByRole('button', { name: 'Remove passkey' }).click();
    await page.getByText('No passkey yet.').waitFor();
    const users = await adminGet<{ items: Array<{ id: string; name: string }> }>('/v1/users?limit=100');
    const owner = users.items.find((user) => user.name === demo.owner.name)!;
    assert.deepEqual(await adminGet(`/v1/users/${owner.id}/mfa`), { totp: 'active', passkeys: 0, recoveryCodesLeft: 10 });
  });

  test('every screen this run photographed is committed in docs/console/ and shown in docs/console.md', () => {
    const docs = readFileSync(new URL('../../docs/console.md', import.meta.url), 'utf8');
    assert.ok(SCREENSHOTS.length >= 7, SCREENSHOTS.join(', '));
    for (const name of SCREENSHOTS) {
      assert.ok(existsSync(new URL(`../../docs/console/${name}.png`, import.meta.url)), `docs/console/${name}.png (PORTCULLIS_UPDATE_DOCS=1 writes it)`);
      assert.ok(docs.includes(`(console/${name}.png)`), `docs/console.md shows console/${name}.png`);
    }
  });
});
