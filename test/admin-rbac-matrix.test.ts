/**
 * The role matrix (issue 18 §8): every admin route called by a signed-in user of each built-in role,
 * the answer checked against one table of which roles may call it (allowed: past the permission
 * check, so not 401/403; denied: 403 admin.forbidden). The table is written out by hand, not derived
 * from the code, so a change to a role or a route's permission shows up here as a diff to review.
 *
 * A route missing from MATRIX fails the test: when you add an admin route, add a line for it below
 * with the roles that may call it (see docs/admin.md#roles-and-permissions for what each role holds).
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { after, before, describe, test } from 'node:test';
import { BUILT_IN_ROLE_NAMES, BUILT_IN_ROLES, PERMISSIONS } from '../src/admin/permissions.js';
import type { AdminRoute } from '../src/admin/route.js';
import { ADMIN_ROUTES } from '../src/admin/routes/index.js';
import type { AdminUser } from '../src/store/admin-users.js';
import { activeUser, sessionOf, testSessionAuthenticator } from './helpers/admin-users.js';
import { sqliteLocation, startAdminApi, type StandaloneAdminApi } from './helpers/admin-api.js';

type Role = 'owner' | 'admin' | 'operator' | 'security' | 'auditor' | 'viewer';
const ALL: readonly Role[] = ['owner', 'admin', 'operator', 'security', 'auditor', 'viewer'];
const roles = (names: string): readonly Role[] => names.split(' ') as Role[];

/**
 * `public`: no credential needed; `any`: every signed-in principal (permission `authenticated`);
 * `self`: permission `authenticated` with `sessionOnly`: a signed-in user's own
 * session or factors (admin-mfa's routes, which need a real session: their own tests call them).
 */
const MATRIX: Readonly<Record<string, readonly Role[] | 'public' | 'any' | 'self'>> = {
  'GET /v1/consumers': ALL,
  'POST /v1/consumers': roles('owner admin operator'),
  'GET /v1/consumers/:id': ALL,
  'PATCH /v1/consumers/:id': roles('owner admin operator'),
  'POST /v1/consumers/:id/disable': roles('owner admin operator'),
  'POST /v1/consumers/:id/enable': roles('owner admin operator'),
  'GET /v1/keys': ALL,
  'POST /v1/keys': roles('owner admin operator'),
  'GET /v1/keys/:id': ALL,
  'POST /v1/keys/:id/rotate': roles('owner admin operator'),
  'POST /v1/keys/:id/revoke': roles('owner admin operator security'),
  'GET /v1/oauth/clients': ALL,
  'POST /v1/oauth/clients': roles('owner admin operator'),
  'GET /v1/oauth/clients/:id': ALL,
  'POST /v1/oauth/clients/:id/rotate': roles('owner admin operator'),
  'POST /v1/oauth/clients/:id/revoke': roles('owner admin operator security'),
  'GET /v1/oauth/signing-keys': ALL,
  'POST /v1/oauth/signing-keys/rotate': roles('owner admin'),
  'GET /v1/rate-limit-overrides': ALL,
  'POST /v1/rate-limit-overrides': roles('owner admin operator'),
  'GET /v1/rate-limit-overrides/:id': ALL,
  'DELETE /v1/rate-limit-overrides/:id': roles('owner admin operator'),
  'GET /v1/users': roles('owner security auditor'),
  'POST /v1/users': roles('owner security'),
  'GET /v1/users/:id': roles('owner security auditor'),
  'GET /v1/users/:id/mfa': roles('owner security auditor'),
  'DELETE /v1/users/:id': roles('owner security'),
  'POST /v1/users/:id/disable': roles('owner security'),
  'POST /v1/users/:id/enable': roles('owner security'),
  'POST /v1/users/:id/roles': roles('owner security'),
  'POST /v1/users/:id/reset-password': roles('owner security'),
  'POST /v1/invitations/accept': 'public',
  'POST /v1/password-resets/complete': 'public',
  'POST /v1/me/password': 'any',
  'GET /v1/permissions': ALL,
  'GET /v1/roles': ALL,
  'GET /v1/roles/:name': ALL,
  'POST /v1/roles': roles('owner security'),
  'POST /v1/roles/:name': roles('owner security'),
  'DELETE /v1/roles/:name': roles('owner security'),
  'GET /v1/admin-tokens': roles('owner admin operator security auditor'),
  'POST /v1/admin-tokens': roles('owner admin operator security'),
  'GET /v1/admin-tokens/:id': roles('owner admin operator security auditor'),
  'POST /v1/admin-tokens/:id/rotate': roles('owner admin operator security'),
  'POST /v1/admin-tokens/:id/revoke': roles('owner admin operator security'),
  'GET /v1/whoami': 'any',
  'GET /v1/rbac/explain': roles('owner security auditor'),
  'GET /v1/openapi.json': ALL,
  'GET /v1/audit': roles('owner admin security auditor'),
  'GET /v1/audit/:seq': roles('owner admin security auditor'),
  'POST /v1/audit/verify': roles('owner admin security auditor'),
  'POST /v1/audit/export': roles('owner admin security auditor'),
  'GET /v1/secrets': ALL,
  'GET /v1/secrets/:name/versions': ALL,
  'POST /v1/secrets/:name/versions': roles('owner admin'),
  'POST /v1/secrets/:name/promote': roles('owner admin'),
  'DELETE /v1/secrets/:name': roles('owner admin'),
  'POST /v1/secrets/:name/reveal': roles('owner admin'),
  'GET /v1/credentials': ALL,
  'POST /v1/credentials': roles('owner admin'),
  'GET /v1/credentials/:id': ALL,
  'POST /v1/credentials/:id/refresh': roles('owner admin'),
  'POST /v1/credentials/:id/revoke': roles('owner admin'),
  'POST /v1/credentials/:id/release': roles('owner admin'),
  'POST /v1/credentials/:id/refresh-token': roles('owner admin'),
  'POST /v1/credentials/:id/authorization-code': roles('owner admin'),
  'POST /v1/login': 'public',
  'GET /v1/auth/sso/start': 'public',
  'GET /v1/auth/sso/callback': 'public',
  'POST /v1/auth/sso/mfa': 'public',
  'GET /v1/session': 'self',
  'POST /v1/logout': 'self',
  'POST /v1/session/step-up': 'self',
  'GET /v1/sessions': 'self',
  'DELETE /v1/sessions/:id': 'self',
  'POST /v1/sessions/revoke-others': 'self',
  'GET /v1/mfa': 'self',
  'POST /v1/mfa/totp': 'self',
  'POST /v1/mfa/totp/confirm': 'self',
  'POST /v1/mfa/recovery-codes': 'self',
  'POST /v1/mfa/webauthn/registration/options': 'self',
  'POST /v1/mfa/webauthn/registration': 'self',
  'GET /v1/mfa/webauthn': 'self',
  'DELETE /v1/mfa/webauthn/:id': 'self',
  'POST /v1/login/webauthn/options': 'public',
  'POST /v1/session/step-up/webauthn/options': 'self',
  'POST /v1/users/:id/mfa/reset': roles('owner security'),
  'GET /v1/fields/usage': ALL,
  'GET /v1/inventory': ALL,
  'GET /v1/inventory/openapi': ALL,
  'GET /v1/inventory/shadow': ALL,
  'GET /v1/inventory/deprecated': ALL,
  'GET /v1/inventory/credentials': ALL,
  'GET /v1/consumers/:id/traffic': ALL,
  'GET /v1/inventory/failing-consumers': ALL,
  'GET /v1/ca': ALL,
  'GET /v1/certificates': ALL,
  'GET /v1/certificates/expiries': ALL,
  'POST /v1/certificates': roles('owner admin'),
  'POST /v1/certificates/:serial/revoke': roles('owner admin security'),
  'POST /v1/ca/crl': roles('owner admin security'),
  'GET /v1/alerts': ALL,
  'GET /v1/assessments': ALL,
  'GET /v1/alerts/silences': ALL,
  'GET /v1/alerts/sinks': ALL,
  'POST /v1/alerts/silences': roles('owner admin operator'),
  'DELETE /v1/alerts/silences/:id': roles('owner admin operator'),
  'POST /v1/alerts/test': roles('owner admin operator'),
};

const label = (route: AdminRoute) => `${route.method} ${route.path}`;
/** Every `:param` filled with an id that exists nowhere (the call gets past the check, then 404). */
const concretePath = (route: AdminRoute) => route.path.replace(/:[A-Za-z_]+/g, 'id_nowhere');

describe('the role matrix: every admin route with every built-in role', () => {
  let api: StandaloneAdminApi;
  const users = new Map<Role, AdminUser>();
  before(async () => {
    api = await startAdminApi(sqliteLocation());
    api.admin.addAuthenticator(testSessionAuthenticator(api.admin), 'first');
    // Invited by the bootstrap token, which keeps working until the owner accepts: the owner last.
    for (const role of [...ALL].reverse()) users.set(role, await activeUser(api.admin, `${role}-user`, [role]));
  });
  after(() => api.close());

  test('every route of the table has a line in MATRIX, and every line a route', () => {
    const missing = ADMIN_ROUTES.filter((route) => !(label(route) in MATRIX)).map(label);
    assert.deepEqual(missing, [], `admin routes without a line in MATRIX (test/admin-rbac-matrix.test.ts): add "'<METHOD> <path>': roles('…')" naming the built-in roles that may call each`);
    const stale = Object.keys(MATRIX).filter((key) => !ADMIN_ROUTES.some((route) => label(route) === key));
    assert.deepEqual(stale, [], 'lines in MATRIX for routes that no longer exist: remove them');
  });

  test('each built-in role is allowed exactly the routes of its line, and refused the others with 403', async () => {
    const wrong: string[] = [];
    for (const route of ADMIN_ROUTES) {
      const allowed = MATRIX[label(route)];
      if (allowed === undefined || allowed === 'self') continue;
      for (const role of ALL) {
        const reply = await api.call(route.method, concretePath(route), { token: allowed === 'public' ? undefined : sessionOf(users.get(role)!), body: route.bodySchema ? {} : undefined });
        const body = await reply.text();
        const expectAllowed = allowed === 'public' || allowed === 'any' || allowed.includes(role);
        const denied = reply.status === 403 && JSON.parse(body).code === 'admin.forbidden';
        const ok = expectAllowed ? ![401, 403].includes(reply.status) : denied;
        if (!ok) wrong.push(`${label(route)} as ${role}: expected ${expectAllowed ? 'allowed' : '403 admin.forbidden'}, got ${reply.status} ${body.slice(0, 120)}`);
      }
    }
    assert.deepEqual(wrong, []);
  });

  test('docs/admin.md shows the permission table of src/admin/permissions.ts, role by role', () => {
    const doc = readFileSync(new URL('../../docs/admin.md', import.meta.url), 'utf8');
    const section = doc.slice(doc.indexOf('<!-- permission-table:start'), doc.indexOf('<!-- permission-table:end'));
    const rows = new Map(
      section
        .split('\n')
        .filter((line) => line.startsWith('| `'))
        .map((line) => {
          const cells = line.split('|').slice(1, -1).map((cell) => cell.trim());
          return [cells[0]!.replaceAll('`', ''), cells.slice(2)] as const;
        }),
    );
    assert.deepEqual([...rows.keys()], Object.keys(PERMISSIONS), 'docs/admin.md lists every permission, in table order');
    for (const [permission, marks] of rows) {
      const holders = BUILT_IN_ROLE_NAMES.filter((_, i) => marks[i] === '✓');
      const expected = BUILT_IN_ROLE_NAMES.filter((role) => (BUILT_IN_ROLES[role]!.permissions as readonly string[]).includes(permission));
      assert.deepEqual(holders, expected, `docs/admin.md: the roles holding ${permission}`);
    }
  });
});
