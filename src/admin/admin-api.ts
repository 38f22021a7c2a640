/**
 * The admin API (JSON, on the admin listener, loopback by default), served from a route table
 * (routes/index.ts). Each request goes through the same steps, in this order:
 *   authenticate (→ AdminPrincipal; 401/429) → match (404/405) → authorize (403) → path ids (404)
 *   → query and body against the route's schemas (400) → handler → JSON answer, never cached.
 * Authorization is the permission, and for a session (admin/sessions/route-guard.ts) also its
 * MFA state: an enrolment-only session reaches only enrolment, a `stepUp` route needs a fresh
 * second factor. A route whose permission is `public` (accepting an invitation, login) skips
 * authentication and authorization; every other path, unknown ones included, is authenticated first, so a caller
 * without a credential learns nothing about which routes exist.
 * Failures are told apart: an entity missing or in the way is 404/409, a store that cannot serve
 * is `503 store.unavailable` (store/store-failure.ts decides, explicitly), anything else is a bug:
 * `500 internal`, logged with its cause and never echoed.
 */
import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AdminPrincipal } from '../core/actor.js';
import type { Clock } from '../core/clock.js';
import { GatewayError, toGatewayError } from '../core/errors.js';
import type { AuthFailureTracker } from '../core/services.js';
import type { AdminAuditHooks } from '../audit/audit-streaming.js';
import { writeBareProblem } from '../core/problem.js';
import type { SecretValue } from '../config/secret.js';
import { KeyLifetimeError } from '../keys/key-service.js';
import { KeyAgePolicyError } from '../keys/key-age-policy.js';
import type { Logger } from '../observability/logger.js';
import { ClientInputError } from '../oauth/client-service.js';
import { routeRouter } from './route-router.js';
import { ConflictError, isUniqueViolation, NotFoundError } from '../store/repositories.js';
import { isStoreFailure } from '../store/store-failure.js';
import { boundedUserAgent } from '../store/audit-record.js';
import { normalizeIp } from '../net/client-ip.js';
import { compositeAuthenticator, type AdminAuthenticator } from './authenticate.js';
import { bootstrapTokenAuthenticator } from './bootstrap-token.js';
import { PUBLIC } from './permissions.js';
import { readJson, validateBody, validateQuery } from './input.js';
import { PATH_PARAM_PATTERN, type AdminRoute, type AdminServices } from './route.js';
import { ADMIN_ROUTES } from './routes/index.js';
import { authorizeRoute } from './sessions/route-guard.js';

export interface AdminApiDeps extends AdminServices {
  /** The audit trail's hooks: the block-mode guard before a write, the count of a 401/403 (audit/audit-streaming.ts). */
  readonly auditHooks?: AdminAuditHooks | undefined;
  readonly token: SecretValue | undefined;
  readonly failures: AuthFailureTracker | undefined;
  readonly clock: Clock;
  readonly typeBaseUrl: () => string;
}

/** For tests: a different table (a route that fails on purpose) or another way to authenticate. */
export interface AdminApiOptions {
  readonly routes?: readonly AdminRoute[];
  readonly authenticate?: AdminAuthenticator;
}

const PATH_PARAM = new RegExp(PATH_PARAM_PATTERN);

/** Builds the request handler; it answers /v1/* and returns false for other paths (health endpoints). */
export function createAdminApi(deps: AdminApiDeps, options: AdminApiOptions = {}) {
  const routes = options.routes ?? ADMIN_ROUTES;
  const router = routeRouter(routes);
  const authenticate = options.authenticate ?? defaultAuthenticator(deps);

  return async function handleAdminApi(req: IncomingMessage, res: ServerResponse): Promise<boolean> {
    const [path = '/', queryText = ''] = (req.url ?? '/').split('?');
    if (!path.startsWith('/v1/')) return false;
    const requestId = randomUUID();
    let principal: AdminPrincipal | undefined;
    try {
      if (!authenticate || !deps.consumers || !deps.keys) throw new GatewayError('route.not_found', { detail: 'The admin API is off: configure admin.token, store and apiKeys.' });
      const match = router.match(req.method ?? 'GET', '', path);
      const isPublic = match.kind === 'found' && match.route.permission === PUBLIC;
      principal = withRequestContext(isPublic ? { kind: 'anonymous', id: 'anonymous', permissions: [] } : await authenticate(req), req, requestId);
      if (match.kind === 'method_not_allowed') throw new GatewayError('route.method_not_allowed', { headers: { allow: match.allow.join(', ') } });
      if (match.kind === 'not_found' || !Object.values(match.params).every((value) => PATH_PARAM.test(value))) throw new GatewayError('route.not_found', { detail: 'No such admin endpoint.' });
      const route = match.route;
      if (!isPublic) authorizeRoute(principal, route, deps.auth?.policy().stepUpMinutes ?? 0, deps.clock.now());
      const query = validateQuery(route.querySchema, new URLSearchParams(queryText));
      const body = route.bodySchema && (req.method === 'POST' || req.method === 'PATCH') ? validateBody(route.bodySchema, await readJson(req)) : undefined;
      // An audit sink in block mode that is down stops changes (503 audit.sink_unavailable), not reads.
      if (route.method !== 'GET') await deps.auditHooks?.guardWrite();
      const responseHeaders: Record<string, string> = {};
      const payload = await route.handler({ params: match.params, body, query, principal, services: deps, routes, req, responseHeaders });
      if (route.status === 302) {
        res.writeHead(302, { ...responseHeaders, 'content-length': 0, 'cache-control': 'no-store', 'x-request-id': requestId });
        res.end();
        return true;
      }
      const text = JSON.stringify(payload);
      // Responses may hold a new key: never cached anywhere.
      res.writeHead(route.status, { ...responseHeaders, 'content-type': 'application/json', 'content-length': Buffer.byteLength(text), 'cache-control': 'no-store', 'x-request-id': requestId });
      res.end(text);
    } catch (error) {
      const problem = toAdminError(error, deps.logger(), requestId);
      // Denied attempts go on record, aggregated per source and reason (audit/denied-attempts.ts).
      if (problem.status === 401 || problem.status === 403) deps.auditHooks?.denied({ sourceIp: principal?.ip ?? normalizeIp(req.socket.remoteAddress), reason: problem.code, principal: principal ? { kind: principal.kind, id: principal.id } : undefined });
      writeBareProblem(res, problem, requestId, deps.typeBaseUrl());
    }
    return true;
  };
}

/**
 * The principal with where its request came from (request id, source IP, User-Agent): it is the
 * actor of every write the handler makes, so each audit record carries them (docs/audit.md).
 */
function withRequestContext(principal: AdminPrincipal, req: IncomingMessage, requestId: string): AdminPrincipal {
  const userAgent = boundedUserAgent(req.headers['user-agent']);
  return { ...principal, requestId, ip: principal.ip ?? normalizeIp(req.socket.remoteAddress), ...(userAgent === undefined ? {} : { userAgent }) };
}

/** The admin plane's authenticators when there is one; else the bootstrap token alone (no store to keep users in). */
function defaultAuthenticator(deps: AdminApiDeps): AdminAuthenticator | undefined {
  const options = { failures: deps.failures, clock: deps.clock, logger: deps.logger };
  if (deps.admin) return compositeAuthenticator(() => deps.admin!.authenticators(), options);
  if (!deps.token) return undefined;
  const only = [bootstrapTokenAuthenticator({ token: deps.token, bootstrap: undefined, logger: deps.logger })];
  return compositeAuthenticator(() => only, options);
}

/** Maps what a handler threw to the problem it answers with (see the module header). */
export function toAdminError(error: unknown, logger: Logger, requestId: string): GatewayError {
  if (error instanceof GatewayError) return error;
  if (error instanceof NotFoundError) return new GatewayError('admin.not_found', { detail: error.message });
  if (error instanceof ConflictError) return new GatewayError('admin.conflict', { detail: error.message });
  if (error instanceof ClientInputError) return new GatewayError('admin.invalid_request', { detail: error.message });
  if (error instanceof KeyLifetimeError || error instanceof KeyAgePolicyError) return new GatewayError('admin.invalid_request', { detail: error.message });
  // Two creates racing for one name: the database's constraint decides, and that is a conflict.
  if (isUniqueViolation(error)) return new GatewayError('admin.conflict', { detail: 'An entity with that name or id exists already.' });
  if (isStoreFailure(error)) {
    logger.error({ event: 'admin.store_failed', requestId, err: error }, 'admin API: the store failed');
    return new GatewayError('store.unavailable', { detail: 'The store did not answer; try again.', internal: toGatewayError(error).internal });
  }
  // Not an outage: a bug. The cause goes to the log under the request id, never to the client.
  logger.error({ event: 'admin.internal_error', requestId, err: error }, 'admin API: unexpected error');
  return toGatewayError(error);
}
