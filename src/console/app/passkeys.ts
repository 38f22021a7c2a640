/**
 * The browser half of the admin API's passkey ceremonies (docs/admin.md#passkeys-webauthn): the
 * API answers `{ publicKey }` options as JSON; the browser turns them into a ceremony with
 * PublicKeyCredential.parse{Creation,Request}OptionsFromJSON (WebAuthn Level 3 §5.1.9, §5.1.10),
 * the authenticator answers, and PublicKeyCredential.toJSON() (§5.1.8) is what the API verifies.
 * No WebAuthn parsing happens here: the server verifies with @simplewebauthn/server.
 */
import { adoptSession, call, type Session } from './api.js';

/** The Level 3 JSON helpers (not yet in TypeScript's DOM library). */
interface JsonCredentials {
  parseCreationOptionsFromJSON(json: unknown): PublicKeyCredentialCreationOptions;
  parseRequestOptionsFromJSON(json: unknown): PublicKeyCredentialRequestOptions;
}

interface JsonCredential {
  toJSON(): Record<string, unknown>;
}

/** True when this browser can run a passkey ceremony from the API's JSON options. */
export function passkeysSupported(): boolean {
  const constructor = globalThis.PublicKeyCredential as unknown as Partial<JsonCredentials> | undefined;
  return typeof constructor?.parseRequestOptionsFromJSON === 'function' && typeof constructor.parseCreationOptionsFromJSON === 'function';
}

const helpers = () => globalThis.PublicKeyCredential as unknown as JsonCredentials;

/** navigator.credentials.create with the API's options (§5.1.3); the credential as JSON. */
export async function createPasskey(options: unknown): Promise<Record<string, unknown>> {
  const credential = await navigator.credentials.create({ publicKey: helpers().parseCreationOptionsFromJSON(options) });
  if (!credential) throw new Error('The browser made no passkey.');
  return (credential as unknown as JsonCredential).toJSON();
}

/** navigator.credentials.get with the API's options (§5.1.4); the assertion as JSON. */
export async function getAssertion(options: unknown): Promise<Record<string, unknown>> {
  const credential = await navigator.credentials.get({ publicKey: helpers().parseRequestOptionsFromJSON(options) });
  if (!credential) throw new Error('The browser gave no passkey assertion.');
  return (credential as unknown as JsonCredential).toJSON();
}

/**
 * Steps the session up with a passkey (POST /v1/session/step-up/webauthn/options, then
 * POST /v1/session/step-up with the assertion): the answer is a new session and CSRF token.
 * Problems: 409 admin.conflict without a passkey, 401 admin.login_failed for a refused assertion.
 */
export async function stepUpWithPasskey(): Promise<Session> {
  const { publicKey } = await call<{ publicKey: unknown }>('POST', '/v1/session/step-up/webauthn/options', {});
  return adoptSession(await call<Session>('POST', '/v1/session/step-up', { webauthn: await getAssertion(publicKey) }));
}
