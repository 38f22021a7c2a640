/**
 * The config of how admin users sign in (issue 18): `admin.mfa` (who must have a second factor,
 * the grace period, step-up freshness, the key sealing TOTP seeds), `admin.sessions` (idle and
 * absolute timeouts) and `admin.login` (brute-force limits on passwords and second factors). Its
 * own file: config/schema.ts is at its size limit.
 */
import { Type, type Static } from '@sinclair/typebox';
import type { SecretValue } from './secret.js';

const Secret = (description: string) => Type.Unsafe<SecretValue>(Type.String({ secret: true, description }));

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

export type AdminMfaConfig = Static<typeof AdminMfaConfigSchema>;
export type AdminSessionsConfig = Static<typeof AdminSessionsConfigSchema>;
export type AdminLoginConfig = Static<typeof AdminLoginConfigSchema>;
