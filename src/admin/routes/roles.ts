/** Roles and the permission table: the built-in roles and custom roles made from permissions. */
import { Type } from '@sinclair/typebox';
import { PERMISSIONS } from '../permissions.js';
import { ROLE_NAME_PATTERN } from '../role-service.js';
import { defineRoute, type AdminRoute, type AdminServices } from '../route.js';
import { requireService } from './common.js';

const RoleSchema = Type.Object(
  { name: Type.String(), builtIn: Type.Boolean(), description: Type.String(), permissions: Type.Array(Type.String()) },
  { additionalProperties: false },
);
const Permissions = Type.Array(Type.String({ pattern: '^[a-z-]+:[a-z-]+$', maxLength: 64 }), { maxItems: 200, uniqueItems: true });

const plane = (services: AdminServices) => requireService(services.admin, 'Roles (they need a store)');

export const roleRoutes: AdminRoute[] = [
  defineRoute({
    method: 'GET',
    path: '/v1/permissions',
    summary: 'The permission table: every permission a role or token may hold, with what it allows',
    permission: 'roles:read',
    status: 200,
    responseSchema: Type.Object({ items: Type.Array(Type.Object({ name: Type.String(), description: Type.String() }, { additionalProperties: false })) }, { additionalProperties: false }),
    handler: async () => ({ items: Object.entries(PERMISSIONS).map(([name, entry]) => ({ name, description: entry.description })) }),
  }),
  defineRoute({
    method: 'GET',
    path: '/v1/roles',
    summary: 'List the roles: built-in first, then custom ones by name',
    permission: 'roles:read',
    status: 200,
    responseSchema: Type.Object({ items: Type.Array(RoleSchema) }, { additionalProperties: false }),
    handler: async ({ services }) => ({ items: await plane(services).roles.list() }),
  }),
  defineRoute({
    method: 'GET',
    path: '/v1/roles/:name',
    summary: 'Show one role and its permissions',
    permission: 'roles:read',
    status: 200,
    responseSchema: RoleSchema,
    errors: ['admin.not_found'],
    handler: ({ params, services }) => plane(services).roles.get(params.name!),
  }),
  defineRoute({
    method: 'POST',
    path: '/v1/roles',
    summary: 'Create a custom role from permissions (only permissions you hold; unknown ones refused)',
    permission: 'roles:write',
    stepUp: true,
    bodySchema: Type.Object({ name: Type.String({ pattern: ROLE_NAME_PATTERN }), description: Type.Optional(Type.String({ maxLength: 200 })), permissions: Permissions }, { additionalProperties: false }),
    status: 201,
    responseSchema: RoleSchema,
    errors: ['admin.invalid_request', 'admin.conflict'],
    handler: ({ body, principal, services }) => plane(services).roles.create(principal, body),
  }),
  defineRoute({
    method: 'POST',
    path: '/v1/roles/:name',
    summary: "Replace a custom role's permissions (those it adds must be yours)",
    permission: 'roles:write',
    stepUp: true,
    bodySchema: Type.Object({ description: Type.Optional(Type.String({ maxLength: 200 })), permissions: Permissions }, { additionalProperties: false }),
    status: 200,
    responseSchema: RoleSchema,
    errors: ['admin.invalid_request', 'admin.not_found'],
    handler: ({ params, body, principal, services }) => plane(services).roles.update(principal, params.name!, body),
  }),
  defineRoute({
    method: 'DELETE',
    path: '/v1/roles/:name',
    summary: 'Delete a custom role that no user holds',
    permission: 'roles:write',
    status: 200,
    responseSchema: Type.Object({ deleted: Type.String() }, { additionalProperties: false }),
    errors: ['admin.invalid_request', 'admin.not_found', 'admin.conflict'],
    async handler({ params, principal, services }) {
      await plane(services).roles.delete(principal, params.name!);
      return { deleted: params.name! };
    },
  }),
];
