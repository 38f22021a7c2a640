/**
 * Custom roles (issue 18 §2): a name and a set of permissions from the table. Unknown permission
 * strings are refused; a principal can only put into a role permissions it holds itself (else it
 * could grant itself more through the role); a role some user holds cannot be deleted.
 */
import type { AdminPrincipal } from '../core/actor.js';
import { GatewayError } from '../core/errors.js';
import { AdminUserRepository, type AdminRole } from '../store/admin-users.js';
import { ConflictError } from '../store/repositories.js';
import type { Store } from '../store/store.js';
import { BUILT_IN_ROLES, isBuiltInRole, type Permission } from './permissions.js';
import { requireKnownPermissions, requireMayGrant, type RoleResolver } from './role-resolver.js';

export const ROLE_NAME_PATTERN = '^[a-z][a-z0-9-]{1,39}$';

export interface RoleView {
  name: string;
  builtIn: boolean;
  description: string;
  permissions: string[];
}

export class RoleService {
  readonly #users: AdminUserRepository;

  constructor(
    private readonly store: Store,
    private readonly resolver: RoleResolver,
  ) {
    this.#users = new AdminUserRepository(store.db);
  }

  /** Built-in roles first (in the order), then custom roles by name. */
  async list(): Promise<RoleView[]> {
    const builtIn = Object.entries(BUILT_IN_ROLES).map(([name, role]) => ({ name, builtIn: true, description: role.description, permissions: [...role.permissions] }));
    return [...builtIn, ...(await this.resolver.roles.list()).map(customView)];
  }

  async get(name: string): Promise<RoleView> {
    if (isBuiltInRole(name)) return { name, builtIn: true, description: BUILT_IN_ROLES[name]!.description, permissions: [...BUILT_IN_ROLES[name]!.permissions] };
    const role = await this.resolver.roles.find(name);
    if (!role) throw new GatewayError('admin.not_found', { detail: `No role named ${name}.` });
    return customView(role);
  }

  async create(principal: AdminPrincipal, input: { name: string; description?: string | undefined; permissions: readonly string[] }): Promise<RoleView> {
    if (isBuiltInRole(input.name)) throw new ConflictError(`${input.name} is a built-in role`);
    requireKnownPermissions(input.permissions);
    requireMayGrant(principal, input.permissions);
    const role = await this.store.write(principal, 'admin_role.create', (tx) => this.resolver.roles.create(tx, { name: input.name, description: input.description ?? '', permissions: ordered(input.permissions) }));
    return customView(role);
  }

  /** Replaces the permissions: those it adds must be the principal's own. */
  async update(principal: AdminPrincipal, name: string, input: { description?: string | undefined; permissions: readonly string[] }): Promise<RoleView> {
    if (isBuiltInRole(name)) throw new GatewayError('admin.invalid_request', { detail: `${name} is a built-in role: it cannot be changed (create a custom role instead).` });
    requireKnownPermissions(input.permissions);
    const role = await this.store.write(principal, 'admin_role.update', async (tx) => {
      const current = await this.resolver.roles.find(name, tx.db);
      if (!current) throw new GatewayError('admin.not_found', { detail: `No role named ${name}.` });
      requireMayGrant(principal, input.permissions.filter((permission) => !current.permissions.includes(permission)));
      return this.resolver.roles.update(tx, name, { description: input.description, permissions: ordered(input.permissions) });
    });
    return customView(role);
  }

  async delete(principal: AdminPrincipal, name: string): Promise<void> {
    if (isBuiltInRole(name)) throw new GatewayError('admin.invalid_request', { detail: `${name} is a built-in role: it cannot be deleted.` });
    await this.store.write(principal, 'admin_role.delete', async (tx) => {
      const holders = (await this.#users.list(tx.db)).filter((user) => user.roles.includes(name));
      if (holders.length > 0) throw new ConflictError(`role ${name} is held by ${holders.map((user) => user.name).join(', ')}: take it from them first`);
      await this.resolver.roles.delete(tx, name);
    });
  }
}

function customView(role: AdminRole): RoleView {
  return { name: role.name, builtIn: false, description: role.description, permissions: role.permissions };
}

function ordered(permissions: readonly string[]): Permission[] {
  return [...new Set(permissions)] as Permission[];
}
