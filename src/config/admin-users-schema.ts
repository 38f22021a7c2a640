/**
 * The `admin` section's keys for admin users and their tokens (issue 18), merged into the admin
 * object of schema.ts: the bootstrap token's switch, admin token lifetimes, one-time code expiry.
 */
import { Type } from '@sinclair/typebox';

export const ADMIN_USERS_PROPERTIES = {
  bootstrapToken: Type.Object(
    {
      keepEnabled: Type.Boolean({
        default: false,
        description: 'true: the bootstrap token (admin.token) keeps working after the first owner exists (for automation); otherwise it is disabled then, and only `portcullis admin break-glass` re-enables it. preflight flags true.',
      }),
    },
    { additionalProperties: false, default: {}, description: 'The bootstrap token (admin.token): creates the first owner, then is disabled.' },
  ),
  tokens: Type.Object(
    {
      defaultExpiryDays: Type.Integer({ minimum: 1, default: 90, description: 'Expiry of a scoped admin token (ptc_adm_…) created without expiresInDays.' }),
      maxExpiryDays: Type.Integer({ minimum: 1, default: 365, description: 'The longest expiry a scoped admin token may be given.' }),
      lastUsedFlushMs: Type.Integer({ minimum: 100, default: 10000, description: 'How often admin tokens\' last-used times and addresses are written, in one batch.' }),
    },
    { additionalProperties: false, default: {}, description: 'Scoped admin tokens (ptc_adm_…) for automation.' },
  ),
  users: Type.Object(
    {
      codeExpiryHours: Type.Integer({ minimum: 1, maximum: 720, default: 72, description: 'How long an invitation or password-reset code works.' }),
    },
    { additionalProperties: false, default: {}, description: 'Admin users.' },
  ),
};
