/**
 * The config of how admin users sign in (issue 18): `admin.mfa` (who must have a second factor,
 * the grace period, step-up freshness, the key sealing TOTP seeds), `admin.sessions` (idle and
 * absolute timeouts) and `admin.login` (brute-force limits on passwords and second factors). Its
 * own file: config/schema.ts is at its size limit.
 */
import { Type, type Static } from '@sinclair/typebox';
import { isIP } from 'node:net';
import type { ConfigIssue } from '../core/policy.js';
import { Secret } from './secret-schema.js';

export const AdminMfaConfigSchema = Type.Object(
  {
    required: Type.Union([Type.Literal('all'), Type.Array(Type.String({ pattern: '^[a-z][a-z0-9_-]{0,63}$' }), { uniqueItems: true })], {
      default: 'all',
      description: "Who must have a second factor: 'all' human admins (default), or the users holding one of these roles.",
    }),
    gracePeriodHours: Type.Integer({ minimum: 0, maximum: 720, default: 72, description: 'Hours after a user is created during which they may work without a second factor; after it they can only enrol or log out.' }),
    stepUpMinutes: Type.Integer({ minimum: 1, maximum: 60, default: 10, description: 'A route marked step-up (token creation, role changes, MFA reset, secret reveal, audit export) needs a second factor presented this recently.' }),
    issuer: Type.String({ minLength: 1, maxLength: 64, default: 'Portcullis', description: 'The issuer name authenticator apps show next to the account.' }),
    seedKey: Type.Optional(Secret('Secret (at least 32 characters) from which the key that seals TOTP seeds in the store is derived; without it TOTP enrolment answers 503 admin.mfa_unavailable.')),
  },
  { additionalProperties: false, default: {}, description: 'Second factors of admin users (docs/admin.md#mfa).' },
);

export const AdminSessionsConfigSchema = Type.Object(
  {
    idleTimeoutMinutes: Type.Integer({ minimum: 1, maximum: 1440, default: 15, description: 'A session unused this long ends.' }),
    absoluteTimeoutHours: Type.Integer({ minimum: 1, maximum: 168, default: 8, description: 'A session ends this long after login, however active.' }),
  },
  { additionalProperties: false, default: {}, description: 'Admin login sessions (docs/admin.md#sessions).' },
);

export const AdminLoginConfigSchema = Type.Object(
  {
    maxFailuresPerAccountAndIp: Type.Integer({ minimum: 1, default: 10, description: 'Failed passwords or second factors for one account from one address before that pair is locked out.' }),
    maxFailuresPerAccount: Type.Integer({ minimum: 1, default: 50, description: 'Failures for one account from any address before the account is locked out (temporarily: it releases itself).' }),
    maxFailuresPerIp: Type.Integer({ minimum: 1, default: 100, description: 'Failures from one address, whatever the account, before the address is locked out.' }),
    lockoutMinutes: Type.Integer({ minimum: 1, maximum: 1440, default: 15, description: 'How long a lockout lasts; it then releases itself.' }),
    maxDelaySeconds: Type.Integer({ minimum: 0, maximum: 300, default: 30, description: 'The longest wait between attempts; the wait (1 s, 2 s, 4 s …) doubles with each failure past a third of a limit.' }),
  },
  { additionalProperties: false, default: {}, description: 'Brute-force limits of POST /v1/login and step-up (docs/admin.md#brute-force).' },
);

export const AdminWebAuthnConfigSchema = Type.Object(
  {
    rpId: Type.String({
      minLength: 1,
      maxLength: 253,
      pattern: '^[A-Za-z0-9-]+(\\.[A-Za-z0-9-]+)*$',
      description: "The relying party id passkeys are bound to: the admin console's domain (e.g. `localhost`, `admin.example.com`), never an IP address (WebAuthn §5.1.4.1 accepts only a domain).",
    }),
    rpName: Type.String({ minLength: 1, maxLength: 64, default: 'Portcullis', description: 'The name authenticators show when a passkey is created.' }),
    origins: Type.Array(Type.String({ pattern: '^https?://[^/?#]+$' }), {
      minItems: 1,
      uniqueItems: true,
      description: 'The origins the admin console is served from (`http://localhost:9901`, `https://admin.example.com`): an assertion made on any other page is refused. Each host must be the rpId or a subdomain of it.',
    }),
  },
  { additionalProperties: false, description: 'Passkeys (WebAuthn) as a second factor of admin users (docs/admin.md#passkeys-webauthn); without this section only TOTP is offered.' },
);

/**
 * What the schema cannot say of `admin.webauthn`: the RP id is a domain, not an IP address
 * (WebAuthn Level 3 §5.1.4.1: "a valid domain string"), and every origin's host is that domain
 * or below it (§5.1.4.1 step 8: the RP id must be a registrable suffix of the origin's domain).
 */
export function checkWebAuthnConfig(admin: unknown): ConfigIssue[] {
  const webauthn = typeof admin === 'object' && admin !== null ? (admin as { webauthn?: unknown }).webauthn : undefined;
  if (typeof webauthn !== 'object' || webauthn === null) return [];
  const { rpId, origins } = webauthn as { rpId?: unknown; origins?: unknown };
  if (typeof rpId !== 'string') return [];
  if (isIP(rpId) !== 0 || isIP(rpId.replace(/^\[|\]$/g, '')) !== 0) return [{ path: 'admin.webauthn.rpId', message: `must be a domain such as localhost, not the IP address ${rpId}: browsers refuse WebAuthn for an IP address` }];
  const issues: ConfigIssue[] = [];
  const domain = rpId.toLowerCase();
  (Array.isArray(origins) ? origins : []).forEach((origin, i) => {
    if (typeof origin !== 'string') return;
    let host: string;
    try {
      host = new URL(origin).hostname.toLowerCase();
    } catch {
      return; // the schema's pattern reports it
    }
    if (host !== domain && !host.endsWith(`.${domain}`)) issues.push({ path: `admin.webauthn.origins[${i}]`, message: `the host ${host} is not ${rpId} or a subdomain of it, so no passkey of this RP id can be used there` });
  });
  return issues;
}

export type AdminWebAuthnConfig = Static<typeof AdminWebAuthnConfigSchema>;
export type AdminMfaConfig = Static<typeof AdminMfaConfigSchema>;
export type AdminSessionsConfig = Static<typeof AdminSessionsConfigSchema>;
export type AdminLoginConfig = Static<typeof AdminLoginConfigSchema>;
