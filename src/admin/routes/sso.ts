/**
 * Single sign-on routes (docs/admin.md#single-sign-on), public like login: they prove who the
 * caller is themselves. `start` redirects the browser to the identity provider; the provider sends
 * it back to `callback`, which opens a session (the `__Host-portcullis-session` cookie) or, when
 * the provider asserted no second factor and the user has ours, answers an `mfaToken` for `mfa`.
 */
import { Type } from '@sinclair/typebox';
import { GatewayError } from '../../core/errors.js';
import { PUBLIC } from '../permissions.js';
import { defineRoute, type AdminRoute, type AdminServices } from '../route.js';
import { sessionCookie } from '../sessions/session-cookie.js';
import type { SsoService } from '../sso/sso-service.js';
import { isoTime } from '../views.js';
import { Empty, Timestamp } from './common.js';
import { requireAuth, SessionSchema, sessionView } from './login.js';

const Param = (description: string) => Type.Optional(Type.String({ maxLength: 4096, description }));

/** The authorization response (RFC 6749 §4.1.2, §4.1.2.1; RFC 9207 `iss`; OpenID Connect Session Management `session_state`). */
const CallbackQuery = Type.Object(
  {
    code: Param('The authorization code.'),
    state: Param('The state given at start (single use).'),
    iss: Param('The issuer (RFC 9207), checked when the provider sends it.'),
    error: Param('The provider refused: an OAuth error code.'),
    error_description: Param('The provider\'s words on its refusal.'),
    error_uri: Param('A page about the error.'),
    session_state: Param('The provider\'s session state (not used).'),
  },
  { additionalProperties: false },
);

const MfaBody = Type.Object(
  {
    mfaToken: Type.String({ pattern: '^ptc_ssm_[A-Za-z0-9_-]{43}$', description: 'The mfaToken of the callback\'s answer (single use).' }),
    code: Type.Optional(Type.String({ pattern: '^[0-9]{6}$', description: 'The current code of the authenticator app.' })),
    recoveryCode: Type.Optional(Type.String({ minLength: 16, maxLength: 32, description: 'One of the recovery codes (single use).' })),
  },
  { additionalProperties: false },
);

const CallbackSchema = Type.Union([
  Type.Object({ status: Type.Literal('signed_in'), session: SessionSchema }, { additionalProperties: false }),
  Type.Object(
    {
      status: Type.Literal('mfa_required'),
      name: Type.String(),
      mfaToken: Type.String({ description: 'Send with code or recoveryCode to POST /v1/auth/sso/mfa, before expiresAt; shown once.' }),
      expiresAt: Timestamp,
    },
    { additionalProperties: false },
  ),
]);

function requireSso(services: AdminServices): SsoService {
  requireAuth(services);
  if (!services.sso?.configured) throw new GatewayError('admin.not_found', { detail: 'Single sign-on is off in this configuration (admin.sso).' });
  return services.sso;
}

const SSO_ERRORS = ['admin.sso_failed', 'admin.sso_refused', 'admin.sso_no_role', 'admin.sso_account_conflict', 'admin.sso_unavailable', 'admin.not_found'] as const;

export const ssoRoutes: AdminRoute[] = [
  defineRoute({
    method: 'GET',
    path: '/v1/auth/sso/start',
    summary: 'Start a single sign-on: redirects to the identity provider (authorization code flow with PKCE) and sets the sign-in\'s binding cookie',
    permission: PUBLIC,
    status: 302,
    responseSchema: Empty,
    errors: ['admin.sso_unavailable', 'admin.not_found'],
    async handler({ services, responseHeaders }) {
      const started = await requireSso(services).start();
      responseHeaders.location = started.location;
      responseHeaders['set-cookie'] = started.cookie;
      return undefined;
    },
  }),
  defineRoute({
    method: 'GET',
    path: '/v1/auth/sso/callback',
    summary: 'The identity provider\'s redirect back: verifies the sign-in and opens a session, or asks for the second factor',
    permission: PUBLIC,
    querySchema: CallbackQuery,
    status: 200,
    responseSchema: CallbackSchema,
    errors: ['admin.invalid_request', ...SSO_ERRORS],
    async handler({ services, req, responseHeaders }) {
      const sso = requireSso(services);
      const auth = requireAuth(services);
      // The query exactly as the provider wrote it: oauth4webapi checks it (state, iss, error).
      const search = (req.url ?? '').split('?')[1] ?? '';
      const result = await sso.callback(req, search);
      if (result.kind === 'mfa_required') return { status: 'mfa_required', name: result.account.name, mfaToken: result.mfaToken, expiresAt: isoTime(result.expiresAt) };
      responseHeaders['set-cookie'] = sessionCookie(result.token, auth.sessions.maxAgeSeconds(result.session));
      return { status: 'signed_in', session: sessionView(auth, result.session, result.token, result.account.name, result.account.permissions, false) };
    },
  }),
  defineRoute({
    method: 'POST',
    path: '/v1/auth/sso/mfa',
    summary: 'Finish a single sign-on with our second factor (when the provider asserted none): opens the session',
    permission: PUBLIC,
    bodySchema: MfaBody,
    status: 201,
    responseSchema: SessionSchema,
    errors: ['admin.invalid_request', 'admin.login_failed', 'auth.too_many_failures', ...SSO_ERRORS],
    async handler({ body, services, req, responseHeaders }) {
      const sso = requireSso(services);
      const auth = requireAuth(services);
      if (body.code === undefined && body.recoveryCode === undefined) throw new GatewayError('admin.invalid_request', { detail: 'Send code or recoveryCode.' });
      const result = await sso.completeMfa(req, body.mfaToken, body);
      responseHeaders['set-cookie'] = sessionCookie(result.token, auth.sessions.maxAgeSeconds(result.session));
      return sessionView(auth, result.session, result.token, result.account.name, result.account.permissions, false);
    },
  }),
];
