/**
 * The admin section's checks the schema cannot express (issue 18 §5): allowlist entries are
 * CIDRs, and an admin listener reachable from other hosts serves HTTPS whenever admin users can
 * sign in there (a store is configured): a `__Host-` session cookie is `Secure`, so browsers send
 * it back only over HTTPS (or to loopback), and passwords and session tokens must not cross a
 * network in clear.
 */
import type { ConfigIssue } from '../core/policy.js';
import { parseCidr } from '../net/cidr.js';
import { isLoopback } from '../net/client-ip.js';
import { checkKeyUrl } from '../jwt/key-url.js';

type Loose = Record<string, unknown>;
const isObject = (value: unknown): value is Loose => typeof value === 'object' && value !== null && !Array.isArray(value);

/** `localhost` and the loopback addresses: only this host reaches them. */
export function isLoopbackHost(host: string): boolean {
  return host === 'localhost' || isLoopback(host.replace(/^\[|\]$/g, ''));
}

export function checkAdminListener(config: Loose): ConfigIssue[] {
  const issues: ConfigIssue[] = [];
  const admin = isObject(config.admin) ? config.admin : {};
  if (Array.isArray(admin.allowlist)) {
    admin.allowlist.forEach((entry, index) => {
      if (typeof entry === 'string' && parseCidr(entry) === undefined) issues.push({ path: `admin.allowlist[${index}]`, message: `"${entry}" is not an IP address or CIDR (e.g. 10.0.0.0/8, 2001:db8::/32)` });
    });
  }
  const host = typeof admin.host === 'string' ? admin.host : '127.0.0.1';
  if (admin.enabled !== false && isObject(config.store) && admin.tls === undefined && !isLoopbackHost(host)) {
    issues.push({
      path: 'admin.tls',
      message: `is required: the admin listener binds ${host}, off loopback, and admin users sign in there (a store is configured); their session cookies and passwords need HTTPS (docs/admin.md#admin-listener-tls-and-allowlist)`,
    });
  }
  const sso = isObject(admin.sso) ? admin.sso : undefined;
  const oidc = sso && isObject(sso.oidc) ? sso.oidc : undefined;
  if (oidc) checkOidc(oidc, isObject(config.store), issues);
  return issues;
}

/** admin.sso.oidc: URLs the provider and browsers will use, and a mapping that lets someone in. */
function checkOidc(oidc: Loose, hasStore: boolean, issues: ConfigIssue[]): void {
  const at = 'admin.sso.oidc';
  if (!hasStore) issues.push({ path: 'store', message: 'is required by admin.sso (admin users and their sessions live in the store)' });
  if (typeof oidc.issuer === 'string') {
    const problem = checkKeyUrl(oidc.issuer);
    if (problem) issues.push({ path: `${at}.issuer`, message: problem });
    else if (/[?#]/.test(oidc.issuer)) issues.push({ path: `${at}.issuer`, message: 'must not have a query or fragment (OpenID Connect Discovery 1.0 §2)' });
  }
  if (typeof oidc.redirectUri === 'string') {
    const problem = checkKeyUrl(oidc.redirectUri);
    if (problem) issues.push({ path: `${at}.redirectUri`, message: problem });
    else if (new URL(oidc.redirectUri).hash !== '') issues.push({ path: `${at}.redirectUri`, message: 'must not have a fragment (RFC 6749 §3.1.2)' });
  }
  if (!isObject(oidc.roleMapping) || Object.keys(oidc.roleMapping).length === 0) {
    issues.push({ path: `${at}.roleMapping`, message: 'maps no group to a role: nobody could sign in (deny by default)' });
  }
}
