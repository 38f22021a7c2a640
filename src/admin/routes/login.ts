/**
 * Login, logout, the caller's own session and step-up (docs/admin.md#sessions). Login is the one
 * public route: it proves who the caller is itself. A browser gets the session as the
 * `__Host-portcullis-session` cookie and its CSRF token in the body; the CLI asks for the token
 * in the body (`tokenInBody`) and sends it as `Authorization: Bearer ptc_ses_…`.
 */
import { Type } from '@sinclair/typebox';
import type { TLSSocket } from 'node:tls';
import { GatewayError } from '../../core/errors.js';
import { isLoopback } from '../../net/client-ip.js';
import type { AdminSessionRow } from '../../store/admin-sessions.js';
import { AUTHENTICATED, PUBLIC } from '../permissions.js';
import { defineRoute, type AdminRoute, type AdminServices } from '../route.js';
import type { AdminAuth, SessionPrincipal } from '../sessions/admin-auth.js';
import { login, stepUp } from '../sessions/login.js';
import { presentsFactor } from '../mfa/mfa-service.js';
import { clearedSessionCookie, readSessionCookie, sessionCookie } from '../sessions/session-cookie.js';
import { sessionCredential } from '../sessions/session-authenticator.js';
import { csrfTokenOf } from '../sessions/session-service.js';
import { isoTime } from '../views.js';
import { Empty, Timestamp } from './common.js';
import { AuthenticationResponse } from './webauthn-schemas.js';
import type { AuthenticationResponseJSON } from '../mfa/webauthn.js';

const Code = Type.String({ pattern: '^[0-9]{6}$', description: 'The current code of the authenticator app.' });
const RecoveryCode = Type.String({ minLength: 16, maxLength: 32, description: 'One of the recovery codes (single use).' });

const LoginBody = Type.Object(
  {
    name: Type.String({ minLength: 1, maxLength: 254 }),
    password: Type.String({ minLength: 1, maxLength: 1024 }),
    code: Type.Optional(Code),
    recoveryCode: Type.Optional(RecoveryCode),
    webauthn: Type.Optional(AuthenticationResponse),
    tokenInBody: Type.Boolean({ default: false, description: 'true (the CLI): answer the session token in the body and set no cookie.' }),
  },
  { additionalProperties: false },
);

const StepUpBody = Type.Object({ code: Type.Optional(Code), recoveryCode: Type.Optional(RecoveryCode), webauthn: Type.Optional(AuthenticationResponse) }, { additionalProperties: false });

export const SessionSchema = Type.Object(
  {
    id: Type.String(),
    userId: Type.String(),
    name: Type.String(),
    method: Type.String(),
    mfa: Type.Boolean(),
    enrolOnly: Type.Boolean({ description: 'true: enrol a second factor before anything else.' }),
    createdAt: Timestamp,
    expiresAt: Timestamp,
    idleExpiresAt: Timestamp,
    stepUpValidUntil: Type.Union([Timestamp, Type.Null()]),
    permissions: Type.Array(Type.String()),
    csrfToken: Type.String({ description: 'Send as X-CSRF-Token with every POST and DELETE made with the cookie.' }),
    token: Type.Optional(Type.String({ description: 'The session token, only when asked for (tokenInBody): shown once.' })),
  },
  { additionalProperties: false },
);

/** The session that replaced the caller's after a change of its factors (rotation): the cookie is re-set, a bearer caller gets its new token. */
export const RotatedSession = Type.Object(
  {
    id: Type.String({ description: 'The new session id; the old session is ended.' }),
    csrfToken: Type.String(),
    token: Type.Optional(Type.String({ description: 'The new session token, for a bearer caller (the CLI): shown once.' })),
  },
  { additionalProperties: false, description: 'The session is rotated (new id and token) whenever a second factor is enrolled or removed.' },
);

/** Answers a rotated session: Set-Cookie for a cookie caller, the token in the body for a bearer one. */
export function rotatedSessionView(auth: AdminAuth, principal: SessionPrincipal, rotated: { row: AdminSessionRow; token: string }, responseHeaders: Record<string, string>) {
  if (principal.viaCookie) responseHeaders['set-cookie'] = sessionCookie(rotated.token, auth.sessions.maxAgeSeconds(rotated.row));
  return { id: rotated.row.id, csrfToken: csrfTokenOf(rotated.token), ...(principal.viaCookie ? {} : { token: rotated.token }) };
}

export function requireAuth(services: AdminServices): AdminAuth {
  if (!services.auth || !services.store) throw new GatewayError('admin.not_found', { detail: 'Admin user login is off in this configuration (it needs the store).' });
  return services.auth;
}

export function sessionView(auth: AdminAuth, row: AdminSessionRow, token: string, name: string, permissions: readonly string[], withToken: boolean) {
  const { idleTimeoutMinutes, stepUpMinutes } = { idleTimeoutMinutes: auth.sessions.idleTimeoutMinutes, stepUpMinutes: auth.policy().stepUpMinutes };
  const enrolOnly = row.enrol_only === 1;
  return {
    id: row.id,
    userId: row.user_id,
    name,
    method: row.method,
    mfa: row.mfa === 1,
    enrolOnly,
    createdAt: isoTime(row.created_at),
    expiresAt: isoTime(row.expires_at),
    idleExpiresAt: isoTime(Math.min(row.expires_at, auth.clock.now() + idleTimeoutMinutes * 60_000)),
    stepUpValidUntil: row.mfa_at === null ? null : isoTime(row.mfa_at + stepUpMinutes * 60_000),
    permissions: enrolOnly ? [] : [...permissions],
    csrfToken: csrfTokenOf(token),
    ...(withToken ? { token } : {}),
  };
}

export const loginRoutes: AdminRoute[] = [
  defineRoute({
    method: 'POST',
    path: '/v1/login',
    summary: 'Log in as an admin user with a password and, once enrolled, a second factor; opens a new session',
    permission: PUBLIC,
    bodySchema: LoginBody,
    status: 201,
    responseSchema: SessionSchema,
    errors: ['admin.invalid_request', 'admin.login_failed', 'admin.mfa_required', 'auth.too_many_failures', 'admin.not_found'],
    async handler({ body, req, services, responseHeaders }) {
      const auth = requireAuth(services);
      const secure = (req.socket as TLSSocket).encrypted === true;
      // A Secure cookie over plain HTTP is only safe where nothing can listen in: loopback.
      if (!body.tokenInBody && !secure && !isLoopback(req.socket.localAddress ?? '')) {
        throw new GatewayError('admin.invalid_request', { detail: 'Cookie sessions off loopback need an HTTPS admin listener (admin.tls).' });
      }
      const result = await login(services.store!, auth, req, { ...body, webauthn: body.webauthn as AuthenticationResponseJSON | undefined }, readSessionCookie(req));
      if (!body.tokenInBody) responseHeaders['set-cookie'] = sessionCookie(result.token, auth.sessions.maxAgeSeconds(result.session));
      return sessionView(auth, result.session, result.token, result.account.name, result.account.permissions, body.tokenInBody);
    },
  }),
  defineRoute({
    method: 'GET',
    path: '/v1/session',
    summary: 'Show the caller’s own session (and its CSRF token)',
    permission: AUTHENTICATED,
    sessionOnly: true,
    duringEnrolment: true,
    status: 200,
    responseSchema: SessionSchema,
    async handler({ principal, services, req }) {
      const auth = requireAuth(services);
      const session = principal as SessionPrincipal;
      const row = await auth.sessions.repo.find(session.credentialId);
      if (!row) throw new GatewayError('admin.session_expired', { detail: 'The session is gone: log in again.' });
      // The token is read again from the request: principals (actors of writes) never carry a secret.
      return sessionView(auth, row, sessionCredential(req)!.token, session.name, session.permissions, false);
    },
  }),
  defineRoute({
    method: 'POST',
    path: '/v1/logout',
    summary: 'End the caller’s session',
    permission: AUTHENTICATED,
    sessionOnly: true,
    duringEnrolment: true,
    bodySchema: Empty,
    status: 200,
    responseSchema: Type.Object({ revoked: Type.Boolean() }, { additionalProperties: false }),
    async handler({ principal, services, responseHeaders }) {
      const auth = requireAuth(services);
      const session = principal as SessionPrincipal;
      const revoked = await services.store!.write(principal, 'admin_session.revoke', (tx) => auth.sessions.repo.revoke(tx, session.credentialId));
      responseHeaders['set-cookie'] = clearedSessionCookie();
      return { revoked };
    },
  }),
  defineRoute({
    method: 'POST',
    path: '/v1/session/step-up',
    summary: 'Present a second factor again (step-up): replaces the session by a new one, fresh for admin.mfa.stepUpMinutes',
    permission: AUTHENTICATED,
    sessionOnly: true,
    bodySchema: StepUpBody,
    status: 200,
    responseSchema: SessionSchema,
    errors: ['admin.invalid_request', 'admin.login_failed', 'auth.too_many_failures'],
    async handler({ body, principal, services, responseHeaders }) {
      const auth = requireAuth(services);
      const factor = { ...body, webauthn: body.webauthn as AuthenticationResponseJSON | undefined };
      if (!presentsFactor(factor)) throw new GatewayError('admin.invalid_request', { detail: 'Send code, webauthn or recoveryCode.' });
      const session = principal as SessionPrincipal;
      const result = await stepUp(services.store!, auth, session, factor);
      if (session.viaCookie) responseHeaders['set-cookie'] = sessionCookie(result.token, auth.sessions.maxAgeSeconds(result.session));
      // A bearer caller (the CLI) gets its new token in the body: the old one is revoked.
      return sessionView(auth, result.session, result.token, session.name, session.permissions, !session.viaCookie);
    },
  }),
];
