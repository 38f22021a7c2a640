/**
 * Login and step-up: a password (and, for an account that has one, a second factor) opens a new
 * session. Every way of failing (unknown name, wrong password, wrong, used or replayed code)
 * answers the same `401 admin.login_failed` after the same work (the accounts module verifies an
 * unknown name against a dummy hash), and counts towards the brute-force limits before the answer.
 * Accepting the code (its time step, or the recovery code) and opening the session are one unit of
 * work: a replay racing the first use loses in the database, not in memory.
 */
import type { IncomingMessage } from 'node:http';
import type { Actor } from '../../core/actor.js';
import { GatewayError } from '../../core/errors.js';
import { normalizeIp } from '../../net/client-ip.js';
import type { AdminSessionRow } from '../../store/admin-sessions.js';
import type { Store } from '../../store/store.js';
import { mustEnrolNow } from '../mfa/mfa-policy.js';
import { presentsFactor, type SecondFactor } from '../mfa/mfa-service.js';
import type { AdminAccount } from './accounts.js';
import { ANONYMOUS, type AdminAuth, type SessionPrincipal } from './admin-auth.js';
import { tokenHash } from './session-service.js';

export interface LoginInput extends SecondFactor {
  readonly name: string;
  readonly password: string;
}

export interface LoginResult {
  readonly account: AdminAccount;
  readonly session: AdminSessionRow;
  readonly token: string;
}

/** Thrown inside the unit of work to roll it back when the second factor does not hold. */
class FactorRefused extends Error {}

export async function login(store: Store, auth: AdminAuth, req: IncomingMessage, input: LoginInput, previousToken: string | undefined): Promise<LoginResult> {
  const ip = normalizeIp(req.socket.remoteAddress);
  refuseWhileThrottled(auth, input.name, ip);
  const account = await auth.accounts.verifyPassword(input.name, input.password);
  if (!account) return refuse(store, auth, input.name, ip, 'password');
  const hasFactor = await auth.mfa.hasFactor(account.id);
  if (hasFactor && !presentsFactor(input)) {
    throw new GatewayError('admin.mfa_required', { detail: 'Send the login again with code (from the authenticator app), webauthn (a passkey: POST /v1/login/webauthn/options first) or recoveryCode.' });
  }
  const actor: Actor = { kind: 'admin-user', id: account.id, ip };
  try {
    const result = await store.write(actor, 'admin_session.create', async (tx) => {
      let method = 'password';
      if (hasFactor) {
        const how = await auth.mfa.verify(tx, account.id, input, { purpose: 'login', sessionId: null });
        if (!how) throw new FactorRefused();
        method = `password+${how}`;
      }
      // Session fixation: whatever session the caller came with ends here; the new one has a new id.
      if (previousToken !== undefined) {
        const previous = await auth.sessions.repo.findByTokenHash(tokenHash(previousToken), tx.db);
        if (previous) await auth.sessions.repo.revoke(tx, previous.id);
      }
      const enrolOnly = mustEnrolNow(account, hasFactor, auth.policy(), tx.now);
      return auth.sessions.open(tx, { userId: account.id, method, mfa: hasFactor, enrolOnly, ip, userAgent: req.headers['user-agent'] });
    });
    auth.throttle.recordSuccess(input.name, ip);
    auth.logger().info({ event: 'admin.login_succeeded', userId: account.id, sessionId: result.row.id, method: result.row.method, clientIp: ip }, 'admin user logged in');
    return { account, session: result.row, token: result.token };
  } catch (error) {
    if (error instanceof FactorRefused) return refuse(store, auth, input.name, ip, 'second factor');
    throw error;
  }
}

/**
 * A fresh second factor on a live session: the session is replaced by a new one (new id, new
 * token) marked with the factor's time, so the privilege it now carries never rides on an id
 * that existed before.
 */
export async function stepUp(store: Store, auth: AdminAuth, principal: SessionPrincipal, factor: SecondFactor): Promise<{ session: AdminSessionRow; token: string }> {
  const ip = principal.ip ?? 'unknown';
  refuseWhileThrottled(auth, principal.name, ip);
  try {
    const result = await store.write(principal, 'admin_session.step_up', async (tx) => {
      const how = await auth.mfa.verify(tx, principal.id, factor, { purpose: 'step-up', sessionId: principal.credentialId });
      if (!how) throw new FactorRefused();
      const old = await auth.sessions.repo.find(principal.credentialId, tx.db);
      await auth.sessions.repo.revoke(tx, principal.credentialId);
      const opened = await auth.sessions.open(tx, { userId: principal.id, method: old?.method ?? 'password', mfa: true, enrolOnly: false, ip, userAgent: old?.user_agent ?? undefined });
      return opened;
    });
    auth.throttle.recordSuccess(principal.name, ip);
    return { session: result.row, token: result.token };
  } catch (error) {
    if (error instanceof FactorRefused) return refuse(store, auth, principal.name, ip, 'second factor');
    throw error;
  }
}

/**
 * The first half of a passkey login: the password is checked (and a failure counted) exactly as
 * at login, then the options for navigator.credentials.get name the account's passkeys. Asking
 * for the password first keeps the route from telling anyone which names have passkeys.
 */
export async function passkeyLoginOptions(store: Store, auth: AdminAuth, req: IncomingMessage, input: { name: string; password: string }) {
  const ip = normalizeIp(req.socket.remoteAddress);
  refuseWhileThrottled(auth, input.name, ip);
  const account = await auth.accounts.verifyPassword(input.name, input.password);
  if (!account) return refuse(store, auth, input.name, ip, 'password');
  const options = await auth.mfa.webauthn.authenticationOptions(account.id, { purpose: 'login', sessionId: null });
  if (!options) throw new GatewayError('admin.conflict', { detail: 'This account has no passkey: log in with code or recoveryCode.' });
  return options;
}

function refuseWhileThrottled(auth: AdminAuth, name: string, ip: string): void {
  const wait = auth.throttle.waitSeconds(name, ip, auth.clock.now());
  if (wait > 0) throw new GatewayError('auth.too_many_failures', { detail: 'Too many failed attempts; try again later.', headers: { 'retry-after': String(wait) } });
}

/**
 * Counts the failure, logs it and writes it to the audit trail (an event that changes no entity),
 * then answers the one refusal. The name as typed helps spot a targeted account; the password or
 * code never reaches a log or a record.
 */
async function refuse(store: Store, auth: AdminAuth, typedName: string, ip: string, what: 'password' | 'second factor'): Promise<never> {
  const name = typedName.slice(0, 128);
  const locked = auth.throttle.recordFailure(name, ip, auth.clock.now());
  auth.logger().warn({ event: 'admin.login_failed', name, clientIp: ip, failed: what }, 'admin login failed');
  const actor: Actor = { ...ANONYMOUS, ip };
  await store.audit(actor, 'admin.login_failed', { kind: 'admin_login', id: name }, { detail: { failed: what }, outcome: 'denied' });
  if (locked) {
    auth.logger().warn({ event: 'admin.login_locked', name, clientIp: ip }, 'admin login locked out for a while');
    await store.audit(actor, 'admin.login_locked', { kind: 'admin_login', id: name }, { detail: { lockoutMinutes: auth.lockoutMinutes }, outcome: 'denied' });
  }
  throw new GatewayError('admin.login_failed', { detail: 'The name, password or code is not right.' });
}
