/**
 * Passkeys (WebAuthn) as a second factor (docs/admin.md#passkeys-webauthn): each ceremony is two
 * calls, options then answer. Registering needs a session (and, when the user has a factor
 * already, a fresh one: a stolen session must not add its own factor); removing needs step-up.
 * The login and step-up halves are here too: their answers go to POST /v1/login and
 * POST /v1/session/step-up as `webauthn`.
 */
import { Type } from '@sinclair/typebox';
import { GatewayError } from '../../core/errors.js';
import type { PasskeyRow } from '../../store/admin-webauthn.js';
import { AUTHENTICATED, PUBLIC } from '../permissions.js';
import { defineRoute, PATH_PARAM_PATTERN, type AdminRoute } from '../route.js';
import type { RegistrationResponseJSON } from '../mfa/webauthn.js';
import type { SessionPrincipal } from '../sessions/admin-auth.js';
import { passkeyLoginOptions } from '../sessions/login.js';
import { requireFreshFactor } from '../sessions/route-guard.js';
import { isoTime } from '../views.js';
import { Empty, NullableTimestamp, Timestamp } from './common.js';
import { requireAuth, RotatedSession, rotatedSessionView } from './login.js';
import { CeremonyOptions, RegistrationResponse } from './webauthn-schemas.js';

const Passkey = Type.Object(
  {
    id: Type.String(),
    name: Type.String(),
    credentialId: Type.String({ description: 'The id the authenticator gave the credential (base64url).' }),
    transports: Type.Array(Type.String()),
    createdAt: Timestamp,
    lastUsedAt: NullableTimestamp,
  },
  { additionalProperties: false },
);

const passkeyView = (row: PasskeyRow) => ({
  id: row.id,
  name: row.name,
  credentialId: row.credential_id,
  transports: JSON.parse(row.transports) as string[],
  createdAt: isoTime(Number(row.created_at)),
  lastUsedAt: row.last_used_at === null ? null : isoTime(Number(row.last_used_at)),
});

export const webauthnRoutes: AdminRoute[] = [
  defineRoute({
    method: 'POST',
    path: '/v1/mfa/webauthn/registration/options',
    summary: 'Start registering a passkey: options for navigator.credentials.create (valid 2 minutes, for this session)',
    permission: AUTHENTICATED,
    sessionOnly: true,
    duringEnrolment: true,
    bodySchema: Empty,
    status: 200,
    responseSchema: CeremonyOptions,
    errors: ['admin.mfa_unavailable', 'admin.step_up_required'],
    async handler({ principal, services }) {
      const auth = requireAuth(services);
      const session = principal as SessionPrincipal;
      if (await auth.mfa.hasFactor(session.id)) requireFreshFactor(session, auth.policy().stepUpMinutes, auth.clock.now());
      return { publicKey: await auth.mfa.webauthn.registrationOptions(session.id, session.name, session.credentialId) };
    },
  }),
  defineRoute({
    method: 'POST',
    path: '/v1/mfa/webauthn/registration',
    summary: 'Finish registering a passkey with the answer of navigator.credentials.create; a first factor also answers 10 recovery codes (shown once); replaces the session by a new one',
    permission: AUTHENTICATED,
    sessionOnly: true,
    duringEnrolment: true,
    bodySchema: Type.Object({ name: Type.String({ minLength: 1, maxLength: 64, description: 'A label: which device or key this is.' }), response: RegistrationResponse }, { additionalProperties: false }),
    status: 201,
    responseSchema: Type.Object({ passkey: Passkey, recoveryCodes: Type.Array(Type.String(), { description: '10 codes when this is the first factor (shown once); [] when the user had one already.' }), session: RotatedSession }, { additionalProperties: false }),
    errors: ['admin.invalid_request', 'admin.conflict', 'admin.mfa_unavailable'],
    async handler({ body, principal, services, responseHeaders }) {
      const auth = requireAuth(services);
      const session = principal as SessionPrincipal;
      const result = await services.store!.write(principal, 'admin_mfa.passkey_register', async (tx) => {
        const row = await auth.mfa.webauthn.register(tx, session.id, session.credentialId, body.name, body.response as RegistrationResponseJSON);
        const recoveryCodes = await auth.mfa.firstFactorRecoveryCodes(tx, session.id);
        return { passkey: passkeyView(row), recoveryCodes, rotated: await auth.sessions.rotate(tx, session.credentialId, 'presented') };
      });
      return { passkey: result.passkey, recoveryCodes: result.recoveryCodes, session: rotatedSessionView(auth, session, result.rotated, responseHeaders) };
    },
  }),
  defineRoute({
    method: 'GET',
    path: '/v1/mfa/webauthn',
    summary: 'List the caller’s passkeys',
    permission: AUTHENTICATED,
    sessionOnly: true,
    duringEnrolment: true,
    status: 200,
    responseSchema: Type.Object({ items: Type.Array(Passkey) }, { additionalProperties: false }),
    async handler({ principal, services }) {
      return { items: (await requireAuth(services).mfa.webauthn.repo.list(principal.id)).map(passkeyView) };
    },
  }),
  defineRoute({
    method: 'DELETE',
    path: '/v1/mfa/webauthn/:id',
    summary: 'Remove one of the caller’s passkeys (needs a fresh second factor); replaces the session by a new one',
    permission: AUTHENTICATED,
    sessionOnly: true,
    stepUp: true,
    status: 200,
    responseSchema: Type.Object({ removed: Type.Boolean(), id: Type.String({ pattern: PATH_PARAM_PATTERN }), session: RotatedSession }, { additionalProperties: false }),
    errors: ['admin.not_found'],
    async handler({ params, principal, services, responseHeaders }) {
      const auth = requireAuth(services);
      const session = principal as SessionPrincipal;
      const rotated = await services.store!.write(principal, 'admin_mfa.passkey_remove', async (tx) => {
        if (!(await auth.mfa.webauthn.repo.remove(tx, principal.id, params.id!))) throw new GatewayError('admin.not_found', { detail: 'No passkey of yours has that id.' });
        return auth.sessions.rotate(tx, session.credentialId, 'kept');
      });
      return { removed: true, id: params.id!, session: rotatedSessionView(auth, session, rotated, responseHeaders) };
    },
  }),
  defineRoute({
    method: 'POST',
    path: '/v1/login/webauthn/options',
    summary: 'First half of a passkey login: checks the password, answers options for navigator.credentials.get; send its answer to POST /v1/login as webauthn',
    permission: PUBLIC,
    bodySchema: Type.Object({ name: Type.String({ minLength: 1, maxLength: 254 }), password: Type.String({ minLength: 1, maxLength: 1024 }) }, { additionalProperties: false }),
    status: 200,
    responseSchema: CeremonyOptions,
    errors: ['admin.login_failed', 'admin.conflict', 'auth.too_many_failures', 'admin.mfa_unavailable', 'admin.not_found'],
    async handler({ body, req, services }) {
      const auth = requireAuth(services);
      return { publicKey: await passkeyLoginOptions(services.store!, auth, req, body) };
    },
  }),
  defineRoute({
    method: 'POST',
    path: '/v1/session/step-up/webauthn/options',
    summary: 'First half of a passkey step-up: options for navigator.credentials.get, for this session; send its answer to POST /v1/session/step-up as webauthn',
    permission: AUTHENTICATED,
    sessionOnly: true,
    bodySchema: Empty,
    status: 200,
    responseSchema: CeremonyOptions,
    errors: ['admin.conflict', 'admin.mfa_unavailable'],
    async handler({ principal, services }) {
      const auth = requireAuth(services);
      const options = await auth.mfa.webauthn.authenticationOptions(principal.id, { purpose: 'step-up', sessionId: (principal as SessionPrincipal).credentialId });
      if (!options) throw new GatewayError('admin.conflict', { detail: 'You have no passkey: step up with code or recoveryCode.' });
      return { publicKey: options };
    },
  }),
];
