/**
 * What a verified ID token says about the person signing in, read against `admin.sso.oidc`: who
 * they are at the provider (issuer + `sub`, OpenID Connect Core §2: the only stable pair; an
 * email can be reassigned), their email and admin name, the roles their groups map to (deny by
 * default: none mapped, none given), and whether the provider asserts a second factor (`amr`,
 * RFC 8176, or `acr`) that the config accepts.
 */
import type { JWTPayload } from 'jose';
import type { AdminOidcConfig } from '../../config/admin-sso-schema.js';

export interface SsoIdentity {
  readonly issuer: string;
  readonly subject: string;
  readonly email: string;
  /** The admin user name to provision under: preferred_username when it fits, else the email's local part. */
  readonly name: string;
  readonly groups: readonly string[];
  /** The union of the mapped roles of the user's groups, sorted; empty: refused. */
  readonly roles: readonly string[];
  /** The ID token asserts a second factor the config accepts (requireMfaClaim). */
  readonly providerMfa: boolean;
}

/** Why an identity is refused before any account is looked at (the detail a client sees). */
export type IdentityRefusal = { readonly code: 'admin.sso_refused' | 'admin.sso_no_role'; readonly detail: string; readonly reason: string };

const NAME = /^[a-z0-9][a-z0-9._-]{1,63}$/;
const EMAIL = /^[^@\s]+@([^@\s]+\.[^@\s]+)$/;

export function readIdentity(claims: JWTPayload, config: AdminOidcConfig): SsoIdentity | IdentityRefusal {
  const subject = claims.sub;
  const email = typeof claims.email === 'string' ? claims.email.toLowerCase() : undefined;
  const domain = email === undefined ? undefined : EMAIL.exec(email)?.[1];
  if (typeof subject !== 'string' || subject === '') return { code: 'admin.sso_refused', detail: 'The provider gave no subject.', reason: 'no sub claim' };
  if (email === undefined || domain === undefined) return { code: 'admin.sso_refused', detail: 'The provider gave no email address: ask for the email scope.', reason: 'no email claim' };
  // An email the provider has not verified names nobody (Core §5.1).
  if (claims.email_verified === false) return { code: 'admin.sso_refused', detail: 'The provider has not verified this email address.', reason: 'email_verified is false' };
  if (config.allowedDomains && !config.allowedDomains.includes(domain)) return { code: 'admin.sso_refused', detail: 'Users of this email domain may not sign in here.', reason: `email domain ${domain} not in allowedDomains` };
  const groups = groupsOf(claims[config.groupsClaim]);
  const roles = [...new Set(groups.flatMap((group) => config.roleMapping[group] ?? []))].sort();
  if (roles.length === 0) return { code: 'admin.sso_no_role', detail: 'None of your groups at the identity provider maps to an admin role here (admin.sso.oidc.roleMapping).', reason: `no mapped group among ${groups.length} group(s)` };
  return { issuer: String(claims.iss), subject, email, name: adminName(claims.preferred_username, email), groups, roles, providerMfa: assertsMfa(claims, config.requireMfaClaim) };
}

export function isRefusal(value: SsoIdentity | IdentityRefusal): value is IdentityRefusal {
  return 'code' in value;
}

/** The groups claim as a list: an array of strings, or one string; anything else is no groups. */
function groupsOf(value: unknown): string[] {
  if (typeof value === 'string') return [value];
  return Array.isArray(value) ? value.filter((group): group is string => typeof group === 'string') : [];
}

/** `amr` (RFC 8176 §1: an array of strings) holds an accepted value, or `acr` is an accepted one. */
export function assertsMfa(claims: JWTPayload, accepted: { readonly amr: readonly string[]; readonly acr: readonly string[] }): boolean {
  const amr = Array.isArray(claims.amr) ? claims.amr.filter((value): value is string => typeof value === 'string') : [];
  return amr.some((value) => accepted.amr.includes(value)) || (typeof claims.acr === 'string' && accepted.acr.includes(claims.acr));
}

function adminName(preferred: unknown, email: string): string {
  if (typeof preferred === 'string' && NAME.test(preferred.toLowerCase())) return preferred.toLowerCase();
  const local = email.split('@')[0]!.replace(/[^a-z0-9._-]/g, '-').replace(/^[^a-z0-9]+/, '').slice(0, 64);
  return NAME.test(local) ? local : `sso-${local || 'user'}`.slice(0, 64);
}
