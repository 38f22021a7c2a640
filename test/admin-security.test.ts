/**
 * One security suite for every admin API route, read from the route table itself: a route added to
 * the table is walked here without anyone remembering to. Each caller in CALLERS is tried on every
 * route; the admin-plane issue adds its roles as callers (a role without the route's permission:
 * 403 admin.forbidden).
 */
import assert from 'node:assert/strict';
import type { IncomingMessage } from 'node:http';
import { after, before, describe, test } from 'node:test';
import { bearerToken } from '../src/admin/authenticate.js';
import type { AdminRoute } from '../src/admin/route.js';
import { ADMIN_ROUTES } from '../src/admin/routes/index.js';
import { AUTHENTICATED, isPermission, PUBLIC } from '../src/admin/permissions.js';
import type { AdminPrincipal } from '../src/core/actor.js';
import { GatewayError } from '../src/core/errors.js';
import { assertProblem, httpRequest, startUpstream, type TestUpstream } from './helpers/index.js';
import { sqliteLocation, startAdminApi, type StandaloneAdminApi } from './helpers/admin-api.js';
import { ADMIN_TOKEN, startOAuthKeyGateway } from './helpers/keys.js';

/** A concrete path for a route: every `:param` filled with an id that exists nowhere. */
const concretePath = (route: AdminRoute) => route.path.replace(/:[A-Za-z_]+/g, 'id_nowhere');
const label = (route: AdminRoute) => `${route.method} ${route.path}`;
/** Routes that need a credential: all but the public ones (accepting an invitation, completing a reset). */
const GUARDED = ADMIN_ROUTES.filter((route) => route.permission !== PUBLIC);
/** Routes about the caller's own login session and factors: a session (a human) only. */
const OWN_SESSION = GUARDED.filter((route) => route.sessionOnly === true);
/** Routes that need a permission from the table: all but the public ones, those for any principal (whoami) and the session's own. */
const PERMISSIONED = GUARDED.filter((route) => route.permission !== AUTHENTICATED);

interface Caller {
  readonly name: string;
  readonly headers: Record<string, string>;
  readonly status: number;
  readonly code: string;
}

const CALLERS: readonly Caller[] = [
  { name: 'no credential', headers: {}, status: 401, code: 'admin.unauthorized' },
  { name: 'a wrong credential', headers: { authorization: 'Bearer wrong-token-0123456789abcdefghij' }, status: 401, code: 'admin.unauthorized' },
  { name: 'a credential of another scheme', headers: { authorization: `Basic ${Buffer.from(`admin:${ADMIN_TOKEN}`).toString('base64')}` }, status: 401, code: 'admin.unauthorized' },
];

describe('every admin route refuses callers without a valid credential', () => {
  let upstream: TestUpstream;
  let gw: Awaited<ReturnType<typeof startOAuthKeyGateway>>;
  before(async () => {
    upstream = await startUpstream();
    // No brute-force block, so the walk sees every 401.
    gw = await startOAuthKeyGateway(upstream.url, { bruteForce: { maxFailures: 100000 } });
  });
  after(async () => {
    await gw.close();
    await upstream.close();
  });

  for (const caller of CALLERS) {
    test(`answers ${caller.name} with ${caller.status} ${caller.code} on every route of the table`, async () => {
      assert.ok(GUARDED.length >= 22, 'the table has every route');
      for (const route of GUARDED) {
        const body = route.bodySchema ? JSON.stringify({}) : undefined;
        const reply = await httpRequest(`${gw.gateway.adminUrl}${concretePath(route)}`, { method: route.method, headers: { ...caller.headers, ...(body ? { 'content-type': 'application/json' } : {}) }, body });
        assert.equal(reply.status, caller.status, `${label(route)}: ${reply.text}`);
        assertProblem(reply, caller.status, caller.code);
        assert.equal(reply.headers['www-authenticate'], 'Bearer realm="portcullis-admin"', label(route));
      }
    });
  }

  test('routes about the caller’s own session answer 403 to a credential that is not a session', async () => {
    assert.ok(OWN_SESSION.length >= 8);
    for (const route of OWN_SESSION) assertProblem(await gw.admin.call(route.method, concretePath(route), route.bodySchema ? {} : undefined), 403, 'admin.forbidden');
  });

  test('the bootstrap token reaches every route but the session’s own (no route answers 401 or 403 to it)', async () => {
    for (const route of ADMIN_ROUTES.filter((r) => !r.sessionOnly)) {
      const reply = await gw.admin.call(route.method, concretePath(route), route.bodySchema ? {} : undefined);
      assert.ok(![401, 403].includes(reply.status), `${label(route)}: ${reply.status} ${reply.text}`);
    }
  });
});

/**
 * Principals with fewer permissions than the bootstrap token (admin users bring them; until then
 * a test authenticator maps `perm:<permission>` tokens to principals holding just that permission).
 */
describe('every admin route requires its permission', () => {
  let api: StandaloneAdminApi;
  const principal = (permissions: string[]): AdminPrincipal => ({ kind: 'admin-token', id: `test-${permissions.join('+') || 'none'}`, permissions });
  before(async () => {
    api = await startAdminApi(sqliteLocation(), {
      authenticate(req: IncomingMessage) {
        const token = bearerToken(req);
        if (!token.startsWith('perm:')) throw new GatewayError('admin.unauthorized');
        const permission = token.slice('perm:'.length);
        return principal(permission === '' ? [] : [permission]);
      },
    });
  });
  after(() => api.close());

  test('every route names a permission of the table (admin/permissions.ts), or is public or for any principal', () => {
    for (const route of PERMISSIONED) assert.ok(isPermission(route.permission), `${label(route)}: ${route.permission} is not in PERMISSIONS (src/admin/permissions.ts): add it there`);
    for (const route of PERMISSIONED.filter((r) => r.method === 'GET')) assert.match(route.permission, /:read$/, `${label(route)} reads`);
    // Single sign-on is the exception: browsers reach it by redirects, which are GETs (RFC 6749
    // §4.1.1, §4.1.2); start only redirects, and the callback carries its one-time proof (state and
    // code) in the query.
    const redirects = new Set(['GET /v1/auth/sso/start', 'GET /v1/auth/sso/callback']);
    for (const route of ADMIN_ROUTES.filter((r) => r.permission === PUBLIC && !redirects.has(label(r)))) assert.equal(route.method, 'POST', `${label(route)}: a public route only accepts a one-time proof`);
    // One convention for "any signed-in admin": the permission `authenticated`; a person-only route says so with sessionOnly.
    for (const route of ADMIN_ROUTES) assert.ok(route.permission === PUBLIC || route.permission === AUTHENTICATED || isPermission(route.permission), `${label(route)}: ${route.permission}`);
    for (const route of ADMIN_ROUTES.filter((r) => r.sessionOnly)) assert.equal(route.permission, AUTHENTICATED, `${label(route)}: a session-only route is for any signed-in admin user`);
  });

  test('answers a principal without the permission with 403 admin.forbidden, and one with it past the check', async () => {
    const permissions = [...new Set(PERMISSIONED.map((r) => r.permission))];
    for (const route of PERMISSIONED) {
      const body = route.bodySchema ? {} : undefined;
      for (const held of ['', ...permissions.filter((p) => p !== route.permission)]) {
        const reply = await api.call(route.method, concretePath(route), { token: `perm:${held}`, body });
        const text = await reply.text();
        assertProblem({ status: reply.status, headers: Object.fromEntries(reply.headers), text }, 403, 'admin.forbidden');
      }
      const allowed = await api.call(route.method, concretePath(route), { token: `perm:${route.permission}`, body });
      assert.ok(![401, 403].includes(allowed.status), `${label(route)} with ${route.permission}: ${allowed.status} ${await allowed.text()}`);
    }
  });
});
