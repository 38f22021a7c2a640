/**
 * The demo's owner (issue 18 §9): an admin user `demo-owner` with a password and TOTP, created the
 * way an operator would, through the admin API with the bootstrap token (invite, accept with a
 * password, log in, enrol, confirm). DEMO ONLY: a real owner's password and TOTP secret are never
 * printed by anything; here they are, so the tour can show a login with MFA.
 */
import { randomBytes } from 'node:crypto';
import { totpCodeAt } from '../admin/mfa/totp.js';

export interface DemoOwner {
  readonly name: string;
  readonly password: string;
  /** The TOTP secret (base32) and its otpauth:// URI, for an authenticator app or `oathtool --totp -b`. */
  readonly totpSecret: string;
  readonly otpauthUri: string;
  readonly recoveryCodes: readonly string[];
}

export const DEMO_OWNER_NAME = 'demo-owner';

async function post(adminUrl: string, path: string, body: unknown, token?: string): Promise<any> {
  const reply = await fetch(`${adminUrl}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(token === undefined ? {} : { authorization: `Bearer ${token}` }) },
    body: JSON.stringify(body),
  });
  const text = await reply.text();
  if (!reply.ok) throw new Error(`demo owner: ${path} answered ${reply.status} ${text.slice(0, 200)}`);
  return JSON.parse(text);
}

export async function createDemoOwner(adminUrl: string, bootstrapToken: string, now: () => number): Promise<DemoOwner> {
  const password = `demo-${randomBytes(15).toString('base64url')}`;
  const invited = await post(adminUrl, '/v1/users', { name: DEMO_OWNER_NAME, email: 'owner@demo.example', roles: ['owner'] }, bootstrapToken);
  await post(adminUrl, '/v1/invitations/accept', { code: invited.invitation.code, password });
  const session = await post(adminUrl, '/v1/login', { name: DEMO_OWNER_NAME, password, tokenInBody: true });
  const enrolment = await post(adminUrl, '/v1/mfa/totp', {}, session.token);
  // Confirmed with the code of the step before now (inside the ±1-step window): the replay guard
  // then takes that step, and the code an app shows right now still works for the first login.
  const confirmed = await post(adminUrl, '/v1/mfa/totp/confirm', { code: totpCodeAt(enrolment.secret, now() - 30_000) }, session.token);
  await post(adminUrl, '/v1/logout', {}, confirmed.session.token);
  return { name: DEMO_OWNER_NAME, password, totpSecret: enrolment.secret, otpauthUri: enrolment.otpauthUri, recoveryCodes: confirmed.recoveryCodes };
}
