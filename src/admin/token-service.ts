/**
 * Scoped admin tokens (issue 18 §3): for automation (CI, GitOps). A token acts for the admin user
 * who made it and holds a subset of what its maker held: never a permission the maker (a user, or a
 * token minting another) does not hold, and never more than its user holds now (permissions are
 * intersected with the user's at every request, so demoting a user demotes their tokens, and
 * disabling them stops them). Shown once, stored as a digest, expiring (default 90 days, a
 * configurable maximum), rotated with grace, revoked at once. Last-used time and address are
 * batched into one write every `lastUsedFlushMs`, never a write per request.
 */
import type { AdminPrincipal } from '../core/actor.js';
import { SYSTEM_ACTOR } from '../core/actor.js';
import type { Clock } from '../core/clock.js';
import { GatewayError } from '../core/errors.js';
import type { Logger } from '../observability/logger.js';
import { AdminTokenRepository, type AdminTokenRecord } from '../store/admin-tokens.js';
import type { PageRequest } from '../store/repositories.js';
import type { Store } from '../store/store.js';
import { bearerToken, type CredentialAuthenticator } from './authenticate.js';
import { holds } from './permissions.js';
import { requireKnownPermissions, requireMayGrant } from './role-resolver.js';
import { ADMIN_TOKEN_KIND, generateSecret, isSecretOfKind, secretId, secretMatches } from './secret-codes.js';
import type { AdminUserService } from './user-service.js';

const DAY_MS = 86_400_000;

export interface TokenPolicy {
  readonly defaultExpiryDays: number;
  readonly maxExpiryDays: number;
  readonly lastUsedFlushMs: number;
}

export interface AdminTokenView {
  id: string;
  name: string;
  userId: string;
  permissions: string[];
  status: 'active' | 'revoked' | 'expired';
  expiresAt: string;
  createdBy: string;
  createdAt: string;
  lastUsedAt: string | null;
  lastUsedIp: string | null;
  replacedBy: string | null;
  revokedAt: string | null;
}

const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());

export class AdminTokenService {
  readonly tokens: AdminTokenRepository;
  #pending = new Map<string, { at: number; ip: string }>();
  #timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly store: Store,
    private readonly users: AdminUserService,
    private readonly policy: TokenPolicy,
    private readonly clock: Clock,
    private readonly logger: () => Logger,
  ) {
    this.tokens = new AdminTokenRepository(store.db);
  }

  /** A new token for the principal's user, holding `permissions` (each one the principal holds). */
  async create(principal: AdminPrincipal, input: { name: string; permissions: readonly string[]; expiresInDays?: number | undefined }): Promise<{ token: string; view: AdminTokenView }> {
    const userId = this.#owner(principal);
    requireKnownPermissions(input.permissions);
    requireMayGrant(principal, input.permissions);
    const generated = generateSecret(ADMIN_TOKEN_KIND);
    const record = await this.store.write(principal, 'admin_token.create', (tx) =>
      this.tokens.insert(tx, { id: generated.id, name: input.name, userId, hash: generated.hash, permissions: [...new Set(input.permissions)], expiresAt: tx.now + this.#days(input.expiresInDays) * DAY_MS }),
    );
    return { token: generated.secret, view: this.view(record) };
  }

  /** A replacement with the same name and permissions; the old token works for `graceSeconds` more. */
  async rotate(principal: AdminPrincipal, id: string, options: { graceSeconds: number; expiresInDays?: number | undefined }): Promise<{ token: string; view: AdminTokenView; previous: AdminTokenView }> {
    const userId = this.#owner(principal);
    const old = await this.tokens.get(id);
    if (old.userId !== userId) throw new GatewayError('admin.forbidden', { detail: 'Only the user a token acts for can rotate it.' });
    if (old.status !== 'active' || old.replacedBy !== null || old.expiresAt <= this.clock.now()) throw new GatewayError('admin.conflict', { detail: 'This token is revoked, expired or rotated already.' });
    // A token rotating another of its user's tokens would otherwise mint one stronger than itself.
    requireMayGrant(principal, old.permissions);
    const generated = generateSecret(ADMIN_TOKEN_KIND);
    const result = await this.store.write(principal, 'admin_token.rotate', (tx) =>
      this.tokens.rotate(tx, id, { id: generated.id, name: old.name, userId, hash: generated.hash, permissions: old.permissions, expiresAt: tx.now + this.#days(options.expiresInDays) * DAY_MS }, tx.now + options.graceSeconds * 1000),
    );
    return { token: generated.secret, view: this.view(result.replacement), previous: this.view(result.old) };
  }

  /** Revokes now: one's own tokens with `admin-tokens:write`, anyone's with `admin-tokens:revoke`. */
  async revoke(principal: AdminPrincipal, id: string): Promise<AdminTokenView> {
    const token = await this.tokens.get(id);
    if (token.userId !== principal.userId && !holds(principal.permissions, 'admin-tokens:revoke')) {
      throw new GatewayError('admin.forbidden', { detail: "Revoking another user's token needs the permission admin-tokens:revoke." });
    }
    return this.view(await this.store.write(principal, 'admin_token.revoke', (tx) => this.tokens.revoke(tx, id)));
  }

  async get(id: string): Promise<AdminTokenView> {
    return this.view(await this.tokens.get(id));
  }

  async page(filter: { userId?: string | undefined }, page: PageRequest): Promise<AdminTokenView[]> {
    return (await this.tokens.page(filter, page)).map((record) => this.view(record));
  }

  /** `Authorization: Bearer ptc_adm_…`: anything else is left to the other authenticators. */
  authenticator(): CredentialAuthenticator {
    return {
      name: 'admin-token',
      authenticate: async (req, { clientIp, now }) => {
        const presented = bearerToken(req);
        if (!isSecretOfKind(presented, ADMIN_TOKEN_KIND)) return { kind: 'absent' };
        const id = secretId(presented, ADMIN_TOKEN_KIND);
        if (id === undefined) return { kind: 'refused', reason: 'malformed admin token' };
        const token = await this.tokens.find(id);
        if (!token || !secretMatches(presented, token.hash)) return { kind: 'refused', reason: 'unknown admin token' };
        if (token.status === 'revoked') return { kind: 'refused', reason: 'revoked admin token', detail: 'This admin token is revoked.' };
        if (token.expiresAt <= now) return { kind: 'refused', reason: 'expired admin token', detail: 'This admin token has expired.' };
        const user = await this.users.users.findById(token.userId);
        if (!user || user.status !== 'active') return { kind: 'refused', reason: 'admin token of an inactive user', detail: 'The user this admin token acts for is not active.' };
        const held = new Set(await this.users.permissionsOfUser(user));
        this.#pending.set(token.id, { at: now, ip: clientIp });
        return {
          kind: 'ok',
          principal: { kind: 'admin-token', id: token.id, credentialId: token.id, userId: user.id, permissions: token.permissions.filter((permission) => held.has(permission)), ip: clientIp },
        };
      },
    };
  }

  start(): void {
    this.#timer = setInterval(() => void this.flushLastUsed(), this.policy.lastUsedFlushMs);
    this.#timer.unref();
  }

  async stop(): Promise<void> {
    clearInterval(this.#timer);
    await this.flushLastUsed();
  }

  async flushLastUsed(): Promise<void> {
    if (this.#pending.size === 0) return;
    const batch = this.#pending;
    this.#pending = new Map();
    try {
      await this.store.write(SYSTEM_ACTOR, 'admin_token.record_last_used', (tx) => this.tokens.recordLastUsed(tx, batch));
    } catch (error) {
      for (const [id, used] of batch) if (!this.#pending.has(id)) this.#pending.set(id, used);
      this.logger().warn({ event: 'admin.token_last_used_flush_failed', tokens: batch.size, err: error }, 'could not record admin token last-used times; will retry');
    }
  }

  view(record: AdminTokenRecord): AdminTokenView {
    const expired = record.expiresAt <= this.clock.now();
    return {
      id: record.id,
      name: record.name,
      userId: record.userId,
      permissions: record.permissions,
      status: record.status === 'revoked' ? 'revoked' : expired ? 'expired' : 'active',
      expiresAt: iso(record.expiresAt)!,
      createdBy: record.createdBy,
      createdAt: iso(record.createdAt)!,
      lastUsedAt: iso(record.lastUsedAt),
      lastUsedIp: record.lastUsedIp,
      replacedBy: record.replacedBy,
      revokedAt: iso(record.revokedAt),
    };
  }

  #owner(principal: AdminPrincipal): string {
    if (principal.userId === undefined) throw new GatewayError('admin.invalid_request', { detail: 'An admin token acts for an admin user: create an owner (and sign in, or use their token) first.' });
    return principal.userId;
  }

  #days(requested: number | undefined): number {
    const days = requested ?? Math.min(this.policy.defaultExpiryDays, this.policy.maxExpiryDays);
    if (days < 1 || days > this.policy.maxExpiryDays) throw new GatewayError('admin.invalid_request', { detail: `expiresInDays must be between 1 and ${this.policy.maxExpiryDays} (admin.tokens.maxExpiryDays).` });
    return days;
  }
}
