/**
 * Authenticates a request by its session: the `__Host-portcullis-session` cookie (a browser) or
 * `Authorization: Bearer ptc_ses_…` (the CLI after `portcullis login`). A request with an
 * Authorization header is never read as a cookie request: a cross-site page cannot set that
 * header, so only the cookie path needs CSRF checks.
 *
 * CSRF (OWASP CSRF prevention: synchronizer token plus origin verification): every POST or
 * DELETE made with the cookie must carry the session's `X-CSRF-Token` and an `Origin` equal to
 * the admin listener's own (scheme and Host); SameSite=Strict already keeps browsers from sending
 * the cookie cross-site, these two hold when it does not (an old browser, a sibling-site bug).
 */
import type { IncomingMessage } from 'node:http';
import type { TLSSocket } from 'node:tls';
import { GatewayError } from '../../core/errors.js';
import type { CredentialAuthenticator } from '../authenticate.js';
import { normalizeIp } from '../../net/client-ip.js';
import { mustEnrolNow } from '../mfa/mfa-policy.js';
import type { AdminAuth, SessionPrincipal } from './admin-auth.js';
import { readSessionCookie } from './session-cookie.js';
import { csrfTokenMatches, SESSION_TOKEN_PREFIX } from './session-service.js';

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

/** The session credential of a request, or undefined when it carries none (another authenticator's turn). */
export function sessionCredential(req: IncomingMessage): { token: string; viaCookie: boolean } | undefined {
  const header = req.headers.authorization;
  if (header !== undefined) {
    const token = /^bearer /i.test(header) ? header.slice(7).trim() : '';
    return token.startsWith(SESSION_TOKEN_PREFIX) ? { token, viaCookie: false } : undefined;
  }
  const cookie = readSessionCookie(req);
  return cookie === undefined ? undefined : { token: cookie, viaCookie: true };
}

/**
 * The session as one of the admin API's credential authenticators (admin/authenticate.ts): tried
 * first, it answers `absent` for any other credential. A dead session or a CSRF failure is thrown
 * as its own problem (401 admin.session_expired, 403 admin.csrf_failed), so the console can tell
 * "log in again" from "wrong credential"; neither is a guess worth counting (the token has 256 bits).
 */
export function sessionAuthenticator(auth: AdminAuth): CredentialAuthenticator {
  return {
    name: 'session',
    async authenticate(req) {
      const credential = sessionCredential(req);
      if (!credential) return { kind: 'absent' };
      return { kind: 'ok', principal: await authenticateSession(req, credential, auth) };
    },
  };
}

export async function authenticateSession(req: IncomingMessage, credential: { token: string; viaCookie: boolean }, auth: AdminAuth): Promise<SessionPrincipal> {
  const ip = normalizeIp(req.socket.remoteAddress);
  if (credential.viaCookie && !SAFE_METHODS.has(req.method ?? 'GET')) checkCsrf(req, credential.token, auth, ip);
  const session = await auth.sessions.resolve(credential.token);
  const account = await auth.accounts.find(session.user_id);
  if (!account || account.status !== 'active') throw new GatewayError('admin.session_expired', { detail: 'The account of this session is not active.' });
  const mfa = session.mfa === 1;
  // The grace period can end during a session: checked on every request, not only at login.
  const enrolOnly = session.enrol_only === 1 || (!mfa && mustEnrolNow(account, await auth.mfa.hasFactor(account.id), auth.policy(), auth.clock.now()));
  return {
    kind: 'admin-user',
    id: account.id,
    userId: account.id,
    name: account.name,
    permissions: account.permissions,
    ip,
    credentialId: session.id,
    mfa,
    mfaAt: session.mfa_at ?? undefined,
    enrolOnly,
    viaCookie: credential.viaCookie,
  };
}

function checkCsrf(req: IncomingMessage, token: string, auth: AdminAuth, ip: string): void {
  const scheme = (req.socket as TLSSocket).encrypted ? 'https' : 'http';
  const expectedOrigin = `${scheme}://${req.headers.host ?? ''}`;
  const origin = req.headers.origin;
  const presented = req.headers['x-csrf-token'];
  const reason = origin === undefined ? 'no Origin' : origin !== expectedOrigin ? 'a foreign Origin' : typeof presented !== 'string' ? 'no X-CSRF-Token' : !csrfTokenMatches(token, presented) ? 'a wrong X-CSRF-Token' : undefined;
  if (reason === undefined) return;
  auth.logger().warn({ event: 'admin.csrf_refused', clientIp: ip, reason, origin }, 'admin API: cross-site request refused');
  throw new GatewayError('admin.csrf_failed', { detail: `A request made with the session cookie needs its X-CSRF-Token and an Origin of ${expectedOrigin}: it had ${reason}.` });
}
