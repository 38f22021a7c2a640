/**
 * The checks a session adds to a route's permission (admin-api.ts runs them in place of the bare
 * permission check): an enrolment-only session reaches only the routes open during enrolment;
 * `sessionOnly` routes need a session (a human) whatever their permissions; a `stepUp` route needs a
 * second factor presented within `admin.mfa.stepUpMinutes`.
 */
import type { AdminPrincipal } from '../../core/actor.js';
import { GatewayError } from '../../core/errors.js';
import { authorize } from '../authenticate.js';
import type { AdminRoute } from '../route.js';
import { isSessionPrincipal, type SessionPrincipal } from './admin-auth.js';

export function authorizeRoute(principal: AdminPrincipal, route: AdminRoute, stepUpMinutes: number, now: number): void {
  const session = isSessionPrincipal(principal) ? principal : undefined;
  if (session?.enrolOnly && !route.duringEnrolment) {
    throw new GatewayError('admin.mfa_enrolment_required', { detail: 'Enrol a second factor first (POST /v1/mfa/totp, then POST /v1/mfa/totp/confirm); until then this session may only enrol or log out.' });
  }
  if (route.sessionOnly && !session) throw new GatewayError('admin.forbidden', { detail: 'This call is about your own login session: log in as an admin user (POST /v1/login, or portcullis login).' });
  authorize(principal, route);
  if (route.stepUp && session) requireFreshFactor(session, stepUpMinutes, now);
}

/** 403 admin.step_up_required unless the session presented a second factor within `stepUpMinutes`. */
export function requireFreshFactor(session: SessionPrincipal, stepUpMinutes: number, now: number): void {
  if (session.mfaAt !== undefined && now - session.mfaAt <= stepUpMinutes * 60_000) return;
  throw new GatewayError('admin.step_up_required', { detail: `This call needs a second factor presented within ${stepUpMinutes} minutes: POST /v1/session/step-up with a code or a passkey, then retry.` });
}
