/**
 * Admin users for tests: created through the real service (invited, invitation accepted with a
 * password), and signed in through a stand-in for the session authenticator (admin-mfa's sessions
 * build their principal the same way, with AdminUserService.principalFor): `Bearer
 * test-session:<user id>` is that user's principal.
 */
import type { AdminPlane } from '../../src/admin/admin-plane.js';
import { bearerToken, type CredentialAuthenticator } from '../../src/admin/authenticate.js';
import type { AdminPrincipal } from '../../src/core/actor.js';
import type { AdminUser } from '../../src/store/admin-users.js';

export const TEST_PASSWORD = 'correct horse battery staple 42';
const PREFIX = 'test-session:';

/** The bootstrap token's principal, for calling the services directly. */
export const BOOTSTRAP: AdminPrincipal = Object.freeze({ kind: 'bootstrap-token', id: 'bootstrap', permissions: ['*'] });

export function testSessionAuthenticator(plane: AdminPlane): CredentialAuthenticator {
  return {
    name: 'test-session',
    async authenticate(req, { clientIp }) {
      const token = bearerToken(req);
      if (!token.startsWith(PREFIX)) return { kind: 'absent' };
      const user = await plane.users.users.findById(token.slice(PREFIX.length));
      if (!user || user.status !== 'active') return { kind: 'refused', reason: 'no such active user' };
      return { kind: 'ok', principal: await plane.users.principalFor(user, { credentialId: 'test-session', mfa: true, ip: clientIp }) };
    },
  };
}

export const sessionOf = (user: { id: string }) => `${PREFIX}${user.id}`;

/** An active admin user with `roles`, invited by `by` (default: the bootstrap token). */
export async function activeUser(plane: AdminPlane, name: string, roles: string[], by: AdminPrincipal = BOOTSTRAP): Promise<AdminUser> {
  const { user, invitation } = await plane.users.invite(by, { name, email: `${name}@example.test`, roles });
  await plane.users.acceptInvitation(invitation.code, TEST_PASSWORD);
  return plane.users.users.get(user.id);
}

export async function principalOf(plane: AdminPlane, user: AdminUser): Promise<AdminPrincipal> {
  return plane.users.principalFor(await plane.users.users.get(user.id), { credentialId: 'test-session' });
}
