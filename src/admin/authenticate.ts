/**
 * Who is calling the admin API, and may they call this route. A composite authenticator tries a
 * list of credential authenticators in order (admin tokens `ptc_adm_…`, the bootstrap token while
 * it is enabled, and the session cookie that admin-mfa adds); the first that recognises the
 * request's credential decides. A credential nobody recognises, or one that is recognised and
 * wrong, is `401 admin.unauthorized`, counted by the brute-force throttle per client address.
 * Authorization then compares the principal's permissions with the one the route names
 * (admin/permissions.ts): deny by default.
 */
import type { IncomingMessage } from 'node:http';
import type { AdminPrincipal } from '../core/actor.js';
import type { Clock } from '../core/clock.js';
import { GatewayError } from '../core/errors.js';
import type { AuthFailureTracker } from '../core/services.js';
import type { Logger } from '../observability/logger.js';
import { normalizeIp } from '../net/client-ip.js';
import { ALL_PERMISSIONS, AUTHENTICATED, holds } from './permissions.js';

export { ALL_PERMISSIONS } from './permissions.js';

/** Turns a request into its principal; throws GatewayError (401, 429, 400) when it cannot. */
export type AdminAuthenticator = (req: IncomingMessage) => AdminPrincipal | Promise<AdminPrincipal>;

/** What a credential authenticator answers about one request. */
export type CredentialVerdict =
  /** Not a credential of this kind (no cookie, another token format): the next one is asked. */
  | { readonly kind: 'absent' }
  | { readonly kind: 'ok'; readonly principal: AdminPrincipal }
  /** A credential of this kind that is wrong, expired, revoked or disabled; `reason` is for the log only. */
  | { readonly kind: 'refused'; readonly reason: string; readonly detail?: string | undefined };

/** One way to authenticate: the admin token, the bootstrap token, the session cookie, … */
export interface CredentialAuthenticator {
  /** For the log: `admin-token`, `bootstrap-token`, `session`. */
  readonly name: string;
  authenticate(req: IncomingMessage, context: { readonly clientIp: string; readonly now: number }): Promise<CredentialVerdict> | CredentialVerdict;
}

export interface CompositeOptions {
  readonly failures: AuthFailureTracker | undefined;
  readonly clock: Clock;
  readonly logger: () => Logger;
}

const UNAUTHORIZED_DETAIL = 'Send an admin token as Authorization: Bearer <token>, or sign in.';

/**
 * Tries `authenticators` in order (a list that may grow at run time: `list()` is read per request).
 * A blocked client address is refused before any credential is looked at (429).
 */
export function compositeAuthenticator(list: () => readonly CredentialAuthenticator[], options: CompositeOptions): AdminAuthenticator {
  /** Counted before the answer: under `--workers` the count is the primary's (see AuthFailureTracker). */
  async function refuse(clientIp: string, now: number, reason: string, by: string | undefined, detail: string | undefined): Promise<never> {
    await options.failures?.recordFailure(clientIp, now);
    options.logger().warn({ event: 'admin.auth_failed', clientIp, reason, ...(by ? { authenticator: by } : {}) }, 'admin API: missing or wrong credential');
    throw new GatewayError('admin.unauthorized', { detail: detail ?? UNAUTHORIZED_DETAIL, headers: { 'www-authenticate': 'Bearer realm="portcullis-admin"' } });
  }
  return async function authenticateAdmin(req) {
    const clientIp = normalizeIp(req.socket.remoteAddress);
    const now = options.clock.now();
    const blockedFor = options.failures?.blockedForSeconds(clientIp, now) ?? 0;
    if (blockedFor > 0) throw new GatewayError('auth.too_many_failures', { detail: 'Too many failed attempts; try again later.', headers: { 'retry-after': String(blockedFor) } });
    for (const authenticator of list()) {
      const verdict = await authenticator.authenticate(req, { clientIp, now });
      if (verdict.kind === 'ok') return verdict.principal;
      if (verdict.kind === 'refused') return refuse(clientIp, now, verdict.reason, authenticator.name, verdict.detail);
    }
    return refuse(clientIp, now, 'no credential recognised', undefined, undefined);
  };
}

/** The bearer token of the request, or '' when there is none. */
export function bearerToken(req: IncomingMessage): string {
  // Node keeps the first of two Authorization headers: a credential must be named once instead.
  if (countHeader(req.rawHeaders, 'authorization') > 1) throw new GatewayError('request.malformed', { detail: 'The request carries Authorization more than once: a credential must be named once.' });
  const header = req.headers.authorization ?? '';
  return /^bearer /i.test(header) ? header.slice(7).trim() : '';
}

/** 403 admin.forbidden unless the principal holds the route's permission (or `*`); `authenticated`: any principal. */
export function authorize(principal: AdminPrincipal, route: { readonly permission: string }): void {
  if (route.permission === AUTHENTICATED || holds(principal.permissions, route.permission)) return;
  throw new GatewayError('admin.forbidden', { detail: `This call needs the permission ${route.permission}.` });
}

/** Whether the principal holds every permission (the bootstrap token's `*` included). */
export function isAllPowerful(principal: AdminPrincipal): boolean {
  return principal.permissions.includes(ALL_PERMISSIONS);
}

function countHeader(raw: readonly string[], name: string): number {
  let count = 0;
  for (let i = 0; i < raw.length; i += 2) if (raw[i]!.length === name.length && raw[i]!.toLowerCase() === name) count++;
  return count;
}
