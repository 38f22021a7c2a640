/**
 * An operation's `security` read as the gateway enforces it (issue 24 §4, `validate.security:
 * enforce`). OpenAPI 3.0 §4.7.10 / 3.1 §4.8.10 (Operation `security`) and 3.1 §4.8.30 (Security
 * Requirement Object):
 * - the operation's own list, else the document's top-level one; an operation's `security: []`
 *   removes the top-level requirement (no credential needed);
 * - the list is OR of alternatives; within one requirement object every scheme is needed (AND);
 * - an empty requirement `{}` in the list makes the credential optional (anonymous allowed);
 * - a scheme's list holds the OAuth2/OIDC scopes it needs (role names for other types, 3.1).
 *
 * Which verified credential meets which scheme type (3.1 §4.8.27, Security Scheme Object):
 * `apiKey` → a gateway API key; `http` `bearer` → a JWT or a gateway API key (both are sent as
 * `Authorization: Bearer`); `oauth2`, `openIdConnect` → a JWT from a configured issuer;
 * `mutualTLS` → a verified client certificate. Anything else (`http basic`, `digest`…) is
 * unsupported: config validate refuses it, it is never skipped.
 */
import { resolvePointer, type ContractOperation, type OpenApiDocument } from './openapi-document.js';

type Loose = Record<string, unknown>;
const isObject = (value: unknown): value is Loose => typeof value === 'object' && value !== null && !Array.isArray(value);

/** The gateway's credential kinds (the same strings as core's PrincipalType). */
export type CredentialKind = 'api_key' | 'jwt' | 'client_certificate';

/** One scheme of one requirement: what credential meets it and which scopes it needs. */
export interface SchemeRequirement {
  /** The scheme's name in `components.securitySchemes`. */
  readonly scheme: string;
  /** `apiKey`, `http bearer`, `http basic`, `oauth2`, `openIdConnect`, `mutualTLS`, or `undefined` (no such scheme). */
  readonly type: string;
  /** The credentials that meet it; empty: none the gateway can check. */
  readonly accepts: readonly CredentialKind[];
  readonly scopes: readonly string[];
  /** The Security Scheme Object ($ref resolved), when the document defines it. */
  readonly definition: Loose | undefined;
}

/** An operation's security: alternatives (OR) of schemes (AND); `anonymous`: a request without credentials passes. */
export interface OperationSecurity {
  readonly anonymous: boolean;
  readonly alternatives: ReadonlyArray<readonly SchemeRequirement[]>;
}

const strings = (value: unknown): string[] => (Array.isArray(value) ? value.filter((item): item is string => typeof item === 'string') : []);

/** The Security Scheme Object named `name`, following one `$ref` (3.1 §4.8.7 Components). */
function schemeDefinition(document: OpenApiDocument, name: string): Loose | undefined {
  const components = isObject(document.raw.components) ? document.raw.components : {};
  const schemes = isObject(components.securitySchemes) ? components.securitySchemes : {};
  const scheme = Object.hasOwn(schemes, name) ? schemes[name] : undefined;
  const resolved = isObject(scheme) && typeof scheme.$ref === 'string' ? resolvePointer(document.raw, scheme.$ref) : scheme;
  return isObject(resolved) ? resolved : undefined;
}

/** The scheme's type as shown to people: `http` carries its scheme (`http bearer`). */
function typeOf(definition: Loose | undefined): string {
  if (!definition) return 'undefined';
  const type = String(definition.type);
  return type === 'http' ? `http ${String(definition.scheme).toLowerCase()}` : type;
}

/** The credentials that meet a scheme, per the mapping in the module comment. */
export function acceptedCredentials(definition: Loose | undefined): CredentialKind[] {
  switch (definition ? typeOf(definition) : 'undefined') {
    case 'apiKey':
      return ['api_key'];
    case 'http bearer':
      return ['jwt', 'api_key'];
    case 'oauth2':
    case 'openIdConnect':
      return ['jwt'];
    case 'mutualTLS':
      return ['client_certificate'];
    default:
      return [];
  }
}

/** The `security` list in effect for the operation: its own (even `[]`), else the document's, else none. */
function securityList(document: OpenApiDocument, operation: ContractOperation): unknown[] {
  const own = resolvePointer(document.raw, operation.pointer);
  if (isObject(own) && Array.isArray(own.security)) return own.security;
  return Array.isArray(document.raw.security) ? document.raw.security : [];
}

/** The operation's security as the gateway enforces it. */
export function operationSecurity(document: OpenApiDocument, operation: ContractOperation): OperationSecurity {
  const list = securityList(document, operation);
  // No requirement at all: nothing to present (3.1 §4.8.10: `[]` removes the top-level one).
  if (list.length === 0) return { anonymous: true, alternatives: [] };
  const alternatives: SchemeRequirement[][] = [];
  let anonymous = false;
  for (const requirement of list) {
    if (!isObject(requirement) || Object.keys(requirement).length === 0) {
      anonymous = true;
      continue;
    }
    alternatives.push(
      Object.entries(requirement).map(([scheme, scopes]) => {
        const definition = schemeDefinition(document, scheme);
        return { scheme, type: typeOf(definition), accepts: acceptedCredentials(definition), scopes: strings(scopes), definition };
      }),
    );
  }
  return { anonymous, alternatives };
}

/** A verified credential as the decision needs it (core's Principal has this shape). */
export interface VerifiedCredential {
  readonly type: CredentialKind;
  readonly scopes: readonly string[];
}

/**
 * Whether the verified credentials meet the operation's security.
 * - `met`: an alternative is met in full (or anonymous access is allowed);
 * - `insufficient_scope`: no alternative is met, but the credentials of at least one are there
 *   and only scopes are missing (RFC 6750 §3.1: 403); `alternative` is the first such;
 * - `unauthenticated`: no alternative has its credentials (RFC 6750 §3.1: 401).
 */
export type SecurityDecision =
  | { readonly outcome: 'met' }
  | { readonly outcome: 'insufficient_scope'; readonly alternative: readonly SchemeRequirement[]; readonly missing: readonly string[] }
  | { readonly outcome: 'unauthenticated' };

export function decideSecurity(security: OperationSecurity, credentials: readonly VerifiedCredential[]): SecurityDecision {
  if (security.anonymous) return { outcome: 'met' };
  let short: { alternative: readonly SchemeRequirement[]; missing: string[] } | undefined;
  for (const alternative of security.alternatives) {
    let present = true;
    const missing: string[] = [];
    for (const scheme of alternative) {
      const holders = credentials.filter((credential) => scheme.accepts.includes(credential.type));
      if (holders.length === 0) {
        present = false;
        break;
      }
      // One credential must hold all the scheme's scopes: scopes of two tokens never add up.
      const best = holders.map((holder) => scheme.scopes.filter((scope) => !holder.scopes.includes(scope))).sort((a, b) => a.length - b.length)[0]!;
      missing.push(...best);
    }
    if (!present) continue;
    if (missing.length === 0) return { outcome: 'met' };
    short ??= { alternative, missing: [...new Set(missing)] };
  }
  return short ? { outcome: 'insufficient_scope', ...short } : { outcome: 'unauthenticated' };
}
