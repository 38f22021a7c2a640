/**
 * Warnings for a contract whose security the configured authentication does not match (issue 24
 * §4): a route runs an authentication policy, but for an operation it serves none of the
 * contract's security alternatives is met by the route's policies and scopes. OpenAPI 3.1
 * §4.8.10 (Operation `security`), §4.8.30 (Security Requirement Object): the alternatives in the
 * list are OR, the schemes within one requirement are AND; an empty requirement `{}` makes the
 * credential optional; `security: []` on the operation overrides the document's and means none.
 *
 * How a scheme (§4.8.27, Security Scheme Object) is met by the gateway's policies:
 * - `apiKey` → auth-apikey;
 * - `http` with scheme `bearer` → auth-jwt or auth-apikey (the gateway's keys are also sent as
 *   `Authorization: Bearer`); any other `http` scheme (basic, digest…) → nothing the gateway checks;
 * - `oauth2`, `openIdConnect` → auth-jwt;
 * - `mutualTLS` → auth-mtls.
 * The requirement's scopes (roles for other types) must all be among the scopes the gateway
 * requires on that method: authorize `scopes` and `methods[METHOD]`, and auth-jwt `scopes`.
 */
import { resolvePointer, type ContractOperation, type OpenApiDocument } from '../openapi/openapi-document.js';

type Loose = Record<string, unknown>;
const isObject = (value: unknown): value is Loose => typeof value === 'object' && value !== null && !Array.isArray(value);
const strings = (value: unknown): string[] => (Array.isArray(value) ? value.filter((item): item is string => typeof item === 'string') : []);

/** The enabled policy configs in effect where the operation is served, by policy name. */
export type EffectivePolicies = (name: string) => Loose | undefined;

/** The policies that can meet a scheme, per the mapping above; empty: none can. */
function policiesFor(scheme: unknown): string[] {
  if (!isObject(scheme)) return [];
  switch (scheme.type) {
    case 'apiKey':
      return ['auth-apikey'];
    case 'http':
      return typeof scheme.scheme === 'string' && scheme.scheme.toLowerCase() === 'bearer' ? ['auth-jwt', 'auth-apikey'] : [];
    case 'oauth2':
    case 'openIdConnect':
      return ['auth-jwt'];
    case 'mutualTLS':
      return ['auth-mtls'];
    default:
      return [];
  }
}

/** The scopes the gateway requires of every request with `method` (authorize and auth-jwt). */
function requiredScopes(policies: EffectivePolicies, method: string): Set<string> {
  const authorize = policies('authorize');
  const byMethod = isObject(authorize?.methods) ? authorize.methods : {};
  return new Set([...strings(authorize?.scopes), ...strings(byMethod[method] ?? (method === 'HEAD' ? byMethod.GET : undefined)), ...strings(policies('auth-jwt')?.scopes)]);
}

/** What one requirement needs that the configuration does not give, as phrases; empty: met. */
function unmetParts(document: OpenApiDocument, requirement: Loose, policies: EffectivePolicies, method: string): string[] {
  const schemes = isObject(document.raw.components) && isObject(document.raw.components.securitySchemes) ? document.raw.components.securitySchemes : {};
  const scopes = requiredScopes(policies, method);
  const parts: string[] = [];
  for (const [name, wanted] of Object.entries(requirement)) {
    const scheme = schemes[name];
    const candidates = policiesFor(scheme);
    const type = isObject(scheme) ? `${String(scheme.type)}${scheme.type === 'http' ? ` ${String(scheme.scheme)}` : ''}` : 'undefined scheme';
    if (!candidates.some((policy) => policies(policy) !== undefined)) parts.push(`${name} (${type}) needs ${candidates.length === 0 ? 'a credential the gateway does not check' : candidates.join(' or ')}`);
    const missing = strings(wanted).filter((scope) => !scopes.has(scope));
    if (missing.length > 0) parts.push(`${name} needs scope${missing.length === 1 ? '' : 's'} ${missing.join(', ')}, which neither authorize nor auth-jwt requires on ${method}`);
  }
  return parts;
}

/**
 * Why the configured authentication does not match the operation's security, or undefined when
 * one alternative is met, the credential is optional, or the operation requires none.
 */
export function securityMismatch(document: OpenApiDocument, operation: ContractOperation, policies: EffectivePolicies): string | undefined {
  const own = resolvePointer(document.raw, operation.pointer);
  const security = isObject(own) && Array.isArray(own.security) ? own.security : document.raw.security;
  if (!Array.isArray(security) || security.length === 0) return undefined;
  if (security.some((requirement) => !isObject(requirement) || Object.keys(requirement).length === 0)) return undefined;
  const unmet = security.map((requirement) => unmetParts(document, requirement as Loose, policies, operation.method));
  if (unmet.some((parts) => parts.length === 0)) return undefined;
  const name = operation.operationId ?? `${operation.method} ${operation.path}`;
  const alternatives = unmet.map((parts) => parts.join('; ')).join(' | or | ');
  return `operation ${name}: the configured authentication meets none of the contract's security requirements (${alternatives})`;
}
