/**
 * The browser admin console (issue 25) in Debian's Chromium, against the real demo gateway (SQLite
 * store, the sample upstream, the demo owner with TOTP): its strict headers, sign-in with password
 * and TOTP, a consumer and a key made in the browser, the key revoked there and refused by the data
 * plane, and a viewer who sees no create button and whose forged call is refused with 403. Every
 * screen passes axe-core without a serious violation, at 1280×800 and on a narrow window, and is
 * saved into docs/console/ for docs/console.md.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { totpCodeAt } from '../src/admin/mfa/totp.js';
import { startDemo, type RunningDemo } from '../src/demo/demo.js';
import { SecretValue } from '../src/core/secret-value.js';
import { PrivateCa } from '../src/pki/private-ca.js';
import { run } from './helpers/tls.js';
import { launchChromium, skipWithoutChromium } from './helpers/browser.js';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { assertAccessible, screenshot, SCREENSHOTS } from './helpers/console.js';
import { assertProblem, eventually, httpRequest } from './helpers/index.js';

const VIEWER_PASSWORD = 'Juniper-Lantern-5521-Orbit';
const WIDE = { width: 1280, height: 800 };
const NARROW = { width: 390, height: 800 };
const CA_SUBJECT = 'CN=Demo Partner CA, O=Portcullis Demo';
const CA_PASSPHRASE_ENV = 'PTC_CONSOLE_CA_PASSPHRASE';
const CA_PASSPHRASE = 'console test CA passphrase 0123';

/** How far the page scrolls sideways (0: it fits the window). */
async function sidewaysOverflow(page: Page): Promise<number> {
  return page.evaluate(() => {
    const root = (globalThis as unknown as { document: { documentElement: { scrollWidth: number; clientWidth: number } } }).document.documentElement;
    return root.scrollWidth - root.clientWidth;
  });
}

describe('the admin console in a real browser', { skip: skipWithoutChromium }, () => {
  let demo: RunningDemo;
  let browser: Browser;
  let context: BrowserContext;
  let page: Page;
  /** The admin listener by name: a Secure cookie and a same-origin check need it as the browser sees it. */
  let origin = '';
  /** The demo's private CA: its key stays with the test until pki.issuing is turned on. */
  let ca: PrivateCa;
  let caDir = '';
  const received: string[] = [];
  const bootstrap = () => ({ authorization: `Bearer ${demo.keys.adminToken}`, 'content-type': 'application/json' });

  before(async () => {
    // Alerts evaluated every second, upstream_down after 1 s: the alert test waits seconds, not minutes.
    // CRLs valid 60 days: longer than certificateExpiry.warningDays, so no certificate_expiring alert
    // fires and the overview's "No alert is firing." holds.
    caDir = join(mkdtempSync(join(tmpdir(), 'portcullis-console-ca-')), 'ca');
    ca = await PrivateCa.init({ dir: caDir, subject: CA_SUBJECT, days: 3650, crlDays: 60, keyPassphraseEnv: CA_PASSPHRASE_ENV, env: { [CA_PASSPHRASE_ENV]: CA_PASSPHRASE }, now: Date.now() });
    [demo, browser] = await Promise.all([startDemo({ port: 0, adminPort: 0, alertIntervalSeconds: 1, print: (line) => received.push(line), caDir }), launchChromium()]);
    origin = `http://localhost:${new URL(demo.gateway.adminUrl).port}`;
    context = await browser.newContext({ viewport: WIDE });
    page = await context.newPage();
    page.setDefaultTimeout(10_000);
  });
  after(async () => {
    await context?.close();
    await browser?.close();
    await demo?.close();
  });

  test('serves the console with a strict CSP, hashed immutable assets and an uncached index', async () => {
    const index = await httpRequest(`${demo.gateway.adminUrl}/console/`);
    assert.equal(index.status, 200);
    assert.equal(index.headers['content-type'], 'text/html; charset=utf-8');
    assert.equal(index.headers['cache-control'], 'no-cache');
    const csp = String(index.headers['content-security-policy']);
    assert.equal(csp, "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; font-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'");
    assert.doesNotMatch(csp, /unsafe-inline|unsafe-eval/);
    assert.equal(index.headers['x-frame-options'], 'DENY');
    assert.equal(index.headers['x-content-type-options'], 'nosniff');
    assert.equal(index.headers['referrer-policy'], 'no-referrer');
    assert.doesNotMatch(index.text, /<script>|<style>|style=/, 'no inline script or style');
    const assets = [...index.text.matchAll(/(?:src|href)="(\/console\/assets\/app-[A-Z0-9]{8}\.(?:js|css))"/g)].map((match) => match[1]!);
    assert.equal(assets.length, 2, index.text);
    for (const asset of assets) {
      const reply = await httpRequest(`${demo.gateway.adminUrl}${asset}`);
      assert.equal(reply.status, 200);
      assert.equal(reply.headers['cache-control'], 'public, max-age=31536000, immutable');
      assert.equal(reply.headers['content-security-policy'], csp);
    }
    const bare = await httpRequest(`${demo.gateway.adminUrl}/console`);
    assert.equal(bare.status, 308);
    assert.equal(bare.headers.location, '/console/');
  });

  test('signs in the demo owner with password and TOTP; the overview shows traffic from the route counters', async () => {
    const requests: string[] = [];
    page.on('request', (request) => requests.push(request.url()));
    await page.goto(`${origin}/console/`);
    await assertAccessible(page, 'login');
    await screenshot(page, 'login');
    await page.getByLabel('Name').fill(demo.owner.name);
    await page.getByLabel('Password').fill(demo.owner.password);
    await page.getByRole('button', { name: 'Sign in' }).click();
    // The password was right; the account has TOTP, so the form asks for the code.
    await page.getByLabel('Authenticator code').fill(totpCodeAt(demo.owner.totpSecret, Date.now()));
    await page.getByRole('button', { name: 'Verify and sign in' }).click();
    await page.getByRole('heading', { name: 'Overview' }).waitFor().catch(async (error) => assert.fail(`${error}\n${await page.locator('body').innerText()}`));
    await page.getByText('No alert is firing.').waitFor();
    await page.getByText("Last 24 h, from the gateway's route counters").waitFor();
    const cookies = await context.cookies(origin);
    assert.deepEqual(cookies.map((cookie) => [cookie.name, cookie.httpOnly, cookie.secure, cookie.sameSite]), [['__Host-portcullis-session', true, true, 'Strict']]);
    await assertAccessible(page, 'overview');
    await screenshot(page, 'overview');
    assert.deepEqual(requests.filter((url) => !url.startsWith(`${origin}/`)), [], 'no request leaves the admin origin');
  });

  test('creates a consumer and a key; the key works on the data plane until it is revoked in the console', async () => {
    await page.getByRole('link', { name: 'Consumers and keys' }).click();
    await page.getByLabel('New consumer’s name').fill('console-partner');
    await page.getByRole('button', { name: 'Create consumer' }).click();
    // Nothing is sent before the summary is confirmed.
    const dialog = page.getByRole('dialog');
    await dialog.getByText('Create the consumer console-partner').waitFor();
    await dialog.getByRole('button', { name: 'Create consumer' }).click();
    await page.getByRole('link', { name: 'console-partner' }).click();
    await page.getByRole('heading', { name: 'Consumer console-partner' }).waitFor();

    await page.getByLabel('Key name').fill('reporting');
    await page.getByLabel('Scopes (separated by spaces or commas)').fill('accounts:read');
    await page.getByRole('button', { name: 'Issue key' }).click();
    await dialog.getByText('Issue the key reporting to console-partner with the scopes accounts:read').waitFor();
    await dialog.getByRole('button', { name: 'Issue key' }).click();
    const secret = (await page.getByRole('status', { name: 'API key reporting' }).textContent())!.trim();
    assert.match(secret, /^ptc_/);
    await context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin });
    await page.getByRole('button', { name: 'Copy to clipboard' }).click();
    assert.equal(await page.evaluate(() => (globalThis as unknown as { navigator: { clipboard: { readText(): Promise<string> } } }).navigator.clipboard.readText()), secret);
    await assertAccessible(page, 'key shown once');
    await screenshot(page, 'key-created');
    await page.getByRole('button', { name: 'I have stored it' }).click();
    assert.equal(await page.locator('output.secret').count(), 0, 'the key is gone from the page');

    const accounts = () => httpRequest(`${demo.gateway.url()}/v1/accounts`, { headers: { authorization: `Bearer ${secret}` } });
    await eventually(async () => (await accounts()).status === 200, 'the new key works on the data plane');

    await page.getByRole('button', { name: 'Revoke reporting' }).click();
    await dialog.getByText('Revoke reporting of console-partner now').waitFor();
    await assertAccessible(page, 'confirmation');
    await screenshot(page, 'confirm-revoke');
    await dialog.getByRole('button', { name: 'Revoke key' }).click();
    await page.getByRole('cell', { name: 'revoked' }).waitFor();
    await eventually(async () => (await accounts()).status === 401, 'the revoked key is refused');
    assertProblem(await accounts(), 401, 'auth.key_revoked');
    await assertAccessible(page, 'consumer');
    await screenshot(page, 'consumer');
  });

  test('the account screen lists the sessions and the second factors; the narrow window keeps every screen usable', async () => {
    await page.getByRole('link', { name: 'Your account' }).click();
    await page.getByText('Authenticator app (TOTP): active').waitFor();
    await page.getByRole('cell', { name: 'this session' }).waitFor();
    await assertAccessible(page, 'account');
    await screenshot(page, 'account');
    await page.setViewportSize(NARROW);
    for (const [link, ready] of [
      ['Overview', 'Firing alerts'],
      ['Consumers and keys', 'Consumers'],
    ] as const) {
      await page.getByRole('link', { name: link }).click();
      await page.getByRole('heading', { name: ready, exact: true }).waitFor();
      await assertAccessible(page, `${link} (narrow)`);
      const overflow = await page.evaluate(() => {
        const root = (globalThis as unknown as { document: { documentElement: { scrollWidth: number; clientWidth: number } } }).document.documentElement;
        return root.scrollWidth - root.clientWidth;
      });
      assert.ok(overflow <= 0, `${link} scrolls sideways by ${overflow}px at ${NARROW.width}px`);
    }
    await screenshot(page, 'consumers-narrow');
    await page.setViewportSize(WIDE);
  });

  test('an alert fires when the upstream goes away, and shows on the overview and the alerts screen', async () => {
    const full = { authorization: `Bearer ${demo.keys.full}` };
    assert.equal((await httpRequest(`${demo.console.url}/upstream/stop`, { method: 'POST' })).status, 204);
    try {
      // Three failures in a row put the only target in cool-down (health.failuresBeforeCooldown).
      for (let i = 0; i < 3; i++) assert.equal((await httpRequest(`${demo.gateway.url()}/v1/accounts`, { headers: full })).status, 502);
      await page.getByRole('link', { name: 'Overview' }).click();
      await eventually(async () => {
        await page.reload();
        return (await page.getByRole('list', { name: 'Firing alerts' }).getByText('upstream_down').count()) === 1;
      }, 'upstream_down shows as firing on the overview');
      await assertAccessible(page, 'overview with a firing alert');
      await screenshot(page, 'overview-alert');
      await page.getByRole('link', { name: 'Alerts', exact: true }).click();
      await page.getByRole('cell', { name: 'upstream_down', exact: true }).waitFor();
      await page.getByRole('cell', { name: 'demo-receiver' }).waitFor();
      await page.getByRole('button', { name: 'Silence upstream_down' }).click();
      assert.match(await page.getByLabel('Labels to match (name=value, separated by commas)').inputValue(), /^rule=upstream_down, /);
      await page.getByLabel('Reason').fill('maintenance of the payments upstream');
      await page.getByRole('button', { name: 'Create silence' }).click();
      await page.getByRole('dialog').getByRole('button', { name: 'Create silence' }).click();
      await page.getByRole('cell', { name: 'maintenance of the payments upstream' }).waitFor();
      // The engine applies a new silence at its next evaluation (every second here).
      await eventually(async () => {
        await page.reload();
        await page.getByRole('cell', { name: 'upstream_down', exact: true }).waitFor();
        return (await page.getByRole('cell', { name: 'silenced', exact: true }).count()) === 1;
      }, 'the alert shows as silenced');
      await assertAccessible(page, 'alerts');
      await screenshot(page, 'alerts');
    } finally {
      await httpRequest(`${demo.console.url}/upstream/start`, { method: 'POST' });
    }
    assert.equal((await httpRequest(`${demo.gateway.url()}/v1/accounts`, { headers: full })).status, 200);
  });

  test('the audit trail filters by action, shows a change before and after, and verifies its range', async () => {
    await page.getByRole('link', { name: 'Audit trail' }).click();
    await page.getByLabel('Action (api_key.revoke)').fill('api_key.revoke');
    await page.getByRole('button', { name: 'Apply filters' }).click();
    const row = page.getByRole('row').filter({ hasText: 'api_key.revoke' });
    await row.first().waitFor();
    await eventually(async () => (await page.getByRole('cell', { name: 'consumer.create' }).count()) === 0, 'the filter applies');
    await row.first().getByText(/^Changes of #\d+$/).click();
    const status = row.first().getByRole('row').filter({ has: page.getByRole('rowheader', { name: 'status' }) });
    assert.deepEqual((await status.getByRole('cell').allInnerTexts()).map((text) => text.replace(/\s+/g, ' ')), ['"active"', '"revoked" (changed)']);
    await page.getByRole('button', { name: 'Verify this range' }).click();
    const verdict = page.getByRole('status').filter({ has: page.getByRole('heading', { level: 2 }) });
    await verdict.waitFor();
    assert.match(await verdict.getByRole('heading').innerText(), /^The chain verifies/);
    await assertAccessible(page, 'audit');
    await screenshot(page, 'audit');
  });

  test('the other screens show what the admin API holds, or say what is not available yet', async () => {
    for (const [link, heading, name] of [
      ['Admin users', 'Admin users, roles and tokens', 'users'],
      ['OAuth', 'OAuth clients and signing keys', 'oauth'],
      ['Credentials and secrets', 'Outbound credentials and vault secrets', 'secrets'],
      ['Rate limits', 'Rate-limit overrides', 'overrides'],
    ] as const) {
      await page.getByRole('link', { name: link, exact: true }).click();
      await page.getByRole('heading', { name: heading, level: 1 }).waitFor();
      await page.waitForLoadState('networkidle');
      await assertAccessible(page, name);
      await screenshot(page, name);
    }
    await page.getByRole('link', { name: 'Admin users', exact: true }).click();
    const owner = page.getByRole('row').filter({ hasText: 'demo-owner' });
    await owner.getByText(/^TOTP; \d+ recovery codes$/).waitFor();
  });

  test('the routes screen shows the demo routes with the traffic of real requests, shadow routes and deprecated routes by consumer', async () => {
    for (let sent = 0; sent < 3; sent++) assert.equal((await httpRequest(`${demo.gateway.url()}/v1/accounts`, { headers: { authorization: `Bearer ${demo.keys.full}` } })).status, 200);
    await demo.gateway.services.routeTraffic!.flush();
    const inventory = JSON.parse((await httpRequest(`${demo.gateway.adminUrl}/v1/inventory`, { headers: bootstrap() })).text) as { routes: Array<{ name: string; path: string; traffic: { last24h: { requests: number; errors: number } } }> };
    const accounts = inventory.routes.find((route) => route.path.startsWith('/v1/accounts'));
    assert.ok(accounts, JSON.stringify(inventory.routes.map((route) => route.path)));
    assert.ok(accounts.traffic.last24h.requests >= 3, 'the three requests are counted');
    await page.getByRole('link', { name: 'Routes', exact: true }).click();
    await page.getByRole('heading', { name: 'Routes and inventory', level: 1 }).waitFor();
    for (const route of inventory.routes) {
      const row = page.getByRole('row').filter({ has: page.getByRole('cell', { name: route.name, exact: true }) });
      await row.getByText(`${route.traffic.last24h.requests} requests, ${route.traffic.last24h.errors} errors`).waitFor();
    }
    await assertAccessible(page, 'routes');
    await screenshot(page, 'routes');
    // At 390 px each route is a card of labelled lines; long paths wrap instead of widening the page.
    await page.setViewportSize(NARROW);
    assert.ok((await sidewaysOverflow(page)) <= 0, `the routes table scrolls sideways by ${await sidewaysOverflow(page)}px at ${NARROW.width}px`);
    await assertAccessible(page, 'routes (narrow)');
    await screenshot(page, 'routes-narrow');
    await page.setViewportSize(WIDE);
    await page.getByRole('button', { name: 'Shadow routes' }).click();
    await page.getByRole('heading', { name: 'Contract operations no route serves' }).waitFor();
    await assertAccessible(page, 'shadow routes');
    await page.getByRole('button', { name: 'Deprecated, by consumer' }).click();
    const deprecated = JSON.parse((await httpRequest(`${demo.gateway.adminUrl}/v1/inventory/deprecated`, { headers: bootstrap() })).text) as { routes: Array<{ route: string; state: string }> };
    if (deprecated.routes.length === 0) await page.getByText('No route is announced, deprecated or sunset.').waitFor();
    for (const route of deprecated.routes) await page.getByRole('heading', { name: `${route.route}: ${route.state}` }).waitFor();
    await assertAccessible(page, 'deprecated routes');
    // The consumer detail: the demo partner's calls per route, as GET /v1/consumers/:id/traffic gives them.
    await page.getByRole('link', { name: 'Consumers and keys', exact: true }).click();
    await page.getByRole('link', { name: 'demo-partner', exact: true }).click();
    await page.getByRole('heading', { name: 'Traffic by route' }).waitFor();
    const partner = decodeURIComponent(new URL(page.url()).hash.split('/')[2]!);
    const calls = JSON.parse((await httpRequest(`${demo.gateway.adminUrl}/v1/consumers/${partner}/traffic`, { headers: bootstrap() })).text) as { routes: Array<{ route: string; last24h: { requests: number; errors: number } }> };
    assert.ok(calls.routes.some((item) => item.route === accounts.name && item.last24h.requests >= 3), JSON.stringify(calls));
    for (const item of calls.routes) {
      const row = page.getByRole('row').filter({ has: page.getByRole('cell', { name: item.route, exact: true }) });
      await row.getByRole('cell', { name: new RegExp(`^${item.last24h.requests} requests, ${item.last24h.errors} errors \\(`) }).waitFor();
    }
    await assertAccessible(page, 'consumer traffic');
    await page.getByRole('heading', { name: 'Traffic by route' }).scrollIntoViewIfNeeded();
    await screenshot(page, 'consumer-traffic');
    await page.getByRole('link', { name: 'Overview', exact: true }).click();
    const total = inventory.routes.reduce((sum, route) => sum + route.traffic.last24h.requests, 0);
    await page.locator('dl.figures dd').first().getByText(String(total), { exact: true }).waitFor();
  });

  test('the certificates screen shows the CA, its CRL and a certificate issued in the test; issuing is off until pki.issuing, then a CSR is issued and revoked in the browser', async () => {
    const consumers = JSON.parse((await httpRequest(`${demo.gateway.adminUrl}/v1/consumers`, { headers: bootstrap() })).text) as { items: Array<{ id: string; name: string }> };
    const partner = consumers.items.find((item) => item.name === 'demo-partner')!.id;
    const issued = (await ca.issue({ consumerId: partner, days: 90, now: Date.now() })).record;
    await page.getByRole('link', { name: 'Certificates', exact: true }).click();
    await page.getByRole('heading', { name: 'Certificates and the private CA', level: 1 }).waitFor();
    await page.getByRole('definition').filter({ hasText: CA_SUBJECT }).waitFor();
    await page.getByText(/^number \d+, 0 revoked, signed .* — current$/).waitFor();
    const row = (serial: string) => page.getByRole('row').filter({ has: page.getByRole('cell', { name: serial, exact: true }) });
    await row(issued.serial).getByRole('cell', { name: 'active', exact: true }).waitFor();
    await page.getByRole('cell', { name: "private CA's CRL (next update)" }).waitFor();
    // The safe default: the gateway has no CA key, and the screen says where issuing is done.
    await page.getByText(/^This gateway does not hold the CA key: issue and revoke with `portcullis certs issue`/).waitFor();
    assert.equal(await page.getByRole('button', { name: 'Issue certificate' }).count(), 0);
    assert.equal(await page.getByRole('button', { name: /^Revoke / }).count(), 0);
    await assertAccessible(page, 'certificates');
    await screenshot(page, 'certificates');

    // The operator opts in: pki.issuing names the CA key's passphrase (here as ${env:…} already read).
    const config = demo.gateway.config;
    const applied = await demo.gateway.reload({ ...config, pki: { ...config.pki!, issuing: { caKey: new SecretValue(CA_PASSPHRASE, `\${env:${CA_PASSPHRASE_ENV}}`) } } });
    assert.equal(applied.ok, true, JSON.stringify(applied));
    await page.reload();
    const key = join(caDir, '..', 'partner.key');
    const csrFile = join(caDir, '..', 'partner.csr');
    const made = await run('openssl', ['req', '-new', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', key, '-subj', '/CN=demo-partner-mtls/O=Demo Partner', '-out', csrFile]);
    assert.equal(made.code, 0, made.stderr);
    await page.getByLabel('Consumer id').fill(partner);
    await page.getByLabel("The partner's CSR (PEM; the partner keeps its key)").fill(readFileSync(csrFile, 'utf8'));
    await page.getByLabel('Valid for (days)').fill('30');
    await page.getByRole('button', { name: 'Issue certificate' }).click();
    const dialog = page.getByRole('dialog');
    await dialog.getByText(`Issue a client certificate for the consumer ${partner}, valid 30 days`).waitFor();
    await dialog.getByRole('button', { name: 'Issue certificate' }).click();
    const shown = page.getByRole('heading', { name: /^Certificate [0-9a-f]+ for / });
    const stepUp = dialog.getByLabel(/^Your authenticator code/);
    await shown.or(stepUp).first().waitFor();
    if (await stepUp.isVisible()) {
      // The sign-in's second factor is older than admin.mfa.stepUpMinutes on a slow run: a recovery code steps up.
      await stepUp.fill(demo.owner.recoveryCodes[0]!);
      await dialog.getByRole('button', { name: 'Issue certificate' }).click();
      await shown.waitFor();
    }
    const serial = /^Certificate ([0-9a-f]+) for /.exec(await shown.innerText())![1]!;
    assert.match((await page.getByRole('status', { name: 'Issued certificate chain' }).textContent())!, /^-----BEGIN CERTIFICATE-----/);
    await assertAccessible(page, 'certificate issued');
    await screenshot(page, 'certificate-issued');
    await page.getByRole('button', { name: 'Done' }).click();
    // 30 days: the overview lists it among what expires in the next 30 days.
    await page.getByRole('link', { name: 'Overview', exact: true }).click();
    await page.getByRole('row').filter({ hasText: 'partner certificate (private CA) CN=demo-partner-mtls, O=Demo Partner' }).getByRole('cell', { name: partner, exact: true }).waitFor();
    await page.getByRole('link', { name: 'Certificates', exact: true }).click();

    await page.getByRole('button', { name: `Revoke ${serial}` }).click();
    await dialog.getByText(`Revoke the certificate ${serial} of ${partner}`).waitFor();
    await assertAccessible(page, 'confirm certificate revocation');
    await dialog.getByRole('button', { name: 'Revoke certificate' }).click();
    await row(serial).getByText(/^revoked /).waitFor();
    await page.getByText(/^number \d+, 1 revoked, signed .* — current$/).waitFor();
    const state = JSON.parse((await httpRequest(`${demo.gateway.adminUrl}/v1/certificates?status=revoked`, { headers: bootstrap() })).text) as { items: Array<{ serial: string }> };
    assert.deepEqual(state.items.map((item) => item.serial), [serial]);

    await page.setViewportSize(NARROW);
    assert.ok((await sidewaysOverflow(page)) <= 0, `the certificates screen scrolls sideways by ${await sidewaysOverflow(page)}px at ${NARROW.width}px`);
    await assertAccessible(page, 'certificates (narrow)');
    await screenshot(page, 'certificates-narrow');
    await page.setViewportSize(WIDE);
  });

  test('a viewer sees no create button, and their forged call from the page is refused with 403', async () => {
    const invited = await httpRequest(`${demo.gateway.adminUrl}/v1/users`, { method: 'POST', headers: bootstrap(), body: JSON.stringify({ name: 'vera', email: 'vera@demo.example', roles: ['viewer'] }) });
    assert.equal(invited.status, 201, invited.text);
    const code = invited.json<{ invitation: { code: string } }>().invitation.code;
    const accepted = await httpRequest(`${demo.gateway.adminUrl}/v1/invitations/accept`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ code, password: VIEWER_PASSWORD }) });
    assert.equal(accepted.status, 200, accepted.text);

    const viewerContext = await browser.newContext({ viewport: WIDE });
    try {
      const viewer = await viewerContext.newPage();
      viewer.setDefaultTimeout(10_000);
      await viewer.goto(`${origin}/console/#/consumers`);
      await viewer.getByLabel('Name').fill('vera');
      await viewer.getByLabel('Password').fill(VIEWER_PASSWORD);
      await viewer.getByRole('button', { name: 'Sign in' }).click();
      await viewer.getByRole('link', { name: 'console-partner' }).waitFor();
      // Only the screens a viewer may read are offered.
      assert.equal(await viewer.getByRole('link', { name: 'Audit trail' }).count(), 0);
      assert.equal(await viewer.getByRole('link', { name: 'Admin users' }).count(), 0);
      assert.equal(await viewer.getByRole('button', { name: 'Create consumer' }).count(), 0);
      assert.equal(await viewer.getByLabel('New consumer’s name').count(), 0);
      await viewer.getByRole('link', { name: 'console-partner' }).click();
      await viewer.getByRole('heading', { name: 'Consumer console-partner' }).waitFor();
      assert.equal(await viewer.getByRole('button', { name: 'Issue key' }).count(), 0);
      await assertAccessible(viewer, 'consumer (viewer)');
      // The API, not the hidden button, is the control: the same call made by hand, with the
      // viewer's cookie, CSRF token and origin, is refused.
      const forged = await viewer.evaluate(async () => {
        const web = globalThis as unknown as { fetch(url: string, init?: Record<string, unknown>): Promise<{ status: number; json(): Promise<Record<string, unknown>> }> };
        const session = await (await web.fetch('/v1/session')).json();
        const reply = await web.fetch('/v1/consumers', { method: 'POST', headers: { 'content-type': 'application/json', 'x-csrf-token': String(session.csrfToken) }, body: JSON.stringify({ name: 'forged' }) });
        return { status: reply.status, body: await reply.json() };
      });
      assert.equal(forged.status, 403);
      assert.equal(forged.body.code, 'admin.forbidden');
      // Certificates: the viewer reads them, is offered no issuing or revoking, and a forged issue is refused.
      await viewer.getByRole('link', { name: 'Certificates', exact: true }).click();
      await viewer.getByRole('definition').filter({ hasText: CA_SUBJECT }).waitFor();
      await viewer.getByRole('cell', { name: 'revoked', exact: false }).first().waitFor();
      assert.equal(await viewer.getByRole('button', { name: 'Issue certificate' }).count(), 0);
      assert.equal(await viewer.getByRole('button', { name: /^Revoke / }).count(), 0);
      const forgedIssue = await viewer.evaluate(async (consumerId) => {
        const web = globalThis as unknown as { fetch(url: string, init?: Record<string, unknown>): Promise<{ status: number; json(): Promise<Record<string, unknown>> }> };
        const session = await (await web.fetch('/v1/session')).json();
        const reply = await web.fetch('/v1/certificates', { method: 'POST', headers: { 'content-type': 'application/json', 'x-csrf-token': String(session.csrfToken) }, body: JSON.stringify({ consumerId, csr: '-----BEGIN CERTIFICATE REQUEST-----\nAA==\n-----END CERTIFICATE REQUEST-----\n' }) });
        return { status: reply.status, body: await reply.json() };
      }, 'con_forged');
      assert.deepEqual([forgedIssue.status, forgedIssue.body.code], [403, 'admin.forbidden']);
      const listed = await httpRequest(`${demo.gateway.adminUrl}/v1/consumers`, { headers: bootstrap() });
      assert.ok(!listed.json<{ items: Array<{ name: string }> }>().items.some((item) => item.name === 'forged'));
    } finally {
      await viewerContext.close();
    }
  });

  // Last: it breaks the demo's chain on purpose.
  test('a record altered in the store makes "Verify this range" say the chain does NOT verify', async () => {
    const db = demo.gateway.services.store!.db;
    const victim = await db.selectFrom('audit_records').select(['seq', 'record']).where('action', '=', 'consumer.create').orderBy('seq', 'desc').executeTakeFirstOrThrow();
    await db.updateTable('audit_records').set({ record: victim.record.replace('console-partner', 'someone-else') }).where('seq', '=', victim.seq).execute();
    await page.getByRole('link', { name: 'Audit trail' }).click();
    await page.getByRole('button', { name: 'Verify this range' }).click();
    const verdict = page.getByRole('status').filter({ has: page.getByRole('heading', { name: 'The chain does NOT verify' }) });
    await verdict.waitFor();
    await verdict.getByText(`record ${victim.seq}: its content does not match its hash`).waitFor();
  });

  test('every screen the run photographed is committed in docs/console/ and shown in docs/console.md', () => {
    const docs = readFileSync(new URL('../../docs/console.md', import.meta.url), 'utf8');
    assert.ok(SCREENSHOTS.length >= 10, SCREENSHOTS.join(', '));
    for (const name of SCREENSHOTS) {
      assert.ok(existsSync(new URL(`../../docs/console/${name}.png`, import.meta.url)), `docs/console/${name}.png (PORTCULLIS_UPDATE_DOCS=1 writes it)`);
      assert.ok(docs.includes(`(console/${name}.png)`), `docs/console.md shows console/${name}.png`);
    }
  });
});
