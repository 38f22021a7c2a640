/**
 * Admin users and custom roles in the store (issue 18). Writes take a unit of work's transaction
 * and record an `admin_user` / `admin_role` change, so every node's admin plane follows them and the
 * audit trail names who made them. Password hashes never leave this layer except to be verified.
 */
import type { Kysely } from 'kysely';
import type { AdminRolesTable, AdminUserStatus, AdminUsersTable } from './admin-tables.js';
import { newAdminUserId } from './ids.js';
import { ConflictError, keysetPage, NotFoundError, type Db, type PageRequest } from './repositories.js';
import { recordChange, type WriteTx } from './store.js';
import type { StoreTables } from './tables.js';
import { describeActor } from '../core/actor.js';

export interface AdminUser {
  id: string;
  name: string;
  email: string;
  status: AdminUserStatus;
  roles: string[];
  /** Whether a password is set (the hash itself is read only by `passwordHashOf`). */
  hasPassword: boolean;
  passwordChangedAt: number | null;
  createdBy: string;
  createdAt: number;
  updatedAt: number;
}

export interface AdminRole {
  name: string;
  description: string;
  permissions: string[];
  createdBy: string;
  createdAt: number;
  updatedAt: number;
}

const toUser = (row: AdminUsersTable): AdminUser => ({
  id: row.id,
  name: row.name,
  email: row.email,
  status: row.status,
  roles: JSON.parse(row.roles) as string[],
  hasPassword: row.password_hash !== null,
  passwordChangedAt: row.password_changed_at === null ? null : Number(row.password_changed_at),
  createdBy: row.created_by,
  createdAt: Number(row.created_at),
  updatedAt: Number(row.updated_at),
});

const toRole = (row: AdminRolesTable): AdminRole => ({
  name: row.name,
  description: row.description,
  permissions: JSON.parse(row.permissions) as string[],
  createdBy: row.created_by,
  createdAt: Number(row.created_at),
  updatedAt: Number(row.updated_at),
});

export class AdminUserRepository {
  constructor(private readonly db: Kysely<StoreTables>) {}

  /** A new user in status `invited` (no password until the invitation is accepted). */
  async create(tx: WriteTx, input: { name: string; email: string; roles: readonly string[] }): Promise<AdminUser> {
    const name = input.name.toLowerCase();
    const email = input.email.toLowerCase();
    const clash = await tx.db.selectFrom('admin_users').select(['name', 'email']).where((eb) => eb.or([eb('name', '=', name), eb('email', '=', email)])).executeTakeFirst();
    if (clash) throw new ConflictError(clash.name === name ? `an admin user named "${name}" exists already` : `an admin user with the email ${email} exists already`);
    const row: AdminUsersTable = { id: newAdminUserId(), name, email, status: 'invited', roles: JSON.stringify(input.roles), password_hash: null, password_changed_at: null, created_by: describeActor(tx.actor), created_at: tx.now, updated_at: tx.now };
    await tx.db.insertInto('admin_users').values(row).execute();
    await recordChange(tx, 'admin_user', row.id, { changes: { before: null, after: toUser(row) } });
    return toUser(row);
  }

  async get(id: string, db: Db = this.db): Promise<AdminUser> {
    const row = await db.selectFrom('admin_users').selectAll().where('id', '=', id).executeTakeFirst();
    if (!row) throw new NotFoundError('admin user', id);
    return toUser(row);
  }

  async findById(id: string, db: Db = this.db): Promise<AdminUser | undefined> {
    const row = await db.selectFrom('admin_users').selectAll().where('id', '=', id).executeTakeFirst();
    return row && toUser(row);
  }

  async findByName(name: string, db: Db = this.db): Promise<AdminUser | undefined> {
    const row = await db.selectFrom('admin_users').selectAll().where('name', '=', name.toLowerCase()).executeTakeFirst();
    return row && toUser(row);
  }

  async findByEmail(email: string, db: Db = this.db): Promise<AdminUser | undefined> {
    const row = await db.selectFrom('admin_users').selectAll().where('email', '=', email.toLowerCase()).executeTakeFirst();
    return row && toUser(row);
  }

  /** A login: a name, or an email when it holds `@`. */
  findByLogin(login: string, db: Db = this.db): Promise<AdminUser | undefined> {
    return login.includes('@') ? this.findByEmail(login, db) : this.findByName(login, db);
  }

  /** The stored argon2id hash, for verification only; null when none is set. */
  async passwordHashOf(id: string): Promise<string | null> {
    const row = await this.db.selectFrom('admin_users').select('password_hash').where('id', '=', id).executeTakeFirst();
    return row?.password_hash ?? null;
  }

  async page(page: PageRequest): Promise<AdminUser[]> {
    return (await keysetPage(this.db.selectFrom('admin_users').selectAll(), page).execute()).map(toUser);
  }

  async list(db: Db = this.db): Promise<AdminUser[]> {
    return (await db.selectFrom('admin_users').selectAll().orderBy('id').execute()).map(toUser);
  }

  async count(db: Db = this.db): Promise<number> {
    const row = await db.selectFrom('admin_users').select((eb) => eb.fn.countAll<string | number>().as('n')).executeTakeFirstOrThrow();
    return Number(row.n);
  }

  async setStatus(tx: WriteTx, id: string, status: AdminUserStatus): Promise<AdminUser> {
    return this.#update(tx, id, { status });
  }

  async setRoles(tx: WriteTx, id: string, roles: readonly string[]): Promise<AdminUser> {
    return this.#update(tx, id, { roles: JSON.stringify(roles) });
  }

  /** Sets the password hash (and activates an invited user when `activate`). */
  async setPasswordHash(tx: WriteTx, id: string, passwordHash: string, activate: boolean): Promise<AdminUser> {
    return this.#update(tx, id, { password_hash: passwordHash, password_changed_at: tx.now, ...(activate ? { status: 'active' as const } : {}) });
  }

  /** Deletes the user, their tokens and their codes. */
  async delete(tx: WriteTx, id: string): Promise<AdminUser> {
    const user = await this.get(id, tx.db);
    const tokens = await tx.db.selectFrom('admin_tokens').select('id').where('user_id', '=', id).execute();
    await tx.db.deleteFrom('admin_tokens').where('user_id', '=', id).execute();
    await tx.db.deleteFrom('admin_one_time_codes').where('user_id', '=', id).execute();
    await tx.db.deleteFrom('admin_sso_identities').where('user_id', '=', id).execute();
    await tx.db.deleteFrom('admin_users').where('id', '=', id).execute();
    for (const token of tokens) await recordChange(tx, 'admin_token', token.id, { changes: { before: { id: token.id }, after: null } });
    await recordChange(tx, 'admin_user', id, { changes: { before: user, after: null } });
    return user;
  }

  async #update(tx: WriteTx, id: string, set: Partial<AdminUsersTable>): Promise<AdminUser> {
    const before = await this.get(id, tx.db);
    await tx.db.updateTable('admin_users').set({ ...set, updated_at: tx.now }).where('id', '=', id).execute();
    const after = await this.get(id, tx.db);
    await recordChange(tx, 'admin_user', id, { changes: { before, after } });
    return after;
  }
}

export class AdminRoleRepository {
  constructor(private readonly db: Kysely<StoreTables>) {}

  async list(db: Db = this.db): Promise<AdminRole[]> {
    return (await db.selectFrom('admin_roles').selectAll().orderBy('name').execute()).map(toRole);
  }

  async find(name: string, db: Db = this.db): Promise<AdminRole | undefined> {
    const row = await db.selectFrom('admin_roles').selectAll().where('name', '=', name).executeTakeFirst();
    return row && toRole(row);
  }

  async create(tx: WriteTx, input: { name: string; description: string; permissions: readonly string[] }): Promise<AdminRole> {
    if (await this.find(input.name, tx.db)) throw new ConflictError(`a role named "${input.name}" exists already`);
    const row: AdminRolesTable = { name: input.name, description: input.description, permissions: JSON.stringify(input.permissions), created_by: describeActor(tx.actor), created_at: tx.now, updated_at: tx.now };
    await tx.db.insertInto('admin_roles').values(row).execute();
    await recordChange(tx, 'admin_role', row.name, { changes: { before: null, after: toRole(row) } });
    return toRole(row);
  }

  async update(tx: WriteTx, name: string, input: { description?: string | undefined; permissions: readonly string[] }): Promise<AdminRole> {
    const before = await this.find(name, tx.db);
    const result = await tx.db
      .updateTable('admin_roles')
      .set({ permissions: JSON.stringify(input.permissions), ...(input.description === undefined ? {} : { description: input.description }), updated_at: tx.now })
      .where('name', '=', name)
      .executeTakeFirst();
    if (result.numUpdatedRows === 0n) throw new NotFoundError('role', name);
    const after = (await this.find(name, tx.db))!;
    await recordChange(tx, 'admin_role', name, { changes: { before, after } });
    return after;
  }

  async delete(tx: WriteTx, name: string): Promise<void> {
    const before = await this.find(name, tx.db);
    const result = await tx.db.deleteFrom('admin_roles').where('name', '=', name).executeTakeFirst();
    if (result.numDeletedRows === 0n) throw new NotFoundError('role', name);
    await recordChange(tx, 'admin_role', name, { changes: { before, after: null } });
  }
}

/** Admin-plane state as key → JSON (the bootstrap token's, admin/bootstrap-state.ts). */
export class AdminStateRepository {
  constructor(private readonly db: Kysely<StoreTables>) {}

  async read<T>(key: string, db: Db = this.db): Promise<T | undefined> {
    const row = await db.selectFrom('admin_state').select('value').where('key', '=', key).executeTakeFirst();
    return row === undefined ? undefined : (JSON.parse(row.value) as T);
  }

  async write(tx: WriteTx, key: string, value: object): Promise<void> {
    const before = (await this.read<object>(key, tx.db)) ?? null;
    const text = JSON.stringify(value);
    const updated = await tx.db.updateTable('admin_state').set({ value: text, updated_at: tx.now }).where('key', '=', key).executeTakeFirst();
    if (updated.numUpdatedRows === 0n) await tx.db.insertInto('admin_state').values({ key, value: text, updated_at: tx.now }).execute();
    await recordChange(tx, 'admin_state', key, { changes: { before, after: value } });
  }
}
