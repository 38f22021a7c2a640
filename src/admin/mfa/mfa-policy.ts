/**
 * Who must have a second factor (`admin.mfa.required`: every human, or the holders of some roles)
 * and whether their grace period is over. After it, an account without a factor gets an
 * enrolment-only session: it may enrol, see its session, and log out, nothing else.
 */
import type { AdminAccount } from '../sessions/accounts.js';

export interface MfaPolicy {
  readonly required: 'all' | readonly string[];
  readonly gracePeriodHours: number;
  readonly stepUpMinutes: number;
}

export function mfaRequired(account: AdminAccount, policy: MfaPolicy): boolean {
  return policy.required === 'all' || account.roles.some((role) => policy.required.includes(role));
}

/** The moment (ms) after which an account without a factor may only enrol. */
export function enrolmentDeadline(account: AdminAccount, policy: MfaPolicy): number {
  return account.createdAt + policy.gracePeriodHours * 3_600_000;
}

/** True when the account must enrol before doing anything else. */
export function mustEnrolNow(account: AdminAccount, hasFactor: boolean, policy: MfaPolicy, now: number): boolean {
  return !hasFactor && mfaRequired(account, policy) && now >= enrolmentDeadline(account, policy);
}
