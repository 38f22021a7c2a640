/** Builds admin users' sign-in (AdminAuth) over a store, from the `admin.mfa|sessions|login` config. */
import type { AdminLoginConfig, AdminMfaConfig, AdminSessionsConfig, AdminWebAuthnConfig } from '../../config/admin-auth-schema.js';
import type { Clock } from '../../core/clock.js';
import type { Logger } from '../../observability/logger.js';
import { LoginThrottle } from '../../security/login-throttle.js';
import { AdminMfaRepository } from '../../store/admin-mfa.js';
import { AdminSessionRepository } from '../../store/admin-sessions.js';
import { AdminWebAuthnRepository } from '../../store/admin-webauthn.js';
import type { Store } from '../../store/store.js';
import { MfaService } from '../mfa/mfa-service.js';
import { WebAuthnService } from '../mfa/webauthn.js';
import type { AdminPlane } from '../admin-plane.js';
import type { AdminAccounts } from './accounts.js';
import type { AdminAuth } from './admin-auth.js';
import { planeAccounts } from './plane-accounts.js';
import { sessionAuthenticator } from './session-authenticator.js';
import { SessionService } from './session-service.js';

export interface AdminAuthConfig {
  readonly mfa: AdminMfaConfig;
  readonly sessions: AdminSessionsConfig;
  readonly login: AdminLoginConfig;
  /** Passkeys; absent: only TOTP (and recovery codes) are offered. */
  readonly webauthn?: AdminWebAuthnConfig | undefined;
}

/**
 * `config` is read on every use where a reload may change it (timeouts, policy); the seed key and
 * the brute-force limits are taken once, at start.
 */
export function createAdminAuth(store: Store, accounts: AdminAccounts, config: () => AdminAuthConfig, clock: Clock, logger: () => Logger): AdminAuth {
  const initial = config();
  return {
    accounts,
    sessions: new SessionService(new AdminSessionRepository(store.db), () => config().sessions, clock),
    mfa: new MfaService(store, new AdminMfaRepository(store.db), { seedKey: initial.mfa.seedKey?.reveal(), issuer: initial.mfa.issuer, clock }, new WebAuthnService(new AdminWebAuthnRepository(store.db), () => config().webauthn, clock, logger)),
    policy: () => config().mfa,
    throttle: new LoginThrottle(initial.login),
    lockoutMinutes: initial.login.lockoutMinutes,
    clock,
    logger,
  };
}

/**
 * Sign-in for the admin plane's users: sessions are tried before every other credential (a
 * `ptc_ses_` bearer must not reach the bootstrap token's comparison and count as a wrong token).
 */
export function openAdminAuth(plane: AdminPlane, config: () => AdminAuthConfig, clock: Clock, logger: () => Logger): AdminAuth {
  const auth = createAdminAuth(plane.store, planeAccounts(plane), config, clock, logger);
  plane.addAuthenticator(sessionAuthenticator(auth), 'first');
  return auth;
}
