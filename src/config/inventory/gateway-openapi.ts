/**
 * The API as partners see it through the gateway (issue 24 §1, `portcullis inventory --format
 * openapi`): one OpenAPI 3.1 document with only the contract operations a route serves, at the
 * gateway's paths (prefixes and renamed parameters applied), with the security schemes of the
 * authentication policies that run on each route instead of the contract's own, `deprecated` set on
 * deprecated routes, and sunset routes left out (they answer 410). Routes without a contract are not
 * described (there is nothing to describe them with): `portcullis inventory --shadow` lists them.
 *
 * Documents written in OpenAPI 3.0 are brought to 3.1's schema dialect (`nullable`, boolean
 * `exclusiveMinimum`/`exclusiveMaximum`: OpenAPI 3.1 §4.8.24 uses JSON Schema 2020-12).
 */
import type { GatewayConfig, RouteConfig } from '../schema.js';
import { effectivePolicy } from '../policy-usage.js';
import { mapDocument } from '../../openapi/document-walk.js';
import { resolvePointer, type ContractOperation, type OpenApiDocument } from '../../openapi/openapi-document.js';
import { operationSecurity } from '../../openapi/security-requirements.js';
import { buildInventory, contractBinding } from './route-inventory.js';
import { routeAuthentication } from './route-authentication.js';

type Loose = Record<string, unknown>;
const isObject = (value: unknown): value is Loose => typeof value === 'object' && value !== null && !Array.isArray(value);

export class GatewayOpenApiError extends Error {}

export interface GatewayOpenApiOptions {
  readonly now: number;
  /** `servers[].url`: the gateway's public base URL, as partners call it. */
  readonly serverUrl?: string | undefined;
  readonly title?: string | undefined;
  readonly version?: string | undefined;
}

/** The gateway's OpenAPI 3.1 document for `config` (throws GatewayOpenApiError on a component clash). */
export function gatewayOpenApi(config: GatewayConfig, options: GatewayOpenApiOptions): Loose {
  const paths: Record<string, Loose> = {};
  const components: Record<string, Loose> = {};
  const schemes: Record<string, Loose> = {};
  const states = new Map(buildInventory(config, { now: options.now }).map((entry) => [entry.name, entry.lifecycle.state]));
  const converted = new Map<OpenApiDocument, Loose>();
  for (const route of config.routes) {
    const state = states.get(route.name);
    if (state === 'sunset') continue;
    const validate = effectivePolicy(config, route, 'validate');
    const binding = contractBinding(validate, route);
    if (!binding) continue;
    let document = converted.get(binding.document);
    if (!document) {
      converted.set(binding.document, (document = toOpenApi31(binding.document)));
      mergeComponents(components, document.components, route.name);
    }
    // Enforced from the contract: each operation's own security; else the route's policies'.
    const fromContract = validate?.security === 'enforce';
    const security = fromContract ? [] : routeSecurity(config, route, schemes);
    for (const { operation, gatewayPath } of binding.operations) {
      const item = (paths[gatewayPath] ??= {});
      const method = operation.method.toLowerCase();
      if (item[method] !== undefined) continue;
      const own = fromContract ? contractSecurity(binding.document, operation, schemes, route.name) : security;
      item[method] = gatewayOperation(document, operation, route, own, state === 'deprecated');
    }
  }
  if (Object.keys(schemes).length > 0) components.securitySchemes = schemes;
  return {
    openapi: '3.1.0',
    info: { title: options.title ?? 'APIs through the gateway', version: options.version ?? '1' },
    ...(options.serverUrl ? { servers: [{ url: options.serverUrl }] } : {}),
    paths: Object.fromEntries(Object.entries(paths).sort(([a], [b]) => a.localeCompare(b))),
    ...(Object.keys(components).length > 0 ? { components } : {}),
  };
}

function gatewayOperation(document: Loose, operation: ContractOperation, route: RouteConfig, security: Loose[], deprecated: boolean): Loose {
  const item = resolvePointer(document, operation.pointer.replace(/\/[^/]+$/, '')) as Loose;
  const own = structuredClone(resolvePointer(document, operation.pointer)) as Loose;
  // Path-level parameters belong to every operation of the path (OpenAPI 3.1 §4.8.9.1): the
  // operation's own, by name and location, win.
  const shared = Array.isArray(item.parameters) ? item.parameters : [];
  const ownParameters = Array.isArray(own.parameters) ? own.parameters : [];
  const key = (p: unknown) => (isObject(p) ? `${String(p.in)} ${String(p.name ?? p.$ref)}` : '');
  const taken = new Set(ownParameters.map(key));
  const parameters = [...shared.filter((p) => !taken.has(key(p))), ...ownParameters];
  delete own.security;
  delete own.servers;
  return {
    ...own,
    ...(parameters.length > 0 ? { parameters: structuredClone(parameters) } : {}),
    security,
    ...(deprecated ? { deprecated: true } : {}),
    'x-portcullis-route': route.name,
  };
}

/**
 * The route's security requirements from its authentication policies: each way of presenting a
 * credential is one alternative (OpenAPI 3.1 §4.8.30), with the route's scopes (role names for
 * non-OAuth schemes, as 3.1 allows), and `{}` last when a request without credentials passes. A
 * route without authentication: `[]`, none needed.
 */
function routeSecurity(config: GatewayConfig, route: RouteConfig, schemes: Record<string, Loose>): Loose[] {
  const scopes = [...new Set([...list(effectivePolicy(config, route, 'authorize')?.scopes), ...list(effectivePolicy(config, route, 'auth-jwt')?.scopes)])];
  const requirements: Loose[] = [];
  const add = (name: string, scheme: Loose) => {
    schemes[name] = scheme;
    requirements.push({ [name]: scopes });
  };
  const apiKey = effectivePolicy(config, route, 'auth-apikey');
  if (apiKey) {
    const sources = Array.isArray(apiKey.sources) ? apiKey.sources.filter(isObject) : [];
    for (const source of sources) {
      const header = String(source.header).toLowerCase();
      if (typeof source.scheme === 'string') add(`apiKey${source.scheme[0]!.toUpperCase()}${source.scheme.slice(1).toLowerCase()}`, { type: 'http', scheme: source.scheme.toLowerCase(), description: `An API key in ${source.header}: ${source.scheme} <key>.` });
      else add(`apiKey-${header}`, { type: 'apiKey', in: 'header', name: source.header, description: 'An API key issued by the gateway (`portcullis keys create`).' });
    }
    if (typeof apiKey.queryParam === 'string') add(`apiKey-query-${apiKey.queryParam}`, { type: 'apiKey', in: 'query', name: apiKey.queryParam, description: 'An API key in the query (discouraged: URLs end up in logs).' });
  }
  if (effectivePolicy(config, route, 'auth-jwt')) add('bearerJwt', { type: 'http', scheme: 'bearer', bearerFormat: 'JWT', description: 'An access token (JWT) from an accepted issuer.' });
  if (effectivePolicy(config, route, 'auth-mtls')) add('mutualTLS', { type: 'mutualTLS', description: 'A client certificate the listener trusts.' });
  // Every credential optional and nothing refusing an anonymous request: the empty requirement
  // says so (OpenAPI 3.1 §4.8.10: `{}` makes security optional), as the gateway behaves.
  if (requirements.length > 0 && routeAuthentication(config, route) === 'optional') requirements.push({});
  return requirements;
}

/**
 * The operation's security as `validate.security: enforce` applies it, written out in full (the
 * gateway's document has no top-level `security`): the contract's requirements with their
 * schemes, `{}` last when a request without credentials passes, `[]` when none is needed.
 */
function contractSecurity(document: OpenApiDocument, operation: ContractOperation, schemes: Record<string, Loose>, route: string): Loose[] {
  const { anonymous, alternatives } = operationSecurity(document, operation);
  const requirements: Loose[] = alternatives.map((alternative) => Object.fromEntries(alternative.map((scheme) => [scheme.scheme, [...scheme.scopes]])));
  for (const scheme of alternatives.flat()) if (scheme.definition) addScheme(schemes, scheme.scheme, structuredClone(scheme.definition), route);
  return anonymous && requirements.length > 0 ? [...requirements, {}] : requirements;
}

/** One security scheme in the document; the same name with another definition is an error. */
function addScheme(schemes: Record<string, Loose>, name: string, definition: Loose, route: string): void {
  if (schemes[name] !== undefined && JSON.stringify(schemes[name]) !== JSON.stringify(definition)) {
    throw new GatewayOpenApiError(`components.securitySchemes.${name} is defined differently by two routes (the second: ${route}): one document cannot hold both`);
  }
  schemes[name] = definition;
}

/** A copy of the document in OpenAPI 3.1's dialect (schemas rewritten from 3.0's when needed). */
function toOpenApi31(document: OpenApiDocument): Loose {
  if (document.version === '3.1') return structuredClone(document.raw);
  return mapDocument(document.raw, { schema: (schema) => upgradeSchema(schema), reference: () => {} });
}

/** OpenAPI 3.0 Schema Object → JSON Schema 2020-12: `nullable` and boolean exclusive bounds. */
function upgradeSchema(schema: unknown): unknown {
  if (Array.isArray(schema)) return schema.map(upgradeSchema);
  if (!isObject(schema)) return schema;
  const copy: Loose = {};
  for (const [key, value] of Object.entries(schema)) {
    if (key === 'nullable' || key === 'exclusiveMinimum' || key === 'exclusiveMaximum') continue;
    copy[key] = key === 'enum' || key === 'default' || key === 'example' || key === 'const' ? value : isObject(value) && (key === 'properties' || key === 'patternProperties') ? Object.fromEntries(Object.entries(value).map(([name, child]) => [name, upgradeSchema(child)])) : upgradeSchema(value);
  }
  if (schema.exclusiveMinimum === true && typeof schema.minimum === 'number') {
    copy.exclusiveMinimum = schema.minimum;
    delete copy.minimum;
  }
  if (schema.exclusiveMaximum === true && typeof schema.maximum === 'number') {
    copy.exclusiveMaximum = schema.maximum;
    delete copy.maximum;
  }
  if (schema.nullable === true) {
    if (typeof schema.type === 'string') copy.type = [schema.type, 'null'];
    else if (Array.isArray(copy.enum)) copy.enum = [...copy.enum, null];
    else if (copy.$ref === undefined) copy.type = undefined;
    if (copy.$ref !== undefined) return { anyOf: [{ $ref: copy.$ref }, { type: 'null' }] };
    if (copy.type === undefined) delete copy.type;
  }
  return copy;
}

/** Components of several contracts in one document; the same name with another definition is an error. */
function mergeComponents(into: Record<string, Loose>, from: unknown, route: string): void {
  if (!isObject(from)) return;
  for (const [kind, entries] of Object.entries(from)) {
    if (kind === 'securitySchemes' || !isObject(entries)) continue;
    const target = (into[kind] ??= {});
    for (const [name, value] of Object.entries(entries)) {
      if (target[name] !== undefined && JSON.stringify(target[name]) !== JSON.stringify(value)) {
        throw new GatewayOpenApiError(`components.${kind}.${name} is defined differently by two contracts (the second on route ${route}): one document cannot hold both`);
      }
      target[name] = value;
    }
  }
}

function list(value: unknown): string[] {
  return Array.isArray(value) ? value.filter((item): item is string => typeof item === 'string') : [];
}
