/**
 * Warnings, not errors: a contract that requires security where the gateway checks none (issue #12
 * §3). OpenAPI's `security` (OpenAPI 3.1 §4.8.10, §4.8.30) says which operations need a
 * credential; the gateway does not enforce it by itself (which scheme maps to which policy is a
 * deployment choice), so a route that validates against such an operation but has no
 * authentication policy (auth-apikey, auth-jwt, auth-mtls) is named, once per route or per
 * `contractRoutes` entry. The upstream may well check credentials itself: hence a warning.
 * Where authentication runs, each operation whose security requirements none is met by the
 * configured policies and scopes is named (contract-security-mismatch.ts).
 */
import type { ConfigIssue } from '../core/policy.js';
import { securityMismatch } from './contract-security-mismatch.js';
import { loadContract } from '../openapi/contract.js';
import { resolvePointer, type ContractOperation, type OpenApiDocument } from '../openapi/openapi-document.js';

type Loose = Record<string, unknown>;
const isObject = (value: unknown): value is Loose => typeof value === 'object' && value !== null && !Array.isArray(value);

/** The policies that authenticate a request (phase `authenticate`). */
const AUTHENTICATION_POLICIES = ['auth-apikey', 'auth-jwt', 'auth-mtls'];
const SHOWN = 3;

function enabled(policies: unknown, name: string): Loose | undefined {
  const config = isObject(policies) ? policies[name] : undefined;
  return isObject(config) && config.enabled !== false ? config : undefined;
}

/**
 * The security schemes an operation requires, or undefined when it requires none: its own
 * `security`, else the document's; a list that contains `{}` makes a credential optional.
 */
export function requiredSchemes(document: OpenApiDocument, operation: ContractOperation): string[] | undefined {
  const own = resolvePointer(document.raw, operation.pointer);
  const security = isObject(own) && Array.isArray(own.security) ? own.security : document.raw.security;
  if (!Array.isArray(security) || security.length === 0) return undefined;
  if (security.some((requirement) => !isObject(requirement) || Object.keys(requirement).length === 0)) return undefined;
  return [...new Set(security.flatMap((requirement) => Object.keys(requirement as Loose)))];
}

function describe(operation: ContractOperation): string {
  return operation.operationId ?? `${operation.method} ${operation.path}`;
}

/** The operations of `document` a validate config covers. */
export function servedOperations(document: OpenApiDocument, validate: Loose, methods: unknown): ContractOperation[] {
  return typeof validate.operationId === 'string'
    ? document.operations.filter((op) => op.operationId === validate.operationId)
    : typeof validate.operation === 'string'
      ? document.operations.filter((op) => `${op.method} ${op.path}` === validate.operation)
      : document.operations.filter((op) => !Array.isArray(methods) || methods.includes(op.method) || (op.method === 'GET' && methods.includes('HEAD')));
}

/** The operations of `document` a validate config covers that require security. */
function securedOperations(document: OpenApiDocument, validate: Loose, methods: unknown): Array<{ operation: ContractOperation; schemes: string[] }> {
  return servedOperations(document, validate, methods).flatMap((operation) => {
    const schemes = requiredSchemes(document, operation);
    return schemes ? [{ operation, schemes }] : [];
  });
}

function message(secured: ReadonlyArray<{ operation: ContractOperation; schemes: string[] }>): string {
  const names = secured.slice(0, SHOWN).map(({ operation }) => describe(operation)).join(', ');
  const more = secured.length > SHOWN ? ` and ${secured.length - SHOWN} more` : '';
  const schemes = [...new Set(secured.flatMap(({ schemes }) => schemes))].slice(0, SHOWN).join(', ');
  const what = secured.length === 1 ? `operation ${names} requires` : `${secured.length} operations (${names}${more}) require`;
  return `the contract says ${what} security (${schemes}), but no authentication policy (${AUTHENTICATION_POLICIES.join(', ')}) runs here: anyone can call them through the gateway`;
}

function documentOf(contract: unknown, validate: Loose): OpenApiDocument | undefined {
  if (typeof contract !== 'string') return undefined;
  try {
    const responses = isObject(validate.responses) ? validate.responses.mode !== undefined && validate.responses.mode !== 'off' : false;
    // The validate policy's check has loaded it with the same options: a cache hit.
    return loadContract(contract, { strictBodies: validate.unknownBodyProperties !== 'allow', responses }).document;
  } catch {
    // Any failure to load (a ContractError or another exception) is reported as an error by the
    // validate policy's check or by contractRoutes; a warning has nothing to add.
    return undefined;
  }
}

/**
 * Call after file paths are resolved and before contractRoutes are expanded: written routes are
 * checked one by one, each contractRoutes entry once for all the routes it generates.
 */
export function contractSecurityWarnings(config: Loose): ConfigIssue[] {
  const warnings: ConfigIssue[] = [];
  const global = isObject(config.policies) ? config.policies : {};
  const effective = (policies: unknown) => (name: string) => enabled(isObject(policies) && name in policies ? policies : global, name);
  const authenticated = (policies: unknown) => AUTHENTICATION_POLICIES.some((name) => effective(policies)(name));
  const mismatches = (path: string, document: OpenApiDocument, operations: readonly ContractOperation[], policies: unknown) => {
    for (const operation of operations) {
      const mismatch = securityMismatch(document, operation, effective(policies));
      if (mismatch !== undefined) warnings.push({ path, message: mismatch });
    }
  };
  const routes = Array.isArray(config.routes) ? config.routes : [];
  routes.forEach((route, index) => {
    if (!isObject(route)) return;
    const validate = enabled(isObject(route.policies) && 'validate' in route.policies ? route.policies : global, 'validate');
    // With security: enforce the contract's security is applied, not compared: errors there instead.
    if (validate?.security === 'enforce') return;
    const document = validate && documentOf(validate.contract, validate);
    if (authenticated(route.policies)) {
      if (document) mismatches(`routes[${index}]`, document, servedOperations(document, validate, route.methods), route.policies);
      return;
    }
    const secured = document ? securedOperations(document, validate, route.methods) : [];
    if (secured.length > 0) warnings.push({ path: `routes[${index}]`, message: message(secured) });
  });
  const entries = Array.isArray(config.contractRoutes) ? config.contractRoutes : [];
  entries.forEach((entry, index) => {
    if (!isObject(entry)) return;
    const own = isObject(entry.policies) && isObject(entry.policies.validate) ? entry.policies.validate : {};
    if (own.enabled === false || own.security === 'enforce') return;
    const document = documentOf(entry.contract, own);
    if (authenticated(entry.policies)) {
      if (document) mismatches(`contractRoutes[${index}]`, document, servedOperations(document, {}, undefined), entry.policies);
      return;
    }
    const secured = document ? securedOperations(document, {}, undefined) : [];
    if (secured.length > 0) warnings.push({ path: `contractRoutes[${index}]`, message: message(secured) });
  });
  return warnings;
}
