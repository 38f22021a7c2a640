/**
 * What the config declares as outbound destinations (docs/outbound.md, "What is declared"): the
 * egress rules are derived from the config so that a config that names its upstreams, issuers and
 * CRLs keeps working with egress control on, and only what it does not name is refused. Also the
 * checks of the egress options the schema cannot express.
 */
import type { ConfigIssue } from '../core/policy.js';
import { parseCidr } from '../net/cidr.js';
import { defaultPort, destinationOfUrl, localClassesOf, type EgressDestination, type EgressPolicyInput } from '../outbound/index.js';
import type { GatewayConfig } from './schema.js';

type Loose = Record<string, unknown>;
const isObject = (value: unknown): value is Loose => typeof value === 'object' && value !== null && !Array.isArray(value);
const isHttpUrl = (value: unknown): value is string => typeof value === 'string' && /^https?:\/\//i.test(value);

/** An http:// URL to a host that is not local (an IP literal in a blocked range, or localhost). */
function isRemoteHttp(value: string): boolean {
  try {
    const url = new URL(value);
    return url.protocol === 'http:' && localClassesOf(url.hostname).length === 0;
  } catch {
    return false;
  }
}

/** Every `policies` object of the config: global, each route's, each contract route set's. */
function policySets(config: Loose): Array<[string, unknown]> {
  const sets: Array<[string, unknown]> = [['policies', config.policies]];
  for (const key of ['routes', 'contractRoutes']) {
    const list = config[key];
    if (Array.isArray(list)) list.forEach((route, i) => sets.push([`${key}[${i}].policies`, isObject(route) ? route.policies : undefined]));
  }
  return sets;
}

/** Every http(s) URL string anywhere under `value`, with its path (an upstream's credential token endpoint, say). */
function urlsUnder(value: unknown, path: string, out: Array<[string, string]>): Array<[string, string]> {
  if (isHttpUrl(value)) out.push([path, value]);
  else if (Array.isArray(value)) value.forEach((item, i) => urlsUnder(item, `${path}[${i}]`, out));
  else if (isObject(value)) for (const [key, child] of Object.entries(value)) urlsUnder(child, `${path}.${key}`, out);
  return out;
}

/** The egress rules of `config`: its mode and every destination it declares, explicitly or by naming it. */
export function egressPolicyOf(config: GatewayConfig): EgressPolicyInput {
  const raw = config as unknown as Loose;
  const destinations: EgressDestination[] = [];
  const add = (destination: EgressDestination | undefined) => destination && destinations.push(destination);

  for (const [name, upstream] of Object.entries(config.upstreams)) {
    const egress = upstream.egress;
    const cidrs = egress?.allowAddresses ?? [];
    // The targets, and any other URL of the upstream's section (a credential's token endpoint).
    for (const [path, url] of urlsUnder(upstream, `upstreams.${name}`, [])) {
      if (path.endsWith('.egress') || path.includes('.egress.') || path.includes('.errors.')) continue;
      // HTTPS unless the upstream allows http, or the URL is local (its host an IP literal in a blocked range, or localhost).
      const schemes: Array<'http:' | 'https:'> = isRemoteHttp(url) && egress?.allowHttp !== true ? ['https:'] : [new URL(url).protocol as 'http:' | 'https:'];
      add(destinationOfUrl(url, path, { schemes, cidrs }));
    }
  }
  // Token issuers: their discovery document and JWKS (auth-jwt checks their scheme: https, http only on loopback).
  for (const [path, policies] of policySets(raw)) {
    const jwt = isObject(policies) ? policies['auth-jwt'] : undefined;
    const issuers = isObject(jwt) && Array.isArray(jwt.issuers) ? jwt.issuers : [];
    issuers.forEach((issuer, i) => {
      if (!isObject(issuer)) return;
      for (const field of ['discoveryUrl', 'jwksUrl']) if (isHttpUrl(issuer[field])) add(destinationOfUrl(issuer[field], `${path}.auth-jwt.issuers[${i}].${field}`));
    });
  }
  // Admin single sign-on: the provider's discovery document, keys and token endpoint (admin/sso/).
  const oidc = config.admin.sso?.oidc;
  if (oidc) add(destinationOfUrl(oidc.issuer, 'admin.sso.oidc.issuer'));
  // CRLs of client certificates: http is usual and fine (a CRL is signed, RFC 5280 §5).
  config.listeners.forEach((listener, i) => {
    (listener.tls?.clientCertificates.crl?.urls ?? []).forEach((url, j) => add(destinationOfUrl(url, `listeners[${i}].tls.clientCertificates.crl.urls[${j}]`)));
  });
  // Audit sinks (docs/audit.md#streaming-to-sinks): a webhook's URL; a syslog collector over TLS
  // (RFC 5425), whose connector speaks https: to the hook.
  (config.audit?.sinks ?? []).forEach((sink, i) => {
    if (sink.type === 'webhook' && sink.url) add(destinationOfUrl(sink.url, `audit.sinks[${i}].url`));
    if (sink.type === 'syslog' && sink.host) destinations.push({ host: sink.host, ports: [sink.port ?? 6514], schemes: ['https:'], classes: localClassesOf(sink.host), source: `audit.sinks[${i}]` });
  });
  // The OTLP endpoint spans are exported to (docs/observability.md#traces).
  if (config.tracing) add(destinationOfUrl(config.tracing.otlp.endpoint, 'tracing.otlp.endpoint'));
  // Alert sinks (docs/alerts.md#sinks): a webhook's URL.
  for (const [name, sink] of Object.entries(config.alerts?.sinks ?? {})) {
    if (typeof sink.url === 'string') add(destinationOfUrl(sink.url, `alerts.sinks.${name}.url`));
  }
  // Explicit destinations.
  (config.egress?.allow ?? []).forEach((entry, i) => {
    const schemes = entry.schemes.map((scheme) => `${scheme}:` as 'http:' | 'https:');
    destinations.push({
      host: entry.host,
      schemes,
      ports: entry.ports ?? schemes.map(defaultPort),
      classes: localClassesOf(entry.host),
      cidrs: entry.addresses,
      source: `egress.allow[${i}]`,
    });
  });
  return { mode: config.egress?.mode ?? 'enforce', destinations };
}

/** Egress checks the schema cannot express; runs on a config that may also have schema errors. */
export function checkEgress(config: Loose, issues: ConfigIssue[]): void {
  const egress = isObject(config.egress) ? config.egress : {};
  const enforce = egress.mode !== 'report';
  const allow = Array.isArray(egress.allow) ? egress.allow : [];
  allow.forEach((entry, i) => checkCidrs(isObject(entry) ? entry.addresses : undefined, `egress.allow[${i}].addresses`, issues));
  const upstreams = isObject(config.upstreams) ? config.upstreams : {};
  for (const [name, upstream] of Object.entries(upstreams)) {
    if (!isObject(upstream)) continue;
    const own = isObject(upstream.egress) ? upstream.egress : {};
    checkCidrs(own.allowAddresses, `upstreams.${name}.egress.allowAddresses`, issues);
    if (!enforce || own.allowHttp === true) continue;
    const targets = Array.isArray(upstream.targets) ? upstream.targets : [];
    targets.forEach((target, i) => {
      if (typeof target === 'string' && isRemoteHttp(target)) {
        issues.push({ path: `upstreams.${name}.targets[${i}]`, message: 'is plain http:// to a host that is not local: use https://, or allow it with upstreams.<name>.egress.allowHttp: true (docs/outbound.md)' });
      }
    });
  }
}

function checkCidrs(value: unknown, path: string, issues: ConfigIssue[]): void {
  if (!Array.isArray(value)) return;
  value.forEach((cidr, i) => {
    if (typeof cidr !== 'string' || !parseCidr(cidr)) issues.push({ path: `${path}[${i}]`, message: 'is not an IP address or CIDR range' });
  });
}
