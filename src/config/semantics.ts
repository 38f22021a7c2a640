/**
 * Checks the schema cannot express: references between sections, path templates, URLs, CIDRs and
 * each policy's own rules. Written defensively, so it can run on a config that also has schema
 * errors and every problem is reported in one pass.
 */
import { isIP } from 'node:net';
import type { ConfigIssue } from '../core/policy.js';
import { findPolicy } from '../policies/index.js';
import { compilePathTemplate, templateParams } from '../server/path-template.js';
import { checkKeyUrl } from '../jwt/key-source.js';
import { policyUsed } from './policy-usage.js';
import { suggest } from './suggest.js';

type Loose = Record<string, unknown>;
const isObject = (value: unknown): value is Loose => typeof value === 'object' && value !== null && !Array.isArray(value);

export function checkSemantics(config: Loose): ConfigIssue[] {
  const issues: ConfigIssue[] = [];
  const upstreams = isObject(config.upstreams) ? config.upstreams : {};
  checkListeners(config.listeners, issues);
  checkTrustedProxies(config.trustedProxies, issues);
  for (const [name, upstream] of Object.entries(upstreams)) if (isObject(upstream)) checkUpstream(`upstreams.${name}`, upstream, issues);
  checkPolicies('policies', config.policies, issues, Object.keys(upstreams));
  if (Array.isArray(config.routes)) checkRoutes(config.routes, Object.keys(upstreams), issues);
  checkKeySections(config, issues);
  checkRateLimitStore(config, issues);
  return issues;
}

/** A ratelimit policy with store: redis (globally or on a route) needs the redis section. */
function checkRateLimitStore(config: Loose, issues: ConfigIssue[]): void {
  if (config.redis !== undefined) return;
  const routes = Array.isArray(config.routes) ? config.routes : [];
  const places: Array<[string, unknown]> = [['policies', config.policies], ...routes.map((route, i): [string, unknown] => [`routes[${i}].policies`, isObject(route) ? route.policies : undefined])];
  for (const [path, policies] of places) {
    const policy = isObject(policies) ? policies.ratelimit : undefined;
    if (isObject(policy) && policy.enabled !== false && policy.store === 'redis') issues.push({ path: `${path}.ratelimit.store`, message: 'redis needs the redis section' });
  }
}

/** API keys need a store and a pepper; the admin API needs both too. */
function checkKeySections(config: Loose, issues: ConfigIssue[]): void {
  const store = isObject(config.store) ? config.store : undefined;
  const apiKeys = isObject(config.apiKeys) ? config.apiKeys : undefined;
  if (store) {
    const driver = store.driver ?? 'sqlite';
    if (driver === 'postgres' && store.url === undefined) issues.push({ path: 'store.url', message: 'is required for driver postgres' });
    if (driver === 'sqlite' && store.url !== undefined) issues.push({ path: 'store.url', message: 'does not apply to driver sqlite (use path)' });
  }
  const usesApiKeys = policyUsed(config, 'auth-apikey');
  const admin = isObject(config.admin) ? config.admin : {};
  const needers = [usesApiKeys ? 'the auth-apikey policy' : undefined, admin.token !== undefined ? 'the admin API (admin.token)' : undefined].filter(Boolean);
  if (needers.length > 0 && !store) issues.push({ path: 'store', message: `is required by ${needers.join(' and ')}` });
  if (needers.length > 0 && !apiKeys) issues.push({ path: 'apiKeys', message: `is required by ${needers.join(' and ')}` });
  checkOAuth(config, issues);
  if (apiKeys && typeof apiKeys.warnAgeDays === 'number' && typeof apiKeys.maxAgeDays === 'number' && apiKeys.warnAgeDays > apiKeys.maxAgeDays) {
    issues.push({ path: 'apiKeys.warnAgeDays', message: 'must not exceed maxAgeDays' });
  }
}

/** The authorization server keeps clients in the store and hashes their secrets with the pepper. */
function checkOAuth(config: Loose, issues: ConfigIssue[]): void {
  const oauth = isObject(config.oauth) ? config.oauth : undefined;
  if (oauth) {
    if (!isObject(config.store)) issues.push({ path: 'store', message: 'is required by oauth (clients live in the store)' });
    if (!isObject(config.apiKeys)) issues.push({ path: 'apiKeys', message: 'is required by oauth (apiKeys.pepper hashes client secrets)' });
    if (typeof oauth.issuer === 'string') {
      const problem = checkKeyUrl(oauth.issuer);
      if (problem) issues.push({ path: 'oauth.issuer', message: problem });
      else if (/[?#]/.test(oauth.issuer)) issues.push({ path: 'oauth.issuer', message: 'must not have a query or fragment (RFC 8414 §2)' });
    }
  }
  // An auth-jwt issuer marked builtin must be this server.
  const routes = Array.isArray(config.routes) ? config.routes : [];
  const places: Array<[string, unknown]> = [['policies', config.policies], ...routes.map((route, index): [string, unknown] => [`routes[${index}].policies`, isObject(route) ? route.policies : undefined])];
  for (const [path, policies] of places) {
    const jwt = isObject(policies) && isObject(policies['auth-jwt']) ? policies['auth-jwt'] : undefined;
    if (!jwt || !Array.isArray(jwt.issuers)) continue;
    jwt.issuers.forEach((issuer, index) => {
      if (!isObject(issuer) || issuer.builtin !== true) return;
      const at = `${path}.auth-jwt.issuers[${index}]`;
      if (!oauth) issues.push({ path: `${at}.builtin`, message: 'needs the oauth section (the built-in authorization server)' });
      else if (issuer.issuer !== oauth.issuer) issues.push({ path: `${at}.issuer`, message: `must be oauth.issuer (${String(oauth.issuer)}) for the built-in server` });
    });
  }
}

function checkListeners(listeners: unknown, issues: ConfigIssue[]): void {
  if (!Array.isArray(listeners)) return;
  listeners.forEach((listener, index) => {
    if (!isObject(listener)) return;
    const request = typeof listener.requestTimeoutMs === 'number' ? listener.requestTimeoutMs : 300000;
    const head = typeof listener.headersTimeoutMs === 'number' ? listener.headersTimeoutMs : 10000;
    // Node refuses a whole-request timeout that is not longer than the head timeout.
    if (request !== 0 && request <= head) issues.push({ path: `listeners[${index}].requestTimeoutMs`, message: `must be 0 or more than headersTimeoutMs (${head})` });
  });
  listeners.forEach((listener, index) => {
    if (isObject(listener) && isObject(listener.tls)) checkListenerTls(`listeners[${index}]`, listener, listener.tls, issues);
  });
  const names = new Map<string, number>();
  const bound = new Map<string, number>();
  listeners.forEach((listener, index) => {
    if (!isObject(listener)) return;
    if (typeof listener.name === 'string') {
      const first = names.get(listener.name);
      if (first !== undefined) issues.push({ path: `listeners[${index}].name`, message: `"${listener.name}" is already used by listeners[${first}]` });
      else names.set(listener.name, index);
    }
    if (typeof listener.port === 'number' && listener.port !== 0) {
      const key = `${String(listener.host ?? '0.0.0.0')}:${listener.port}`;
      const first = bound.get(key);
      if (first !== undefined) issues.push({ path: `listeners[${index}].port`, message: `${key} is already used by listeners[${first}]` });
      else bound.set(key, index);
    }
  });
}

/** A certificate and key from exactly one place each; client-certificate options only where they apply. */
function checkListenerTls(path: string, listener: Loose, tls: Loose, issues: ConfigIssue[]): void {
  for (const [file, secret] of [['certFile', 'cert'], ['keyFile', 'key']] as const) {
    if ((tls[file] === undefined) === (tls[secret] === undefined)) issues.push({ path: `${path}.tls.${file}`, message: `give either ${file} or ${secret} (a secret reference), exactly one` });
  }
  if (listener.plainHttp !== undefined && listener.plainHttp !== 'serve') issues.push({ path: `${path}.plainHttp`, message: 'applies to listeners without tls only' });
  const client = isObject(tls.clientCertificates) ? tls.clientCertificates : {};
  const mode = client.mode ?? 'off';
  if (mode !== 'off' && !(Array.isArray(client.caFiles) && client.caFiles.length > 0)) issues.push({ path: `${path}.tls.clientCertificates.caFiles`, message: `needs at least one CA file for mode ${String(mode)}` });
  if (mode === 'off' && client.crl !== undefined) issues.push({ path: `${path}.tls.clientCertificates.crl`, message: 'applies only when mode is optional or required' });
  const crl = isObject(client.crl) ? client.crl : {};
  if (Array.isArray(crl.urls)) {
    crl.urls.forEach((url, index) => {
      if (typeof url === 'string' && !/^https?:\/\/[^\s]+$/.test(url)) issues.push({ path: `${path}.tls.clientCertificates.crl.urls[${index}]`, message: 'must be an http:// or https:// URL' });
    });
  }
}

export function parseCidr(value: string): { address: string; prefix: number; family: 'ipv4' | 'ipv6' } | undefined {
  const [address, prefixText, extra] = value.split('/');
  const version = isIP(address ?? '');
  if (extra !== undefined || version === 0) return undefined;
  const max = version === 4 ? 32 : 128;
  const prefix = prefixText === undefined ? max : Number(prefixText);
  if (!Number.isInteger(prefix) || prefix < 0 || prefix > max || (prefixText !== undefined && !/^\d+$/.test(prefixText))) return undefined;
  return { address: address!, prefix, family: version === 4 ? 'ipv4' : 'ipv6' };
}

function checkTrustedProxies(proxies: unknown, issues: ConfigIssue[]): void {
  if (!Array.isArray(proxies)) return;
  proxies.forEach((entry, index) => {
    if (typeof entry === 'string' && parseCidr(entry) === undefined) {
      issues.push({ path: `trustedProxies[${index}]`, message: `"${entry}" is not an IP address or CIDR (e.g. 10.0.0.0/8, 2001:db8::/32)` });
    }
  });
}

function checkUpstream(path: string, upstream: Loose, issues: ConfigIssue[]): void {
  if (Array.isArray(upstream.targets)) {
    upstream.targets.forEach((target, index) => {
      if (typeof target !== 'string') return;
      const message = checkTargetUrl(target);
      if (message) issues.push({ path: `${path}.targets[${index}]`, message });
    });
  }
  const tls = upstream.tls;
  if (isObject(tls)) {
    if (Array.isArray(upstream.targets) && !upstream.targets.some((target) => typeof target === 'string' && target.startsWith('https://'))) {
      issues.push({ path: `${path}.tls`, message: 'applies to https:// targets only' });
    }
    if (tls.keyFile !== undefined && tls.key !== undefined) issues.push({ path: `${path}.tls.key`, message: 'give either keyFile or key, not both' });
    const hasKey = tls.keyFile !== undefined || tls.key !== undefined;
    if ((tls.certFile !== undefined) !== hasKey) issues.push({ path: `${path}.tls.certFile`, message: 'a client certificate needs both certFile and keyFile (or key)' });
  }
  const auth = upstream.auth;
  if (isObject(auth)) {
    const needs: Record<string, string[]> = { bearer: ['token'], basic: ['username', 'password'], header: ['header', 'value'] };
    const required = needs[String(auth.type)] ?? [];
    for (const field of required) if (auth[field] === undefined) issues.push({ path: `${path}.auth.${field}`, message: `is required for type ${String(auth.type)}` });
    for (const field of ['token', 'username', 'password', 'header', 'value']) {
      if (auth[field] !== undefined && !required.includes(field) && auth.type !== undefined) {
        issues.push({ path: `${path}.auth.${field}`, message: `does not apply to type ${String(auth.type)}` });
      }
    }
  }
}

function checkTargetUrl(target: string): string | undefined {
  let url: URL;
  try {
    url = new URL(target);
  } catch {
    return 'is not a URL (e.g. http://10.0.0.5:8080)';
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') return 'must be an http:// or https:// URL';
  // Credentials in a URL end up in logs and process listings; they belong in `auth` as references.
  if (url.username !== '' || url.password !== '') return 'must not contain credentials: use the upstream `auth` option with a secret reference';
  if (url.search !== '' || url.hash !== '') return 'must not contain a query or fragment';
  return undefined;
}

function checkPolicies(path: string, policies: unknown, issues: ConfigIssue[], upstreamNames: string[]): void {
  if (!isObject(policies)) return;
  for (const [name, config] of Object.entries(policies)) {
    const definition = findPolicy(name)?.definition;
    if (!definition || !isObject(config)) continue;
    try {
      for (const issue of definition.check?.(config as never) ?? []) issues.push({ path: `${path}.${name}.${issue.path}`, message: issue.message });
      for (const reference of definition.upstreamReferences?.(config as never) ?? []) {
        if (!upstreamNames.includes(reference.upstream)) {
          const hint = suggest(reference.upstream, upstreamNames);
          issues.push({ path: `${path}.${name}.${reference.path}`, message: `unknown upstream "${reference.upstream}"${hint ? ` (did you mean "${hint}"?)` : ''}` });
        }
      }
    } catch {
      // The config has schema errors that are reported already; the checks need a valid shape.
    }
  }
}

function checkRoutes(routes: unknown[], upstreamNames: string[], issues: ConfigIssue[]): void {
  const names = new Map<string, number>();
  const signatures = new Map<string, number>();
  routes.forEach((route, index) => {
    if (!isObject(route)) return;
    const at = `routes[${index}]`;
    if (typeof route.name === 'string') {
      const first = names.get(route.name);
      if (first !== undefined) issues.push({ path: `${at}.name`, message: `"${route.name}" is already used by routes[${first}]` });
      else names.set(route.name, index);
    }
    if (typeof route.upstream === 'string' && !upstreamNames.includes(route.upstream)) {
      const hint = suggest(route.upstream, upstreamNames);
      issues.push({ path: `${at}.upstream`, message: `unknown upstream "${route.upstream}"${hint ? ` (did you mean "${hint}"?)` : ''}` });
    }
    checkPolicies(`${at}.policies`, route.policies, issues, upstreamNames);
    if (typeof route.path !== 'string') return;
    const template = compilePathTemplate(route.path);
    if (!template.ok) {
      issues.push({ path: `${at}.path`, message: template.message });
      return;
    }
    const params = templateParams(template.segments);
    if (route.rewrite !== undefined && route.stripPrefix !== undefined) {
      issues.push({ path: `${at}.rewrite`, message: 'use either rewrite or stripPrefix, not both' });
    }
    if (typeof route.rewrite === 'string') {
      const rewrite = compilePathTemplate(route.rewrite);
      if (!rewrite.ok) issues.push({ path: `${at}.rewrite`, message: rewrite.message });
      else {
        for (const name of templateParams(rewrite.segments)) {
          if (!params.includes(name)) issues.push({ path: `${at}.rewrite`, message: `parameter "${name === '*' ? '*' : `:${name}`}" is not in the route path` });
        }
      }
    }
    if (typeof route.stripPrefix === 'string') {
      // Whole static segments only: cutting by length through a parameter would let the client
      // choose the upstream path (`/t/:tenant/*` minus `/t/:tenant` is not a fixed cut).
      const prefix = route.stripPrefix.replace(/\/+$/, '').split('/').slice(1);
      const fits = prefix.length <= template.segments.length && prefix.every((part, i) => template.segments[i]!.kind === 'static' && (template.segments[i] as { value: string }).value === part);
      if (!fits) issues.push({ path: `${at}.stripPrefix`, message: `"${route.stripPrefix}" must be whole static segments at the start of the route path` });
    }
    if (Array.isArray(route.methods)) {
      const shape = template.segments.map((s) => (s.kind === 'static' ? s.value : s.kind === 'param' ? ':' : '*')).join('/');
      for (const method of route.methods) {
        const signature = `${String(route.host ?? '')} ${String(method)} ${shape}`;
        const first = signatures.get(signature);
        if (first !== undefined) issues.push({ path: `${at}.path`, message: `${String(method)} ${route.path} is already served by routes[${first}]` });
        else signatures.set(signature, index);
      }
    }
  });
}
