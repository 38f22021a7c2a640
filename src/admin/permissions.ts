/**
 * The admin API's permissions and the built-in roles: the one table every admin route, role and
 * token is checked against (docs/admin.md#permissions keeps the same table; a test keeps them in
 * step). Deny by default: a principal holds exactly the permissions its roles (or its token) list.
 *
 * Grammar: `resource:action`, both lower-case words joined by `-` (`keys:revoke`,
 * `credentials:reveal`, `audit:read`). A permission string not in PERMISSIONS is refused wherever a
 * caller names one (a custom role, a token), so a typo never silently grants nothing or something.
 */

/** What a permission lets its holder do; `reads` marks what only shows metadata. */
interface PermissionEntry {
  readonly description: string;
  /** Reads metadata only: never a secret value, never a change. The viewer role holds these. */
  readonly metadata?: true;
}

export const PERMISSION_PATTERN = /^[a-z]+(?:-[a-z]+)*:[a-z]+(?:-[a-z]+)*$/;

/**
 * Every permission, with what it allows. A helper adding an admin route whose permission is not
 * here adds it here (and to the role matrix in test/admin-rbac-matrix.test.ts).
 */
export const PERMISSIONS = {
  'consumers:read': { description: 'list and show consumers', metadata: true },
  'consumers:write': { description: 'create, edit, disable and enable consumers' },
  'keys:read': { description: 'list and show API keys (never the keys themselves)', metadata: true },
  'keys:write': { description: 'issue and rotate API keys' },
  'keys:revoke': { description: 'revoke API keys' },
  'oauth-clients:read': { description: 'list and show OAuth clients (never their secrets)', metadata: true },
  'oauth-clients:write': { description: 'register OAuth clients and rotate their secrets' },
  'oauth-clients:revoke': { description: 'revoke OAuth clients' },
  'signing-keys:read': { description: 'list the authorization server\'s signing keys (public parts)', metadata: true },
  'signing-keys:write': { description: 'rotate the authorization server\'s signing key' },
  'rate-limit-overrides:read': { description: 'list rate-limit overrides', metadata: true },
  'rate-limit-overrides:write': { description: 'set and delete rate-limit overrides' },
  'openapi:read': { description: 'read the admin API\'s OpenAPI description', metadata: true },
  'audit:read': { description: 'read the audit trail' },
  'audit:export': { description: 'export the audit trail (step-up)' },
  'audit:settings': { description: 'change where and how the audit trail is kept and sent' },
  'secrets:read': { description: 'list secrets of the vault (names and versions, never values)', metadata: true },
  'secrets:write': { description: 'create, rotate and delete secrets of the vault' },
  'credentials:read': { description: 'list upstream credentials (never their values)', metadata: true },
  'credentials:write': { description: 'create, change and delete upstream credentials' },
  'credentials:reveal': { description: 'reveal the value of a secret or credential (step-up)' },
  'fields:read': { description: 'read field usage and field policies', metadata: true },
  'inventory:read': { description: 'read the API inventory: routes, contracts, lifecycle, traffic per route and consumer', metadata: true },
  'certificates:read': { description: 'list the certificates the private CA issued, its CRL state, and the expiries of every certificate the gateway holds', metadata: true },
  'certificates:write': { description: 'issue partner client certificates from a CSR with the private CA (when the gateway holds its key; step-up)' },
  'certificates:revoke': { description: 'revoke certificates the private CA issued (when the gateway holds its key; step-up)' },
  'assessments:read': { description: 'read the results of continuous assessment of the upstreams (grades and findings)', metadata: true },
  'alerts:read': { description: 'list the alerts firing and pending, and the silences', metadata: true },
  'alerts:silence': { description: 'silence alerts and end silences' },
  'alerts:test': { description: 'send a test alert to a sink' },
  'users:read': { description: 'list and show admin users' },
  'users:write': { description: 'invite, disable, delete admin users, set their roles, reset their passwords' },
  'roles:read': { description: 'list roles and their permissions', metadata: true },
  'roles:write': { description: 'create, change and delete custom roles' },
  'admin-tokens:read': { description: 'list admin tokens (never the tokens themselves)' },
  'admin-tokens:write': { description: 'create, rotate and revoke one\'s own admin tokens (step-up)' },
  'admin-tokens:revoke': { description: 'revoke anyone\'s admin token' },
  'sessions:read': { description: 'list admin users\' sessions' },
  'sessions:revoke': { description: 'revoke admin users\' sessions' },
  'mfa:settings': { description: 'change the MFA policy' },
  'mfa:reset': { description: 'reset another admin user\'s second factors (step-up, a second admin)' },
} as const satisfies Record<string, PermissionEntry>;

export type Permission = keyof typeof PERMISSIONS;

export const ALL_PERMISSION_NAMES: readonly Permission[] = Object.freeze(Object.keys(PERMISSIONS) as Permission[]);

export function isPermission(value: string): value is Permission {
  return Object.hasOwn(PERMISSIONS, value);
}

const has = (name: Permission, part: string) => name.startsWith(`${part}:`);
const metadataReads = ALL_PERMISSION_NAMES.filter((name) => (PERMISSIONS[name] as PermissionEntry).metadata === true);
const everyRead = ALL_PERMISSION_NAMES.filter((name) => name.endsWith(':read'));
const identity = (name: Permission) => ['users', 'roles', 'mfa', 'sessions'].some((part) => has(name, part));

/**
 * The built-in roles (issue 18 §2). Computed from the table, so a permission added above lands in
 * the roles it belongs to by its name (and `owner` always holds everything).
 */
export const BUILT_IN_ROLES: Readonly<Record<string, { readonly description: string; readonly permissions: readonly Permission[] }>> = Object.freeze({
  owner: { description: 'everything; at least one active owner must remain', permissions: ALL_PERMISSION_NAMES },
  admin: {
    description: 'everything but users, roles, MFA policy and audit settings (it may read the roles)',
    permissions: ALL_PERMISSION_NAMES.filter((name) => (!identity(name) || name === 'roles:read') && name !== 'audit:settings'),
  },
  operator: {
    description: 'consumers, API keys, rate-limit overrides, OAuth clients; reads metadata; no secret values, no users',
    permissions: unique([
      ...ALL_PERMISSION_NAMES.filter((name) => ['consumers', 'keys', 'rate-limit-overrides', 'oauth-clients', 'admin-tokens', 'alerts'].some((part) => has(name, part)) && name !== 'admin-tokens:revoke'),
      ...metadataReads,
    ]),
  },
  security: {
    description: 'users, roles, MFA policy, sessions, revocations, audit trail and its export; reads metadata',
    permissions: unique([
      ...ALL_PERMISSION_NAMES.filter((name) => identity(name) || has(name, 'admin-tokens') || name.endsWith(':revoke')),
      'audit:read',
      'audit:export',
      ...metadataReads,
    ]),
  },
  auditor: { description: 'reads everything, the audit trail included; never a secret value', permissions: unique([...everyRead, 'audit:export']) },
  viewer: { description: 'reads metadata only', permissions: metadataReads },
});

export const BUILT_IN_ROLE_NAMES = Object.freeze(Object.keys(BUILT_IN_ROLES));

export function isBuiltInRole(name: string): boolean {
  return Object.hasOwn(BUILT_IN_ROLES, name);
}

/** A route's `permission` for a route any authenticated principal may call (whoami, one's own password). */
export const AUTHENTICATED = 'authenticated';
/** A route's `permission` for a route called without a credential (accepting an invitation, signing in). */
export const PUBLIC = 'public';

/** The permission that grants every other one: held by the bootstrap token only, never by a role. */
export const ALL_PERMISSIONS = '*';

/** Whether `held` (a principal's permissions) includes `permission`. */
export function holds(held: readonly string[], permission: string): boolean {
  return held.includes(ALL_PERMISSIONS) || held.includes(permission);
}

/** The permissions of `wanted` that `held` does not include (empty: `held` may grant all of them). */
export function missingPermissions(held: readonly string[], wanted: readonly string[]): string[] {
  return wanted.filter((permission) => !holds(held, permission));
}

/** The strings of `candidates` that are no permission of the table. */
export function unknownPermissions(candidates: readonly string[]): string[] {
  return candidates.filter((candidate) => !isPermission(candidate));
}

function unique(names: readonly Permission[]): readonly Permission[] {
  const set = new Set(names);
  // Table order, so every role lists its permissions the same way.
  return ALL_PERMISSION_NAMES.filter((name) => set.has(name));
}
