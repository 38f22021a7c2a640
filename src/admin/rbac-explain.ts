/**
 * `rbac explain`: would this admin user or token be allowed this call, and why (issue 18 §7). It
 * runs the same steps as the dispatcher (match the route table, the route's permission, the
 * subject's permissions from its roles or token) and says at each step what it found.
 */
import { routeRouter } from './route-router.js';
import { secretId, ADMIN_TOKEN_KIND } from './secret-codes.js';
import type { AdminPlane } from './admin-plane.js';
import { AUTHENTICATED, BUILT_IN_ROLES, isBuiltInRole, PUBLIC } from './permissions.js';
import type { AdminRoute } from './route.js';

export interface Explanation {
  decision: 'allow' | 'deny';
  subject: { kind: 'admin-user' | 'admin-token'; id: string; name: string; userId: string; status: string };
  route: { method: string; path: string; permission: string } | null;
  /** Each step the decision took, in order, in words. */
  reasons: string[];
}

export async function explain(plane: AdminPlane, routes: readonly AdminRoute[], as: string, method: string, path: string): Promise<Explanation | undefined> {
  const subject = await findSubject(plane, as);
  if (!subject) return undefined;
  const reasons: string[] = [];
  const router = routeRouter(routes);
  const match = router.match(method.toUpperCase(), '', path.split('?')[0]!);
  const deny = (reason: string, route: Explanation['route'] = null): Explanation => ({ decision: 'deny', subject: subject.view, route, reasons: [...reasons, reason] });
  if (match.kind !== 'found') return deny(match.kind === 'method_not_allowed' ? `${path} takes ${match.allow.join(', ')}, not ${method.toUpperCase()}` : `no admin route matches ${method.toUpperCase()} ${path}`);
  const route = { method: match.route.method, path: match.route.path, permission: match.route.permission };
  reasons.push(`${method.toUpperCase()} ${path} is the route ${route.method} ${route.path}, which needs ${route.permission}`);
  if (route.permission === PUBLIC) return { decision: 'allow', subject: subject.view, route, reasons: [...reasons, 'the route is public: no credential is needed'] };
  reasons.push(...subject.notes);
  if (subject.view.status !== 'active') return deny(`${subject.view.kind} ${subject.view.name} is ${subject.view.status}: it holds no permission`, route);
  if (match.route.sessionOnly && subject.view.kind !== 'admin-user') return deny('only an admin user’s login session may call it (it is about the caller’s own session or factors), not a token: 403 admin.forbidden', route);
  if (route.permission === AUTHENTICATED) return { decision: 'allow', subject: subject.view, route, reasons: [...reasons, match.route.sessionOnly ? 'any signed-in admin user may call it with their login session' : 'any authenticated caller may call it'] };
  if (!subject.permissions.includes(route.permission)) return deny(`${route.permission} is not among them: 403 admin.forbidden`, route);
  return { decision: 'allow', subject: subject.view, route, reasons: [...reasons, `${route.permission} is held${subject.grantedBy(route.permission)}`] };
}

interface Subject {
  view: Explanation['subject'];
  permissions: string[];
  notes: string[];
  grantedBy(permission: string): string;
}

/** `as`: a user id, name or email, or an admin token id (or the token itself, whose id is read without checking it). */
async function findSubject(plane: AdminPlane, as: string): Promise<Subject | undefined> {
  const tokenId = secretId(as, ADMIN_TOKEN_KIND) ?? as;
  const token = await plane.tokens.tokens.find(tokenId);
  if (token) {
    const user = await plane.users.users.findById(token.userId);
    const held = user ? await plane.users.permissionsOfUser(user) : [];
    const effective = token.permissions.filter((permission) => held.includes(permission));
    const expired = token.expiresAt <= Date.now();
    const status = token.status === 'revoked' ? 'revoked' : expired ? 'expired' : user?.status !== 'active' ? `acting for a user who is ${user?.status ?? 'deleted'}` : 'active';
    const dropped = token.permissions.filter((permission) => !held.includes(permission));
    return {
      view: { kind: 'admin-token', id: token.id, name: token.name, userId: token.userId, status },
      permissions: effective,
      notes: [
        `admin token ${token.id} (${token.name}) acts for user ${user?.name ?? token.userId} and holds ${token.permissions.join(', ') || 'nothing'}`,
        ...(dropped.length > 0 ? [`${dropped.join(', ')} no longer count: the user does not hold them now`] : []),
      ],
      grantedBy: () => ' by the token',
    };
  }
  const user = (await plane.users.users.findById(as)) ?? (await plane.users.users.findByLogin(as));
  if (!user) return undefined;
  const permissions = await plane.users.permissionsOfUser(user);
  const custom = await plane.resolver.roles.list();
  return {
    view: { kind: 'admin-user', id: user.id, name: user.name, userId: user.id, status: user.status },
    permissions,
    notes: [`user ${user.name} has the roles ${user.roles.join(', ')}`],
    grantedBy(permission) {
      const roles = user.roles.filter((role) => (isBuiltInRole(role) ? BUILT_IN_ROLES[role]!.permissions : (custom.find((c) => c.name === role)?.permissions ?? [])).includes(permission as never));
      return ` through the role${roles.length > 1 ? 's' : ''} ${roles.join(', ')}`;
    },
  };
}
