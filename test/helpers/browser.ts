/**
 * A real browser for tests: Debian's Chromium driven by playwright-core over CDP (no browser is
 * downloaded), headless and kept off the network (every host name but localhost resolves to
 * nothing). Under CI=true a missing Chromium fails the run; elsewhere the tests are skipped.
 */
import { existsSync } from 'node:fs';
import { chromium, type Browser, type CDPSession, type Page } from 'playwright-core';

export const CHROMIUM_PATH = process.env.PORTCULLIS_TEST_CHROMIUM ?? '/usr/bin/chromium';

const chromiumProblem = existsSync(CHROMIUM_PATH) ? undefined : `no Chromium at ${CHROMIUM_PATH} (apt-get install chromium)`;
if (chromiumProblem && process.env.CI === 'true') throw new Error(`${chromiumProblem}: CI must run the browser tests, not skip them`);
if (chromiumProblem) console.log(`# skipping browser tests: ${chromiumProblem}`);

/** `false` when Chromium is there; otherwise the reason, for node:test's `skip` option. */
export const skipWithoutChromium: false | string = chromiumProblem ?? false;

export function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM_PATH,
    headless: true,
    timeout: 30_000,
    args: [
      '--no-sandbox', // tests run as root, where Chromium's sandbox cannot start
      '--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE localhost',
      '--no-proxy-server',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--no-first-run',
    ],
  });
}

/**
 * A CTAP2 platform authenticator with user verification, inside the page's browser (Chrome
 * DevTools Protocol, WebAuthn domain): it creates real key pairs and signs real assertions with a
 * counter, answering navigator.credentials without a person touching anything.
 */
export async function addVirtualAuthenticator(page: Page): Promise<{ cdp: CDPSession; authenticatorId: string }> {
  const cdp = await page.context().newCDPSession(page);
  await cdp.send('WebAuthn.enable');
  const { authenticatorId } = await cdp.send('WebAuthn.addVirtualAuthenticator', {
    options: { protocol: 'ctap2', transport: 'internal', hasResidentKey: true, hasUserVerification: true, isUserVerified: true, automaticPresenceSimulation: true },
  });
  return { cdp, authenticatorId };
}

/** The browser globals the page functions use (this project compiles without the DOM library). */
interface PageGlobals {
  PublicKeyCredential: { parseCreationOptionsFromJSON(json: unknown): unknown; parseRequestOptionsFromJSON(json: unknown): unknown };
  navigator: { credentials: { create(options: unknown): Promise<{ toJSON(): Record<string, unknown> }>; get(options: unknown): Promise<{ toJSON(): Record<string, unknown> }> } };
}

/** navigator.credentials.create with options as JSON (WebAuthn §5.1.11); answers PublicKeyCredential.toJSON(). */
export function createCredential(page: Page, options: unknown): Promise<Record<string, unknown>> {
  return page.evaluate(async (json) => {
    const web = globalThis as unknown as PageGlobals;
    const credential = await web.navigator.credentials.create({ publicKey: web.PublicKeyCredential.parseCreationOptionsFromJSON(json) });
    return credential.toJSON();
  }, options);
}

/** navigator.credentials.get with options as JSON (WebAuthn §5.1.12); answers PublicKeyCredential.toJSON(). */
export function getAssertion(page: Page, options: unknown): Promise<Record<string, unknown>> {
  return page.evaluate(async (json) => {
    const web = globalThis as unknown as PageGlobals;
    const credential = await web.navigator.credentials.get({ publicKey: web.PublicKeyCredential.parseRequestOptionsFromJSON(json) });
    return credential.toJSON();
  }, options);
}
