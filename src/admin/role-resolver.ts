/**
 * From role names to permissions: built-in roles from admin/permissions.ts, custom roles from the
 * store (read per call: the admin plane is not the hot path, and a changed role then applies to
 * the very next request on every node). And the checks every grant passes: unknown permissions
 * and roles are refused, and nobody grants a permission they do not hold.
 */
import type { AdminPrincipal } from '../core/actor.js';
import { GatewayError } from '../core/errors.js';
import { AdminRoleRepository, type AdminRole } from '../store/admin-users.js';
import type { Db } from '../store/repositories.js';
import { ALL_PERMISSION_NAMES, BUILT_IN_ROLES, isBuiltInRole, missingPermissions, unknownPermissions, type Permission } from './permissions.js';

export class RoleResolver {
  constructor(readonly roles: AdminRoleRepository) {}

  /** The union of the roles' permissions, in table order; a role that no longer exists grants nothing. */
  async permissionsOf(roleNames: readonly string[], db?: Db): Promise<Permission[]> {
    const granted = new Set<string>();
    const custom = roleNames.some((name) => !isBuiltInRole(name)) ? new Map((await this.roles.list(db)).map((role) => [role.name, role])) : new Map<string, AdminRole>();
    for (const name of roleNames) {
      const permissions = isBuiltInRole(name) ? BUILT_IN_ROLES[name]!.permissions : (custom.get(name)?.permissions ?? []);
      for (const permission of permissions) granted.add(permission);
    }
    return ALL_PERMISSION_NAMES.filter((name) => granted.has(name));
  }

  /** 400 for a role name that exists nowhere. */
  async requireRoles(roleNames: readonly string[], db?: Db): Promise<void> {
    const custom = new Set((await this.roles.list(db)).map((role) => role.name));
    const unknown = roleNames.filter((name) => !isBuiltInRole(name) && !custom.has(name));
    if (unknown.length > 0) throw new GatewayError('admin.invalid_request', { detail: `No such role: ${unknown.join(', ')}.` });
  }
}

/** 400 admin.invalid_request for a permission string not in the table (a typo grants nothing, loudly). */
export function requireKnownPermissions(permissions: readonly string[]): void {
  const unknown = unknownPermissions(permissions);
  if (unknown.length > 0) throw new GatewayError('admin.invalid_request', { detail: `Unknown permission: ${unknown.join(', ')} (see GET /v1/roles/permissions).` });
}

/** 403 admin.forbidden unless the principal holds every permission it is about to grant. */
export function requireMayGrant(principal: AdminPrincipal, permissions: readonly string[]): void {
  const missing = missingPermissions(principal.permissions, permissions);
  if (missing.length > 0) throw new GatewayError('admin.forbidden', { detail: `Nobody can grant a permission they do not hold: you lack ${missing.join(', ')}.` });
}
