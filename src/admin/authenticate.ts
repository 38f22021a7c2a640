/**
 * Who is calling the admin API, and may they call this route. Authentication turns a request into
 * an AdminPrincipal (today only the bootstrap token from `admin.token`; admin users and scoped
 * tokens come with the admin plane); authorization compares the principal's permissions with the
 * one the route names. Wrong or missing credentials are counted by the brute-force throttle.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import type { AdminPrincipal } from '../core/actor.js';
import type { Clock } from '../core/clock.js';
import { GatewayError } from '../core/errors.js';
import type { AuthFailureTracker } from '../core/services.js';
import type { SecretValue } from '../config/secret.js';
import type { Logger } from '../observability/logger.js';
import { normalizeIp } from '../net/client-ip.js';
import type { AdminRoute } from './route.js';

/** Turns a request into its principal; throws GatewayError (401, 429, 400) when it cannot. */
export type AdminAuthenticator = (req: IncomingMessage) => AdminPrincipal | Promise<AdminPrincipal>;

export interface BootstrapTokenOptions {
  readonly token: SecretValue;
  readonly failures: AuthFailureTracker | undefined;
  readonly clock: Clock;
  readonly logger: () => Logger;
}

/** The permission that grants every other one (the bootstrap token holds it). */
export const ALL_PERMISSIONS = '*';

/**
 * The bootstrap token as `Authorization: Bearer <token>` (RFC 6750 §2.1), compared in constant time
 * as equal-length SHA-256 digests. Principal: kind `bootstrap-token`, id `bootstrap`, every permission.
 */
export function bootstrapTokenAuthenticator(options: BootstrapTokenOptions): AdminAuthenticator {
  const expected = digest(options.token.reveal());
  /** Counted before the answer: under `--workers` the count is the primary's (see AuthFailureTracker). */
  async function refuseToken(clientIp: string, now: number): Promise<never> {
    await options.failures?.recordFailure(clientIp, now);
    options.logger().warn({ event: 'admin.auth_failed', clientIp }, 'admin API: missing or wrong token');
    throw new GatewayError('admin.unauthorized', { detail: 'Send the admin token as Authorization: Bearer <token>.', headers: { 'www-authenticate': 'Bearer realm="portcullis-admin"' } });
  }
  return function authenticateBootstrapToken(req) {
    const clientIp = normalizeIp(req.socket.remoteAddress);
    const now = options.clock.now();
    const blockedFor = options.failures?.blockedForSeconds(clientIp, now) ?? 0;
    if (blockedFor > 0) throw new GatewayError('auth.too_many_failures', { detail: 'Too many failed attempts; try again later.', headers: { 'retry-after': String(blockedFor) } });
    const presented = bearerToken(req);
    if (presented === '' || !timingSafeEqual(digest(presented), expected)) return refuseToken(clientIp, now);
    return { kind: 'bootstrap-token', id: 'bootstrap', permissions: [ALL_PERMISSIONS], ip: clientIp };
  };
}

/** The bearer token of the request, or '' when there is none. */
export function bearerToken(req: IncomingMessage): string {
  // Node keeps the first of two Authorization headers: a credential must be named once instead.
  if (countHeader(req.rawHeaders, 'authorization') > 1) throw new GatewayError('request.malformed', { detail: 'The request carries Authorization more than once: a credential must be named once.' });
  const header = req.headers.authorization ?? '';
  return /^bearer /i.test(header) ? header.slice(7).trim() : '';
}

/** 403 admin.forbidden unless the principal holds the route's permission (or `*`). */
export function authorize(principal: AdminPrincipal, route: AdminRoute): void {
  if (principal.permissions.includes(ALL_PERMISSIONS) || principal.permissions.includes(route.permission)) return;
  throw new GatewayError('admin.forbidden', { detail: `This call needs the permission ${route.permission}.` });
}

function digest(value: string): Buffer {
  return createHash('sha256').update(value).digest();
}

function countHeader(raw: readonly string[], name: string): number {
  let count = 0;
  for (let i = 0; i < raw.length; i += 2) if (raw[i]!.length === name.length && raw[i]!.toLowerCase() === name) count++;
  return count;
}
