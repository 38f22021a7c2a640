/**
 * Admin users (issue 18 §1, §2): invited with a one-time code that expires, activated by setting a
 * password, disabled, deleted, their roles set, their password reset with another one-time code.
 * Every change is a unit of work of the calling principal. The rules:
 * - nobody grants a permission they do not hold (roles given to a user, at invitation or later);
 * - an owner is changed (roles, status, password reset, deletion) only by a principal holding every
 *   permission (another owner, or the bootstrap token);
 * - the last active owner cannot be disabled, deleted or demoted;
 * - the first owner to set a password disables the bootstrap token (bootstrap-token.ts).
 */
import type { AdminPrincipal } from '../core/actor.js';
import type { Clock } from '../core/clock.js';
import { GatewayError } from '../core/errors.js';
import { AdminSessionRepository } from '../store/admin-sessions.js';
import { AdminUserRepository, type AdminUser } from '../store/admin-users.js';
import { OneTimeCodeRepository } from '../store/admin-tokens.js';
import type { AdminUserStatus, OneTimeCodePurpose } from '../store/admin-tables.js';
import { ConflictError } from '../store/repositories.js';
import { lockRevision, type Store, type WriteTx } from '../store/store.js';
import type { BootstrapTokenSwitch } from './bootstrap-token.js';
import { checkPasswordPolicy, hashPassword, PasswordPolicyError, verifyPassword } from './passwords.js';
import { ALL_PERMISSION_NAMES, holds } from './permissions.js';
import { requireMayGrant, type RoleResolver } from './role-resolver.js';
import { generateSecret, INVITATION_KIND, RESET_KIND, secretId, secretMatches, type SecretKind } from './secret-codes.js';

const HOUR_MS = 3600_000;

export interface UserServiceOptions {
  /** How long an invitation or password-reset code works. */
  readonly codeExpiryHours: number;
}

/** A one-time code as shown once to whoever made it. */
export interface IssuedCode {
  readonly code: string;
  readonly expiresAt: number;
}

const OWNER = 'owner';
const INVALID_CODE = 'This code is unknown, used or expired: ask for a new one.';

export class AdminUserService {
  readonly users: AdminUserRepository;
  readonly #codes: OneTimeCodeRepository;

  constructor(
    private readonly store: Store,
    readonly roles: RoleResolver,
    private readonly bootstrap: BootstrapTokenSwitch | undefined,
    private readonly clock: Clock,
    private readonly options: UserServiceOptions,
  ) {
    this.users = new AdminUserRepository(store.db);
    this.#codes = new OneTimeCodeRepository(store.db);
  }

  /** The principal of an authenticated admin user (sessions build theirs with this). */
  async principalFor(user: AdminUser, credential: { credentialId?: string; mfa?: boolean; ip?: string }): Promise<AdminPrincipal> {
    const permissions = user.status === 'active' ? await this.roles.permissionsOf(user.roles) : [];
    return { kind: 'admin-user', id: user.id, userId: user.id, permissions, ...credential };
  }

  async permissionsOfUser(user: AdminUser): Promise<string[]> {
    return user.status === 'active' ? this.roles.permissionsOf(user.roles) : [];
  }

  /** A new user in status `invited`, and their invitation code (shown once). */
  async invite(principal: AdminPrincipal, input: { name: string; email: string; roles: readonly string[] }): Promise<{ user: AdminUser; invitation: IssuedCode }> {
    await this.roles.requireRoles(input.roles);
    requireMayGrant(principal, await this.roles.permissionsOf(input.roles));
    return this.store.write(principal, 'admin_user.invite', async (tx) => {
      const user = await this.users.create(tx, input);
      const invitation = await this.#issueCode(tx, user.id, 'invitation', INVITATION_KIND);
      return { user, invitation };
    });
  }

  /** Sets the password of an invited user and activates them; the code works once. */
  async acceptInvitation(code: string, password: string, ip?: string): Promise<AdminUser> {
    return this.#redeem(code, INVITATION_KIND, 'invitation', password, 'admin_user.accept_invitation', ip);
  }

  /** A password-reset code for a user (shown once to the admin, who passes it on); the old password works until it is used. */
  async resetPassword(principal: AdminPrincipal, id: string): Promise<IssuedCode> {
    return this.store.write(principal, 'admin_user.reset_password', async (tx) => {
      const user = await this.users.get(id, tx.db);
      this.#requireMayManage(principal, user);
      if (user.status === 'disabled') throw new ConflictError('this admin user is disabled: enable them first');
      return this.#issueCode(tx, user.id, user.status === 'invited' ? 'invitation' : 'password_reset', user.status === 'invited' ? INVITATION_KIND : RESET_KIND);
    });
  }

  async completePasswordReset(code: string, password: string, ip?: string): Promise<AdminUser> {
    return this.#redeem(code, RESET_KIND, 'password_reset', password, 'admin_user.complete_password_reset', ip);
  }

  /** A signed-in user changes their own password, proving the current one. */
  async changePassword(principal: AdminPrincipal, current: string, next: string): Promise<AdminUser> {
    if (principal.kind !== 'admin-user' || principal.userId === undefined) throw new GatewayError('admin.invalid_request', { detail: 'Only a signed-in admin user has a password to change.' });
    const user = await this.users.get(principal.userId);
    if (!(await verifyPassword(await this.users.passwordHashOf(user.id), current))) throw new GatewayError('admin.invalid_request', { detail: 'The current password is wrong.' });
    await this.#checkPassword(next, user);
    const passwordHash = await hashPassword(next);
    return this.store.write(principal, 'admin_user.change_password', (tx) => this.users.setPasswordHash(tx, user.id, passwordHash, false));
  }

  /**
   * The user whose login and password match, or undefined. Takes as long for an unknown login, a
   * user without a password and a wrong password (a dummy hash is verified), so timing tells nothing.
   */
  async verifyPassword(login: string, password: string): Promise<AdminUser | undefined> {
    const user = await this.users.findByLogin(login);
    const stored = user ? await this.users.passwordHashOf(user.id) : null;
    const ok = await verifyPassword(stored, password);
    return ok && user?.status === 'active' ? user : undefined;
  }

  async setStatus(principal: AdminPrincipal, id: string, status: Exclude<AdminUserStatus, 'invited'>): Promise<AdminUser> {
    return this.store.write(principal, status === 'disabled' ? 'admin_user.disable' : 'admin_user.enable', async (tx) => {
      await lockRevision(tx);
      const user = await this.users.get(id, tx.db);
      this.#requireMayManage(principal, user);
      if (user.status === 'invited') throw new ConflictError('this admin user has not accepted their invitation yet');
      if (status === 'disabled') await this.#requireAnotherOwner(tx, user, 'disable');
      else requireMayGrant(principal, await this.roles.permissionsOf(user.roles, tx.db));
      return this.users.setStatus(tx, id, status);
    });
  }

  async delete(principal: AdminPrincipal, id: string): Promise<AdminUser> {
    return this.store.write(principal, 'admin_user.delete', async (tx) => {
      await lockRevision(tx);
      const user = await this.users.get(id, tx.db);
      this.#requireMayManage(principal, user);
      await this.#requireAnotherOwner(tx, user, 'delete');
      return this.users.delete(tx, id);
    });
  }

  /**
   * Replaces the user's roles: every permission the new roles add must be one the principal holds.
   * A change of roles ends every session of the user (theirs on every device, the caller's own if
   * they changed themselves): the new privileges are carried only by a session opened after it
   * (issue 18 §5, session id rotated on privilege change; docs/admin.md#sessions).
   */
  async setRoles(principal: AdminPrincipal, id: string, roles: readonly string[]): Promise<AdminUser> {
    await this.roles.requireRoles(roles);
    return this.store.write(principal, 'admin_user.set_roles', async (tx) => {
      await lockRevision(tx);
      const user = await this.users.get(id, tx.db);
      this.#requireMayManage(principal, user);
      const before = new Set(await this.roles.permissionsOf(user.roles, tx.db));
      const after = await this.roles.permissionsOf(roles, tx.db);
      requireMayGrant(principal, after.filter((permission) => !before.has(permission)));
      if (!roles.includes(OWNER)) await this.#requireAnotherOwner(tx, user, 'demote');
      const changed = await this.users.setRoles(tx, id, roles);
      if ([...user.roles].sort().join() !== [...roles].sort().join()) await new AdminSessionRepository(this.store.db).revokeAll(tx, id);
      return changed;
    });
  }

  /** An owner is managed only by someone holding every permission: security cannot disable the owners. */
  #requireMayManage(principal: AdminPrincipal, user: AdminUser): void {
    if (user.roles.includes(OWNER) && !ALL_PERMISSION_NAMES.every((permission) => holds(principal.permissions, permission))) {
      throw new GatewayError('admin.forbidden', { detail: 'Only an owner can change an owner.' });
    }
  }

  /** 409 when `user` is the last active owner (checked under the writers' lock: two demotions cannot race past it). */
  async #requireAnotherOwner(tx: WriteTx, user: AdminUser, verb: string): Promise<void> {
    if (user.status !== 'active' || !user.roles.includes(OWNER)) return;
    const others = (await this.users.list(tx.db)).filter((other) => other.id !== user.id && other.status === 'active' && other.roles.includes(OWNER));
    if (others.length === 0) throw new ConflictError(`cannot ${verb} the last active owner: make another user owner first`);
  }

  async #issueCode(tx: WriteTx, userId: string, purpose: OneTimeCodePurpose, kind: SecretKind): Promise<IssuedCode> {
    const generated = generateSecret(kind);
    const expiresAt = tx.now + this.options.codeExpiryHours * HOUR_MS;
    await this.#codes.issue(tx, { id: generated.id, userId, purpose, hash: generated.hash, expiresAt });
    return { code: generated.secret, expiresAt };
  }

  async #redeem(code: string, kind: SecretKind, purpose: OneTimeCodePurpose, password: string, action: 'admin_user.accept_invitation' | 'admin_user.complete_password_reset', ip: string | undefined): Promise<AdminUser> {
    const id = secretId(code, kind);
    const record = id === undefined ? undefined : await this.#codes.find(id);
    const now = this.clock.now();
    if (!record || record.purpose !== purpose || record.usedAt !== null || record.expiresAt <= now || !secretMatches(code, record.hash)) {
      throw new GatewayError('admin.invalid_request', { detail: INVALID_CODE });
    }
    const user = await this.users.get(record.userId);
    if (user.status === 'disabled' || (purpose === 'invitation') !== (user.status === 'invited')) throw new GatewayError('admin.invalid_request', { detail: INVALID_CODE });
    await this.#checkPassword(password, user);
    const passwordHash = await hashPassword(password);
    return this.store.write({ kind: 'admin-user', id: user.id, ip, credentialId: `code:${record.id}` }, action, async (tx) => {
      if (!(await this.#codes.consume(tx, record.id))) throw new GatewayError('admin.invalid_request', { detail: INVALID_CODE });
      const updated = await this.users.setPasswordHash(tx, user.id, passwordHash, true);
      if (updated.roles.includes(OWNER)) await this.bootstrap?.disableForFirstOwner(tx);
      return updated;
    });
  }

  async #checkPassword(password: string, user: AdminUser): Promise<void> {
    try {
      await checkPasswordPolicy(password, { name: user.name, email: user.email });
    } catch (error) {
      if (error instanceof PasswordPolicyError) throw new GatewayError('admin.invalid_request', { detail: `Password refused: ${error.message}.` });
      throw error;
    }
  }
}
