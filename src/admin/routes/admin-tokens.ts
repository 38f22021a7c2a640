/** Scoped admin tokens (`ptc_adm_…`) for automation: shown once, a subset of their maker's permissions. */
import { Type } from '@sinclair/typebox';
import { listOf, listQuery, paginate } from '../pagination.js';
import { defineRoute, type AdminRoute, type AdminServices } from '../route.js';
import { Empty, GracePeriod, NullableTimestamp, requireService, Timestamp } from './common.js';

const TokenSchema = Type.Object(
  {
    id: Type.String(),
    name: Type.String(),
    userId: Type.String({ description: 'The admin user the token acts for: it never holds more than they do.' }),
    permissions: Type.Array(Type.String()),
    status: Type.Union([Type.Literal('active'), Type.Literal('revoked'), Type.Literal('expired')]),
    expiresAt: Timestamp,
    createdBy: Type.String(),
    createdAt: Timestamp,
    lastUsedAt: NullableTimestamp,
    lastUsedIp: Type.Union([Type.String(), Type.Null()]),
    replacedBy: Type.Union([Type.String(), Type.Null()]),
    revokedAt: NullableTimestamp,
  },
  { additionalProperties: false },
);
const Secret = Type.String({ description: 'The admin token itself (ptc_adm_…): shown only in this answer, never again.' });
const Days = Type.Optional(Type.Integer({ minimum: 1, description: 'Days until expiry (default admin.tokens.defaultExpiryDays, at most admin.tokens.maxExpiryDays).' }));

const plane = (services: AdminServices) => requireService(services.admin, 'Admin tokens (they need a store)');

export const adminTokenRoutes: AdminRoute[] = [
  defineRoute({
    method: 'GET',
    path: '/v1/admin-tokens',
    summary: "List admin tokens (never the tokens themselves); userId: one user's",
    permission: 'admin-tokens:read',
    querySchema: listQuery({ userId: Type.Optional(Type.String({ pattern: '^[A-Za-z0-9_-]{1,64}$' })) }),
    status: 200,
    responseSchema: listOf(TokenSchema),
    errors: ['admin.invalid_request'],
    handler: ({ query, services }) => paginate(query, (p) => plane(services).tokens.page({ userId: query.userId }, p), (t) => t.id),
  }),
  defineRoute({
    method: 'POST',
    path: '/v1/admin-tokens',
    summary: 'Create an admin token for yourself with some of your permissions (the token is in this answer only)',
    permission: 'admin-tokens:write',
    stepUp: true,
    bodySchema: Type.Object(
      { name: Type.String({ minLength: 1, maxLength: 100 }), permissions: Type.Array(Type.String({ maxLength: 64 }), { minItems: 1, maxItems: 200, uniqueItems: true }), expiresInDays: Days },
      { additionalProperties: false },
    ),
    status: 201,
    responseSchema: Type.Object({ secret: Secret, adminToken: TokenSchema }, { additionalProperties: false }),
    errors: ['admin.invalid_request'],
    async handler({ body, principal, services }) {
      const created = await plane(services).tokens.create(principal, body);
      return { secret: created.token, adminToken: created.view };
    },
  }),
  defineRoute({
    method: 'GET',
    path: '/v1/admin-tokens/:id',
    summary: 'Show one admin token (never the token itself)',
    permission: 'admin-tokens:read',
    status: 200,
    responseSchema: TokenSchema,
    errors: ['admin.not_found'],
    handler: ({ params, services }) => plane(services).tokens.get(params.id!),
  }),
  defineRoute({
    method: 'POST',
    path: '/v1/admin-tokens/:id/rotate',
    summary: 'Replace one of your admin tokens; the old one works until the grace period ends',
    permission: 'admin-tokens:write',
    stepUp: true,
    bodySchema: Type.Object({ gracePeriodSeconds: GracePeriod, expiresInDays: Days }, { additionalProperties: false }),
    status: 201,
    responseSchema: Type.Object({ secret: Secret, adminToken: TokenSchema, previous: TokenSchema }, { additionalProperties: false }),
    errors: ['admin.invalid_request', 'admin.not_found', 'admin.conflict'],
    async handler({ params, body, principal, services }) {
      const rotated = await plane(services).tokens.rotate(principal, params.id!, { graceSeconds: body.gracePeriodSeconds, expiresInDays: body.expiresInDays });
      return { secret: rotated.token, adminToken: rotated.view, previous: rotated.previous };
    },
  }),
  defineRoute({
    method: 'POST',
    path: '/v1/admin-tokens/:id/revoke',
    summary: "Revoke an admin token now: your own, or anyone's with admin-tokens:revoke",
    permission: 'admin-tokens:write',
    bodySchema: Empty,
    status: 200,
    responseSchema: TokenSchema,
    errors: ['admin.not_found'],
    handler: ({ params, principal, services }) => plane(services).tokens.revoke(principal, params.id!),
  }),
];
