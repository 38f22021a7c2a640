/**
 * Where traffic goes in clear: listeners off loopback without TLS, plain http:// upstreams
 * outside loopback and private networks, the admin listener off loopback, proxies trusted for
 * every address. TLS below 1.2 cannot be configured (the schema offers TLSv1.2 and TLSv1.3 only),
 * so no rule is needed for it here: `config validate` refuses it (PF-CONFIG-001).
 */
import { lookup } from 'node:dns/promises';
import { isIP } from 'node:net';
import { parseCidr } from '../../../net/cidr.js';
import { addressClass } from '../../../outbound/index.js';
import { CHECKLIST, defineCheck, finding, OWASP, type Finding, type Severity } from '../check.js';

/** Where an address sits: this host, a private network, or anywhere (public, or every interface). */
export type Reach = 'loopback' | 'private' | 'public';

/** The reach of an IP literal or `localhost`; undefined for a name that DNS must answer. */
export function addressReach(host: string): Reach | undefined {
  const bare = host.replace(/^\[|\]$/g, '').toLowerCase().replace(/\.$/, '');
  if (bare === 'localhost' || bare.endsWith('.localhost')) return 'loopback';
  if (isIP(bare) === 0) return undefined;
  const kind = addressClass(bare);
  if (kind === 'loopback') return 'loopback';
  if (['private', 'uniqueLocal', 'linkLocal', 'carrierGradeNat'].includes(kind)) return 'private';
  // 0.0.0.0 and :: bind every interface, public ones included.
  return 'public';
}

export const networkCheck = defineCheck(
  'network',
  {
    plainListener: {
      id: 'PF-TLS-001',
      severity: 'high',
      title: 'A listener on a non-loopback address serving plain HTTP',
      why: `${OWASP.API8} (traffic and credentials in clear)`,
      fix: 'Give the listener a `tls` section, or set `plainHttp: redirect` (or `refuse`), or bind it to 127.0.0.1. On a private address the finding is medium.',
    },
    plainUpstream: {
      id: 'PF-TLS-002',
      severity: 'high',
      title: 'An upstream target over plain http:// outside loopback and private networks',
      why: OWASP.API10,
      fix: 'Use an https:// target (with `tls.caFiles` for a private CA). A host name that cannot be resolved offline is reported as medium.',
    },
    adminOffLoopback: {
      id: 'PF-ADMIN-001',
      severity: 'high',
      title: 'The admin listener on a non-loopback address without mutual TLS or an IP allowlist',
      why: `${OWASP.API5}; ${CHECKLIST.firewall}`,
      fix: 'Bind `admin.host` to 127.0.0.1, or give the admin listener `admin.tls` with `clientCertificates.mode: required`, or an `admin.allowlist` of the operators\' networks (docs/admin.md#admin-listener-tls-and-allowlist).',
    },
    trustAll: {
      id: 'PF-PROXY-001',
      severity: 'high',
      title: 'trustedProxies trusts every address (0.0.0.0/0 or ::/0)',
      why: `${OWASP.API8} (any client can choose its own IP through X-Forwarded-For, defeating IP rules, rate limits and brute-force blocks)`,
      fix: 'List only the addresses of the proxies in front of the gateway in `trustedProxies`.',
    },
  },
  async ({ config, offline }, rules) => {
    const findings: Finding[] = [];
    config.listeners.forEach((listener, index) => {
      if (listener.tls || listener.plainHttp !== 'serve') return;
      const reach = addressReach(listener.host) ?? 'public';
      if (reach === 'loopback') return;
      findings.push(finding(rules.plainListener, `listener ${listener.name} serves plain HTTP on ${listener.host}:${listener.port}${reach === 'private' ? ' (a private network address)' : ''}`, { path: `listeners[${index}]` }, reach === 'private' ? 'medium' : 'high'));
    });
    for (const [name, upstream] of Object.entries(config.upstreams)) {
      for (const [index, target] of upstream.targets.entries()) {
        const url = new URL(target);
        if (url.protocol !== 'http:') continue;
        const reach = addressReach(url.hostname) ?? (offline ? undefined : await resolvedReach(url.hostname));
        if (reach === 'loopback' || reach === 'private') continue;
        const severity: Severity = reach === undefined ? 'medium' : 'high';
        findings.push(finding(rules.plainUpstream, `upstream ${name} is reached over plain HTTP at ${url.origin}${reach === undefined ? ' (a host name not resolved: it may leave the private network)' : ''}`, { path: `upstreams.${name}.targets[${index}]`, url: url.origin }, severity));
      }
    }
    const admin = config.admin;
    if (admin.enabled && (addressReach(admin.host) ?? 'public') !== 'loopback') {
      // Off loopback, the admin listener answers only those it can tell apart: clients holding a
      // certificate of its CA, or addresses on its allowlist (checked before authentication).
      const mtls = admin.tls?.clientCertificates.mode === 'required';
      const allowlisted = admin.allowlist.length > 0;
      if (!admin.tls) findings.push(finding(rules.adminOffLoopback, `the admin listener binds ${admin.host}:${admin.port} in plain HTTP, without a client certificate or an allowlist`, { path: 'admin.host' }));
      else if (!mtls && !allowlisted) findings.push(finding(rules.adminOffLoopback, `the admin listener binds ${admin.host}:${admin.port} and answers any address: no required client certificate, no allowlist`, { path: 'admin.allowlist' }));
    }
    config.trustedProxies.forEach((entry, index) => {
      const cidr = parseCidr(entry);
      if (cidr?.prefix === 0) findings.push(finding(rules.trustAll, `trustedProxies[${index}] is ${entry}: every address is a trusted proxy`, { path: `trustedProxies[${index}]` }));
    });
    return findings;
  },
);

/** The reach of a host name's addresses: public if any is public; undefined when it does not resolve. */
async function resolvedReach(host: string): Promise<Reach | undefined> {
  try {
    const addresses = await lookup(host, { all: true });
    const reaches = addresses.map(({ address }) => addressReach(address) ?? 'public');
    return reaches.includes('public') ? 'public' : reaches.includes('private') ? 'private' : 'loopback';
  } catch {
    return undefined;
  }
}
