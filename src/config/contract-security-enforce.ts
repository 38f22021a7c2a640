/**
 * Config errors for `validate.security: enforce` (issue 24 §4): every scheme an operation the route
 * serves can require must be one the route can check, or the config is refused, naming the route,
 * the operation and the scheme. Never a silent skip: a scheme the gateway ignored would let a
 * request through that the contract says needs a credential.
 * - `http` other than bearer (basic, digest…), unknown types, undefined schemes: unsupported;
 * - `apiKey` in a cookie: the gateway never reads keys from cookies; in a header or the query:
 *   auth-apikey must read that header (without an Authorization scheme) or that query parameter;
 * - `http bearer`: auth-jwt, or auth-apikey reading `Authorization: Bearer`;
 * - `oauth2`, `openIdConnect`: auth-jwt; `mutualTLS`: auth-mtls;
 * - scopes must be RFC 6749 §3.3 scope tokens (they are echoed in WWW-Authenticate);
 * - every authentication policy on the route runs with `required: false`: the contract, not the
 *   policy, decides which operations need a credential (`{}`, `security: []`, OR of alternatives).
 */
import type { ConfigIssue } from '../core/policy.js';
import { readContractDocument } from '../openapi/contract.js';
import type { ContractOperation, OpenApiDocument } from '../openapi/openapi-document.js';
import { operationSecurity, type SchemeRequirement } from '../openapi/security-requirements.js';
import { servedOperations } from './contract-security.js';

type Loose = Record<string, unknown>;
const isObject = (value: unknown): value is Loose => typeof value === 'object' && value !== null && !Array.isArray(value);

const AUTHENTICATION_POLICIES = ['auth-apikey', 'auth-jwt', 'auth-mtls'];
const SCOPE_TOKEN = /^[\x21\x23-\x5b\x5d-\x7e]+$/;

type Effective = (name: string) => Loose | undefined;

/** Why the route cannot check `scheme`, or undefined when it can. */
function schemeProblem(scheme: SchemeRequirement, policy: Effective): string | undefined {
  const definition = scheme.definition;
  if (!definition) return 'is not defined in components.securitySchemes';
  const apiKey = policy('auth-apikey');
  const sources = apiKey && Array.isArray(apiKey.sources) ? apiKey.sources.filter(isObject) : [];
  switch (scheme.type) {
    case 'apiKey': {
      const name = String(definition.name ?? '');
      if (definition.in === 'cookie') return `(apiKey in cookie ${name}) cannot be checked: the gateway does not read API keys from cookies`;
      if (!apiKey) return '(apiKey) needs the auth-apikey policy on this route';
      if (definition.in === 'query') return apiKey.queryParam === name ? undefined : `(apiKey in query ${name}) needs auth-apikey queryParam: ${name}`;
      const read = sources.some((source) => String(source.header).toLowerCase() === name.toLowerCase() && source.scheme === undefined);
      return read ? undefined : `(apiKey in header ${name}) needs auth-apikey to read header ${name} (sources: [{ header: ${name} }])`;
    }
    case 'http bearer': {
      if (policy('auth-jwt')) return undefined;
      const bearer = sources.some((source) => String(source.header).toLowerCase() === 'authorization' && typeof source.scheme === 'string' && source.scheme.toLowerCase() === 'bearer');
      return bearer ? undefined : '(http bearer) needs auth-jwt, or auth-apikey reading Authorization: Bearer, on this route';
    }
    case 'oauth2':
    case 'openIdConnect':
      return policy('auth-jwt') ? undefined : `(${scheme.type}) needs the auth-jwt policy on this route (its issuers stand for the scheme's)`;
    case 'mutualTLS':
      return policy('auth-mtls') ? undefined : '(mutualTLS) needs the auth-mtls policy on this route';
    default:
      return `(${scheme.type}) is a scheme the gateway cannot check: remove it from the operation's security, or do not enforce the contract's security here`;
  }
}

function operationIssues(document: OpenApiDocument, operation: ContractOperation, policy: Effective): string[] {
  const name = operation.operationId ?? `${operation.method} ${operation.path}`;
  const problems = new Set<string>();
  for (const alternative of operationSecurity(document, operation).alternatives) {
    for (const scheme of alternative) {
      const problem = schemeProblem(scheme, policy);
      if (problem) problems.add(`operation ${name} requires scheme ${scheme.scheme} ${problem}`);
      const bad = scheme.scopes.filter((scope) => !SCOPE_TOKEN.test(scope));
      if (bad.length > 0) problems.add(`operation ${name}: scheme ${scheme.scheme} lists ${bad.map((scope) => JSON.stringify(scope)).join(', ')}, not a scope (RFC 6749 §3.3 characters)`);
    }
  }
  return [...problems];
}

/**
 * The errors of every route (written or generated from contractRoutes, after expansion) whose
 * validate policy says `security: enforce`. Paths are `routes[i].policies…`, which the loader
 * maps back to the contractRoutes entry of a generated route.
 */
export function contractSecurityEnforcementIssues(config: Loose): ConfigIssue[] {
  const issues: ConfigIssue[] = [];
  const global = isObject(config.policies) ? config.policies : {};
  const routes = Array.isArray(config.routes) ? config.routes : [];
  routes.forEach((route, index) => {
    if (!isObject(route)) return;
    const own = isObject(route.policies) ? route.policies : {};
    const policy: Effective = (name) => {
      const entry = name in own ? own[name] : global[name];
      return isObject(entry) && entry.enabled !== false ? entry : undefined;
    };
    const validate = policy('validate');
    if (!validate || validate.security !== 'enforce' || typeof validate.contract !== 'string') return;
    const at = `routes[${index}].policies`;
    const label = `route ${String(route.name)}`;
    for (const name of AUTHENTICATION_POLICIES) {
      const entry = policy(name);
      if (entry && entry.required !== false) issues.push({ path: `${at}.validate.security`, message: `${name} must say required: false here (with security: enforce the contract decides which operations need a credential)` });
    }
    let document: OpenApiDocument;
    try {
      document = readContractDocument(validate.contract);
    } catch {
      return; // the validate policy's own check reports a contract that does not load
    }
    for (const operation of servedOperations(document, validate, route.methods)) {
      for (const message of operationIssues(document, operation, policy)) issues.push({ path: `${at}.validate.security`, message: `${label}: ${message}` });
    }
  });
  return issues;
}
