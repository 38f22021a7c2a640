/**
 * The admin plane of one gateway: admin users, roles, scoped admin tokens and the bootstrap token's
 * switch, over the store, and the list of credential authenticators the admin API tries in order
 * (admin tokens, then the bootstrap token; admin-mfa's session authenticator is added with
 * `addAuthenticator`).
 */
import type { Clock } from '../core/clock.js';
import type { SecretValue } from '../config/secret.js';
import type { Logger } from '../observability/logger.js';
import { AdminRoleRepository } from '../store/admin-users.js';
import type { Store } from '../store/store.js';
import type { CredentialAuthenticator } from './authenticate.js';
import { BootstrapTokenSwitch, bootstrapTokenAuthenticator } from './bootstrap-token.js';
import { RoleResolver } from './role-resolver.js';
import { RoleService } from './role-service.js';
import { AdminTokenService, type TokenPolicy } from './token-service.js';
import { AdminUserService } from './user-service.js';

/** The config the admin plane reads (`admin.*`, config/admin-users-schema.ts). */
export interface AdminPlaneConfig {
  readonly token?: SecretValue | undefined;
  readonly bootstrapToken: { readonly keepEnabled: boolean };
  readonly tokens: TokenPolicy;
  readonly users: { readonly codeExpiryHours: number };
}

export class AdminPlane {
  readonly bootstrap: BootstrapTokenSwitch;
  readonly resolver: RoleResolver;
  readonly users: AdminUserService;
  readonly roles: RoleService;
  readonly tokens: AdminTokenService;
  readonly #authenticators: CredentialAuthenticator[];

  constructor(
    readonly store: Store,
    config: AdminPlaneConfig,
    clock: Clock,
    logger: () => Logger,
  ) {
    this.bootstrap = new BootstrapTokenSwitch(store, config.bootstrapToken.keepEnabled);
    this.resolver = new RoleResolver(new AdminRoleRepository(store.db));
    this.users = new AdminUserService(store, this.resolver, this.bootstrap, clock, { codeExpiryHours: config.users.codeExpiryHours });
    this.roles = new RoleService(store, this.resolver);
    this.tokens = new AdminTokenService(store, this.users, config.tokens, clock, logger);
    this.#authenticators = [this.tokens.authenticator()];
    if (config.token) this.#authenticators.push(bootstrapTokenAuthenticator({ token: config.token, bootstrap: this.bootstrap, logger }));
  }

  /** The authenticators in the order they are tried. */
  authenticators(): readonly CredentialAuthenticator[] {
    return this.#authenticators;
  }

  /** Adds one (the session cookie's): `first` puts it before the others. */
  addAuthenticator(authenticator: CredentialAuthenticator, position: 'first' | 'last' = 'last'): void {
    if (position === 'first') this.#authenticators.unshift(authenticator);
    else this.#authenticators.push(authenticator);
  }

  start(): void {
    this.tokens.start();
  }

  stop(): Promise<void> {
    return this.tokens.stop();
  }
}

/** The admin plane when the gateway has a store and an admin API; logs when the bootstrap token is kept on. */
export function openAdminPlane(admin: AdminPlaneConfig & { readonly enabled: boolean }, store: Store | undefined, clock: Clock, logger: () => Logger): AdminPlane | undefined {
  if (!admin.enabled || !store) return undefined;
  if (admin.token && admin.bootstrapToken.keepEnabled) logger().warn({ event: 'admin.bootstrap_token_kept' }, 'admin.bootstrapToken.keepEnabled: the bootstrap token keeps working after an owner exists');
  return new AdminPlane(store, admin, clock, logger);
}
