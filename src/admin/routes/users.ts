/**
 * Admin users: invited with a one-time code, activated by setting a password, disabled, deleted,
 * their roles set, their password reset (admin/user-service.ts has the rules).
 */
import { Type } from '@sinclair/typebox';
import { listOf, listQuery, paginate } from '../pagination.js';
import { defineRoute, type AdminRoute, type AdminServices } from '../route.js';
import { adminUserView, AdminUserSchema, codeView, IssuedCodeSchema } from './admin-views.js';
import { Empty, requireService } from './common.js';
import { requireAuth } from './login.js';

export const USER_NAME_PATTERN = '^[a-z0-9][a-z0-9._-]{1,63}$';
const RoleName = Type.String({ pattern: '^[a-z][a-z0-9-]{1,39}$' });
const Roles = Type.Array(RoleName, { minItems: 1, maxItems: 20, uniqueItems: true });
/** Bounded well above the policy's 256 characters (admin/passwords.ts), which says why a password is refused. */
const Password = Type.String({ minLength: 1, maxLength: 1024 });
const Code = Type.String({ minLength: 1, maxLength: 64 });

const plane = (services: AdminServices) => requireService(services.admin, 'Admin users (they need a store)');

export const userRoutes: AdminRoute[] = [
  defineRoute({
    method: 'GET',
    path: '/v1/users',
    summary: 'List admin users, in id order',
    permission: 'users:read',
    querySchema: listQuery({}),
    status: 200,
    responseSchema: listOf(AdminUserSchema),
    errors: ['admin.invalid_request'],
    handler: ({ query, services }) => paginate(query, async (p) => (await plane(services).users.users.page(p)).map(adminUserView), (u) => u.id),
  }),
  defineRoute({
    method: 'POST',
    path: '/v1/users',
    summary: 'Invite an admin user: the answer holds their one-time invitation code (shown once)',
    permission: 'users:write',
    stepUp: true,
    bodySchema: Type.Object({ name: Type.String({ pattern: USER_NAME_PATTERN }), email: Type.String({ pattern: '^[^@\\s]+@[^@\\s]+\\.[^@\\s]+$', maxLength: 254 }), roles: Roles }, { additionalProperties: false }),
    status: 201,
    responseSchema: Type.Object({ user: AdminUserSchema, invitation: IssuedCodeSchema }, { additionalProperties: false }),
    errors: ['admin.invalid_request', 'admin.conflict'],
    async handler({ body, principal, services }) {
      const { user, invitation } = await plane(services).users.invite(principal, body);
      return { user: adminUserView(user), invitation: codeView(invitation) };
    },
  }),
  defineRoute({
    method: 'GET',
    path: '/v1/users/:id',
    summary: 'Show one admin user',
    permission: 'users:read',
    status: 200,
    responseSchema: AdminUserSchema,
    errors: ['admin.not_found'],
    handler: async ({ params, services }) => adminUserView(await plane(services).users.users.get(params.id!)),
  }),
  defineRoute({
    method: 'GET',
    path: '/v1/users/:id/mfa',
    summary: "Show an admin user's second factors: TOTP state, passkeys and recovery codes left (never a secret)",
    permission: 'users:read',
    status: 200,
    responseSchema: Type.Object({ totp: Type.Union([Type.Literal('none'), Type.Literal('pending'), Type.Literal('active')]), passkeys: Type.Integer(), recoveryCodesLeft: Type.Integer() }, { additionalProperties: false }),
    errors: ['admin.not_found'],
    async handler({ params, services }) {
      const user = await plane(services).users.users.get(params.id!);
      return requireAuth(services).mfa.status(user.id);
    },
  }),
  defineRoute({
    method: 'DELETE',
    path: '/v1/users/:id',
    summary: 'Delete an admin user and their tokens (never the last active owner)',
    permission: 'users:write',
    status: 200,
    responseSchema: AdminUserSchema,
    errors: ['admin.not_found', 'admin.conflict'],
    handler: async ({ params, principal, services }) => adminUserView(await plane(services).users.delete(principal, params.id!)),
  }),
  defineRoute({
    method: 'POST',
    path: '/v1/users/:id/disable',
    summary: 'Disable an admin user: their sessions and tokens stop working (never the last active owner)',
    permission: 'users:write',
    bodySchema: Empty,
    status: 200,
    responseSchema: AdminUserSchema,
    errors: ['admin.invalid_request', 'admin.not_found', 'admin.conflict'],
    handler: async ({ params, principal, services }) => adminUserView(await plane(services).users.setStatus(principal, params.id!, 'disabled')),
  }),
  defineRoute({
    method: 'POST',
    path: '/v1/users/:id/enable',
    summary: 'Enable a disabled admin user again',
    permission: 'users:write',
    bodySchema: Empty,
    status: 200,
    responseSchema: AdminUserSchema,
    errors: ['admin.invalid_request', 'admin.not_found', 'admin.conflict'],
    handler: async ({ params, principal, services }) => adminUserView(await plane(services).users.setStatus(principal, params.id!, 'active')),
  }),
  defineRoute({
    method: 'POST',
    path: '/v1/users/:id/roles',
    summary: "Replace an admin user's roles (only with permissions you hold; never demoting the last owner)",
    permission: 'users:write',
    stepUp: true,
    bodySchema: Type.Object({ roles: Roles }, { additionalProperties: false }),
    status: 200,
    responseSchema: AdminUserSchema,
    errors: ['admin.invalid_request', 'admin.not_found', 'admin.conflict'],
    handler: async ({ params, body, principal, services }) => adminUserView(await plane(services).users.setRoles(principal, params.id!, body.roles)),
  }),
  defineRoute({
    method: 'POST',
    path: '/v1/users/:id/reset-password',
    summary: 'A one-time password-reset code for the user (shown once); their password works until they use it',
    permission: 'users:write',
    bodySchema: Empty,
    status: 201,
    responseSchema: IssuedCodeSchema,
    errors: ['admin.invalid_request', 'admin.not_found', 'admin.conflict'],
    handler: async ({ params, principal, services }) => codeView(await plane(services).users.resetPassword(principal, params.id!)),
  }),
  defineRoute({
    method: 'POST',
    path: '/v1/invitations/accept',
    summary: 'Accept an invitation: set the password (no credential: the one-time code is the proof)',
    permission: 'public',
    bodySchema: Type.Object({ code: Code, password: Password }, { additionalProperties: false }),
    status: 200,
    responseSchema: AdminUserSchema,
    errors: ['admin.invalid_request'],
    handler: async ({ body, principal, services }) => adminUserView(await plane(services).users.acceptInvitation(body.code, body.password, principal.ip)),
  }),
  defineRoute({
    method: 'POST',
    path: '/v1/password-resets/complete',
    summary: 'Set a new password with a password-reset code (no credential: the one-time code is the proof)',
    permission: 'public',
    bodySchema: Type.Object({ code: Code, password: Password }, { additionalProperties: false }),
    status: 200,
    responseSchema: AdminUserSchema,
    errors: ['admin.invalid_request'],
    handler: async ({ body, principal, services }) => adminUserView(await plane(services).users.completePasswordReset(body.code, body.password, principal.ip)),
  }),
  defineRoute({
    method: 'POST',
    path: '/v1/me/password',
    summary: 'Change your own password (a signed-in admin user), proving the current one',
    permission: 'authenticated',
    bodySchema: Type.Object({ currentPassword: Password, newPassword: Password }, { additionalProperties: false }),
    status: 200,
    responseSchema: AdminUserSchema,
    errors: ['admin.invalid_request'],
    handler: async ({ body, principal, services }) => adminUserView(await plane(services).users.changePassword(principal, body.currentPassword, body.newPassword)),
  }),
];
