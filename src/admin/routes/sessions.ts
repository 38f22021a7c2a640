/** The caller's own sessions: list them (every device), end one, or end all the others. */
import { Type } from '@sinclair/typebox';
import { GatewayError } from '../../core/errors.js';
import { AUTHENTICATED } from '../permissions.js';
import { defineRoute, type AdminRoute } from '../route.js';
import type { SessionPrincipal } from '../sessions/admin-auth.js';
import { isoTime } from '../views.js';
import { Empty, Timestamp } from './common.js';
import { requireAuth } from './login.js';

const SessionListItem = Type.Object(
  {
    id: Type.String(),
    method: Type.String(),
    mfa: Type.Boolean(),
    createdAt: Timestamp,
    lastSeenAt: Timestamp,
    expiresAt: Timestamp,
    ip: Type.Union([Type.String(), Type.Null()]),
    userAgent: Type.Union([Type.String(), Type.Null()]),
    current: Type.Boolean(),
  },
  { additionalProperties: false },
);

export const sessionRoutes: AdminRoute[] = [
  defineRoute({
    method: 'GET',
    path: '/v1/sessions',
    summary: 'List the caller’s live sessions, newest first',
    permission: AUTHENTICATED,
    sessionOnly: true,
    status: 200,
    responseSchema: Type.Object({ items: Type.Array(SessionListItem) }, { additionalProperties: false }),
    async handler({ principal, services }) {
      const auth = requireAuth(services);
      const rows = await auth.sessions.repo.listActive(principal.id, auth.clock.now());
      const current = (principal as SessionPrincipal).credentialId;
      return {
        items: rows.map((row) => ({ id: row.id, method: row.method, mfa: row.mfa === 1, createdAt: isoTime(row.created_at), lastSeenAt: isoTime(row.last_seen_at), expiresAt: isoTime(row.expires_at), ip: row.ip, userAgent: row.user_agent, current: row.id === current })),
      };
    },
  }),
  defineRoute({
    method: 'DELETE',
    path: '/v1/sessions/:id',
    summary: 'End one of the caller’s sessions',
    permission: AUTHENTICATED,
    sessionOnly: true,
    status: 200,
    responseSchema: Type.Object({ revoked: Type.Boolean() }, { additionalProperties: false }),
    errors: ['admin.not_found'],
    async handler({ params, principal, services }) {
      const auth = requireAuth(services);
      const revoked = await services.store!.write(principal, 'admin_session.revoke', (tx) => auth.sessions.repo.revoke(tx, params.id!, principal.id));
      if (!revoked) throw new GatewayError('admin.not_found', { detail: 'No live session of yours has that id.' });
      return { revoked };
    },
  }),
  defineRoute({
    method: 'POST',
    path: '/v1/sessions/revoke-others',
    summary: 'End every session of the caller but this one (a lost laptop, a shared machine)',
    permission: AUTHENTICATED,
    sessionOnly: true,
    bodySchema: Empty,
    status: 200,
    responseSchema: Type.Object({ revoked: Type.Integer() }, { additionalProperties: false }),
    async handler({ principal, services }) {
      const auth = requireAuth(services);
      const revoked = await services.store!.write(principal, 'admin_session.revoke', (tx) => auth.sessions.repo.revokeAll(tx, principal.id, (principal as SessionPrincipal).credentialId));
      return { revoked };
    },
  }),
];
