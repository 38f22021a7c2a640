/**
 * Everything that lets admin users sign in, bundled for the admin API: their accounts (the users
 * module), sessions, second factors, the MFA policy and the brute-force limits. Absent when the
 * gateway has no store (the admin API then knows only the bootstrap token).
 */
import type { Clock } from '../../core/clock.js';
import type { AdminPrincipal } from '../../core/actor.js';
import type { Logger } from '../../observability/logger.js';
import type { LoginThrottle } from '../../security/login-throttle.js';
import type { MfaPolicy } from '../mfa/mfa-policy.js';
import type { MfaService } from '../mfa/mfa-service.js';
import type { AdminAccounts } from './accounts.js';
import type { SessionService } from './session-service.js';

export interface AdminAuth {
  readonly accounts: AdminAccounts;
  readonly sessions: SessionService;
  readonly mfa: MfaService;
  readonly policy: () => MfaPolicy;
  readonly throttle: LoginThrottle;
  readonly lockoutMinutes: number;
  readonly clock: Clock;
  readonly logger: () => Logger;
}

/** The principal of a request made with a session (cookie or `ptc_ses_` bearer). */
export interface SessionPrincipal extends AdminPrincipal {
  readonly kind: 'admin-user';
  /** The session id (never its token): what audit records name as the credential. */
  readonly credentialId: string;
  /** A second factor was used in this session (at login or a later step-up). */
  readonly mfa: boolean;
  /** When a second factor was last presented (ms), for step-up freshness. */
  readonly mfaAt: number | undefined;
  /** The account must enrol a second factor before anything else. */
  readonly enrolOnly: boolean;
  /** The credential came as the cookie (CSRF-checked) rather than as a bearer token. */
  readonly viaCookie: boolean;
  readonly name: string;
}

export function isSessionPrincipal(principal: AdminPrincipal): principal is SessionPrincipal {
  return principal.kind === 'admin-user' && 'enrolOnly' in principal;
}

/** Who a failed login is attributed to in the audit trail: nobody proven yet. */
export const ANONYMOUS: AdminPrincipal = Object.freeze({ kind: 'anonymous', id: 'anonymous', permissions: [] });
