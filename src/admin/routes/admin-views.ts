/** What the admin API shows of admin users and one-time codes: never a password hash or a code's digest. */
import { Type } from '@sinclair/typebox';
import type { AdminUser } from '../../store/admin-users.js';
import { isoTime } from '../views.js';
import { NullableTimestamp, Timestamp } from './common.js';

export const AdminUserSchema = Type.Object(
  {
    id: Type.String(),
    name: Type.String(),
    email: Type.String(),
    status: Type.Union([Type.Literal('invited'), Type.Literal('active'), Type.Literal('disabled')]),
    roles: Type.Array(Type.String()),
    passwordSet: Type.Boolean(),
    passwordChangedAt: NullableTimestamp,
    createdBy: Type.String(),
    createdAt: Timestamp,
    updatedAt: Timestamp,
  },
  { additionalProperties: false },
);

export const IssuedCodeSchema = Type.Object(
  {
    code: Type.String({ description: 'The one-time code: shown only in this answer; give it to the user over a channel you trust.' }),
    expiresAt: Timestamp,
  },
  { additionalProperties: false },
);

export function adminUserView(user: AdminUser) {
  return {
    id: user.id,
    name: user.name,
    email: user.email,
    status: user.status,
    roles: user.roles,
    passwordSet: user.hasPassword,
    passwordChangedAt: user.passwordChangedAt === null ? null : isoTime(user.passwordChangedAt),
    createdBy: user.createdBy,
    createdAt: isoTime(user.createdAt),
    updatedAt: isoTime(user.updatedAt),
  };
}

export const codeView = (issued: { code: string; expiresAt: number }) => ({ code: issued.code, expiresAt: isoTime(issued.expiresAt) });
