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
  return issues;
}
