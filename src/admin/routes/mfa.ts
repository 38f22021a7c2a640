/**
 * The caller's own second factors (status, TOTP enrolment and its confirmation, new recovery
 * codes) and the reset of another admin's factors (docs/admin.md#mfa). A reset needs `mfa:reset`
 * (the security role), a fresh second factor, and another admin than the one reset: losing a
 * factor is recovered by a colleague, never by oneself.
 */
import { Type } from '@sinclair/typebox';
import { GatewayError } from '../../core/errors.js';
import { AUTHENTICATED } from '../permissions.js';
import { defineRoute, PATH_PARAM_PATTERN, type AdminRoute } from '../route.js';
import type { SessionPrincipal } from '../sessions/admin-auth.js';
import { Empty } from './common.js';
import { requireAuth, RotatedSession, rotatedSessionView } from './login.js';
import { requireFreshFactor } from '../sessions/route-guard.js';

const RecoveryCodes = Type.Object({ recoveryCodes: Type.Array(Type.String(), { description: 'Shown once: keep them somewhere safe; each works once.' }) }, { additionalProperties: false });

export const mfaRoutes: AdminRoute[] = [
  defineRoute({
    method: 'GET',
    path: '/v1/mfa',
    summary: 'Show the caller’s second factors',
    permission: AUTHENTICATED,
    sessionOnly: true,
    duringEnrolment: true,
    status: 200,
    responseSchema: Type.Object({ totp: Type.Union([Type.Literal('none'), Type.Literal('pending'), Type.Literal('active')]), passkeys: Type.Integer({ description: 'How many passkeys (WebAuthn) the caller has.' }), recoveryCodesLeft: Type.Integer() }, { additionalProperties: false }),
    handler: async ({ principal, services }) => requireAuth(services).mfa.status(principal.id),
  }),
  defineRoute({
    method: 'POST',
    path: '/v1/mfa/totp',
    summary: 'Start a TOTP enrolment: a new secret, its otpauth URI and QR code (confirm with a first code)',
    permission: AUTHENTICATED,
    sessionOnly: true,
    duringEnrolment: true,
    bodySchema: Empty,
    status: 201,
    responseSchema: Type.Object({ secret: Type.String(), otpauthUri: Type.String(), qrCodeDataUrl: Type.String() }, { additionalProperties: false }),
    errors: ['admin.conflict', 'admin.mfa_unavailable', 'admin.step_up_required'],
    async handler({ principal, services }) {
      const auth = requireAuth(services);
      const session = principal as SessionPrincipal;
      // Adding a factor beside a passkey needs that passkey, fresh: a stolen session must not add its own.
      if (await auth.mfa.hasFactor(session.id)) requireFreshFactor(session, auth.policy().stepUpMinutes, auth.clock.now());
      return auth.mfa.startTotp(principal, session.id, session.name);
    },
  }),
  defineRoute({
    method: 'POST',
    path: '/v1/mfa/totp/confirm',
    summary: 'Confirm the TOTP enrolment with a first code; answers 10 recovery codes (shown once) and replaces the session by a new one',
    permission: AUTHENTICATED,
    sessionOnly: true,
    duringEnrolment: true,
    bodySchema: Type.Object({ code: Type.String({ pattern: '^[0-9]{6}$' }) }, { additionalProperties: false }),
    status: 200,
    responseSchema: Type.Object({ recoveryCodes: Type.Array(Type.String(), { description: '10 codes when TOTP is the first factor (shown once); [] when the user had one already (their codes stay).' }), session: RotatedSession }, { additionalProperties: false }),
    errors: ['admin.invalid_request', 'admin.conflict'],
    async handler({ body, principal, services, responseHeaders }) {
      const auth = requireAuth(services);
      const session = principal as SessionPrincipal;
      const { recoveryCodes, also } = await auth.mfa.confirmTotp(principal, principal.id, body.code, (tx) => auth.sessions.rotate(tx, session.credentialId, 'presented'));
      return { recoveryCodes, session: rotatedSessionView(auth, session, also, responseHeaders) };
    },
  }),
  defineRoute({
    method: 'POST',
    path: '/v1/mfa/recovery-codes',
    summary: 'Replace all of the caller’s recovery codes with 10 new ones (shown once)',
    permission: AUTHENTICATED,
    sessionOnly: true,
    stepUp: true,
    bodySchema: Empty,
    status: 200,
    responseSchema: RecoveryCodes,
    errors: ['admin.conflict'],
    handler: async ({ principal, services }) => ({ recoveryCodes: await requireAuth(services).mfa.regenerateRecoveryCodes(principal, principal.id) }),
  }),
  defineRoute({
    method: 'POST',
    path: '/v1/users/:id/mfa/reset',
    summary: 'Remove every second factor of another admin user and end their sessions (they enrol again at their next login)',
    permission: 'mfa:reset',
    stepUp: true,
    bodySchema: Empty,
    status: 200,
    responseSchema: Type.Object({ userId: Type.String({ pattern: PATH_PARAM_PATTERN }), sessionsRevoked: Type.Integer() }, { additionalProperties: false }),
    errors: ['admin.not_found'],
    async handler({ params, principal, services }) {
      const auth = requireAuth(services);
      const userId = params.id!;
      if (principal.kind === 'admin-user' && principal.id === userId) throw new GatewayError('admin.forbidden', { detail: 'Another admin with mfa:reset must reset your second factor.' });
      if (!(await auth.accounts.find(userId))) throw new GatewayError('admin.not_found', { detail: `No admin user ${userId}.` });
      const sessionsRevoked = await services.store!.write(principal, 'admin_mfa.reset', async (tx) => {
        await auth.mfa.reset(tx, userId);
        return auth.sessions.repo.revokeAll(tx, userId);
      });
      return { userId, sessionsRevoked };
    },
  }),
];
