/** Who am I (the calling principal), and would someone be allowed a call (rbac explain). */
import { Type } from '@sinclair/typebox';
import { GatewayError } from '../../core/errors.js';
import { explain } from '../rbac-explain.js';
import { defineRoute, type AdminRoute } from '../route.js';
import { requireService } from './common.js';

const Nullable = (schema: ReturnType<typeof Type.String>) => Type.Union([schema, Type.Null()]);

export const whoamiRoutes: AdminRoute[] = [
  defineRoute({
    method: 'GET',
    path: '/v1/whoami',
    summary: 'The caller: kind, id, the admin user acted for, the credential and the permissions held',
    permission: 'authenticated',
    status: 200,
    responseSchema: Type.Object(
      {
        kind: Type.String(),
        id: Type.String(),
        userId: Nullable(Type.String()),
        name: Nullable(Type.String()),
        roles: Type.Array(Type.String()),
        credentialId: Nullable(Type.String()),
        mfa: Type.Boolean(),
        permissions: Type.Array(Type.String()),
      },
      { additionalProperties: false },
    ),
    async handler({ principal, services }) {
      const user = principal.userId === undefined ? undefined : await services.admin?.users.users.findById(principal.userId);
      return { kind: principal.kind, id: principal.id, userId: principal.userId ?? null, name: user?.name ?? null, roles: user?.roles ?? [], credentialId: principal.credentialId ?? null, mfa: principal.mfa ?? false, permissions: [...principal.permissions] };
    },
  }),
  defineRoute({
    method: 'GET',
    path: '/v1/rbac/explain',
    summary: 'Would an admin user or token be allowed METHOD path, and why (as: user id, name or email, or token id)',
    permission: 'users:read',
    querySchema: Type.Object({ as: Type.String({ minLength: 1, maxLength: 254 }), method: Type.String({ pattern: '^[A-Za-z]{3,7}$' }), path: Type.String({ pattern: '^/', maxLength: 2000 }) }, { additionalProperties: false }),
    status: 200,
    responseSchema: Type.Object(
      {
        decision: Type.Union([Type.Literal('allow'), Type.Literal('deny')]),
        subject: Type.Object({ kind: Type.String(), id: Type.String(), name: Type.String(), userId: Type.String(), status: Type.String() }, { additionalProperties: false }),
        route: Type.Union([Type.Object({ method: Type.String(), path: Type.String(), permission: Type.String() }, { additionalProperties: false }), Type.Null()]),
        reasons: Type.Array(Type.String()),
      },
      { additionalProperties: false },
    ),
    errors: ['admin.invalid_request', 'admin.not_found'],
    async handler({ query, services, routes }) {
      const found = await explain(requireService(services.admin, 'Admin users (they need a store)'), routes, query.as, query.method, query.path);
      if (!found) throw new GatewayError('admin.not_found', { detail: `No admin user or admin token ${query.as}.` });
      return found;
    },
  }),
];
