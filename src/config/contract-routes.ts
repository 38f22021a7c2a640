/**
 * Routes generated from an OpenAPI document (`contractRoutes`): every operation becomes a route with
 * its method and path template, sharing one upstream, with the validate policy bound to that
 * operation. The API inventory and the gateway then cannot drift apart: a request for an operation
 * the document does not have matches no route (404 route.not_found, or 405 with Allow).
 * Expanded at load, before the semantic checks, so generated routes are checked like written ones.
 */
import type { ConfigIssue } from '../core/policy.js';
import { readContractDocument } from '../openapi/contract.js';
import { ContractError } from '../openapi/openapi-document.js';
import { compileOperationPath } from '../openapi/operation-path.js';
import { ROUTE_METADATA_KEYS } from './route-metadata-schema.js';

type Loose = Record<string, unknown>;
const isObject = (value: unknown): value is Loose => typeof value === 'object' && value !== null && !Array.isArray(value);

/** Methods a route may serve (the schema's list); TRACE operations are not routed. */
const ROUTABLE = new Set(['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS']);
const MAX_NAME = 63;

/** `repos/list-for-org` → `repos-list-for-org`: a route name (lower-case letters, digits, - and _). */
function slug(text: string): string {
  return text
    .toLowerCase()
    .replace(/[^a-z0-9_-]+/g, '-')
    .replace(/-+/g, '-')
    .replace(/^[-_]+|-+$/g, '');
}

/**
 * Appends the generated routes to `config.routes`. `origins[n]` is the contractRoutes index the
 * n-th generated route came from, so that its problems are reported once, at that entry.
 */
export function expandContractRoutes(config: Loose): { issues: ConfigIssue[]; added: number; origins: number[] } {
  const entries = config.contractRoutes;
  const issues: ConfigIssue[] = [];
  const origins: number[] = [];
  if (!Array.isArray(entries) || entries.length === 0) return { issues, added: 0, origins };
  let added = 0;
  const routes = Array.isArray(config.routes) ? config.routes : (config.routes = []) as unknown[];
  const taken = new Set(routes.flatMap((route) => (isObject(route) && typeof route.name === 'string' ? [route.name] : [])));
  entries.forEach((entry, index) => {
    if (!isObject(entry) || typeof entry.contract !== 'string' || typeof entry.upstream !== 'string') return;
    const at = `contractRoutes[${index}]`;
    let document;
    try {
      document = readContractDocument(entry.contract);
    } catch (error) {
      // Any failure to read the document is this entry's problem, reported with the others.
      issues.push({ path: `${at}.contract`, message: error instanceof ContractError ? error.message : `could not be read: ${(error as Error).message}` });
      return;
    }
    const prefix = typeof entry.pathPrefix === 'string' ? entry.pathPrefix.replace(/\/+$/, '') : '';
    const namePrefix = typeof entry.namePrefix === 'string' ? entry.namePrefix : '';
    const policies = isObject(entry.policies) ? entry.policies : {};
    const validateOptions = isObject(policies.validate) ? policies.validate : {};
    const metadata = contractMetadata(entry, document.raw);
    // Operations whose templates have the same shape under one method (`/a/{x}` and `/a/{y}.json`)
    // cannot be told apart by the router: they share one route bound to the whole document.
    const byShape = new Map<string, { method: string; template: string; operations: Array<{ id: string | undefined; path: string }> }>();
    for (const operation of document.operations) {
      if (!ROUTABLE.has(operation.method)) continue;
      let template: string;
      try {
        template = compileOperationPath(operation.path, operation.pointer.slice(1)).routeTemplate;
      } catch (error) {
        issues.push({ path: `${at}.contract`, message: (error as Error).message });
        continue;
      }
      const key = `${operation.method} ${template}`;
      const group = byShape.get(key) ?? { method: operation.method, template, operations: [] };
      group.operations.push({ id: operation.operationId, path: operation.path });
      byShape.set(key, group);
    }
    for (const group of byShape.values()) {
      const [first] = group.operations;
      const single = group.operations.length === 1;
      const base = slug(`${namePrefix}${single && first!.id ? first!.id : `${group.method}-${first!.path}`}`).slice(0, MAX_NAME - 4) || 'operation';
      let name = /^[a-z0-9]/.test(base) ? base : `r${base}`.slice(0, MAX_NAME - 4);
      for (let n = 2; taken.has(name); n++) name = `${base}-${n}`;
      taken.add(name);
      const validate = validateOptions.enabled === false
        ? validateOptions
        : { ...validateOptions, contract: entry.contract, ...(single ? { operation: `${group.method} ${first!.path}` } : prefix ? { pathPrefix: prefix } : {}) };
      const route: Loose = {
        name,
        methods: [group.method],
        path: `${prefix}${group.template === '/' && prefix ? '' : group.template}` || '/',
        upstream: entry.upstream,
        ...metadata,
        policies: { ...policies, validate },
      };
      if (prefix) route.stripPrefix = prefix;
      if (typeof entry.host === 'string') route.host = entry.host;
      routes.push(route);
      origins.push(index);
      added++;
    }
  });
  return { issues, added, origins };
}

/**
 * The inventory metadata every route generated from `entry` carries: the entry's own, and the
 * document's `info.version` when the entry names no version (OpenAPI 3.1 §4.8.2).
 */
function contractMetadata(entry: Loose, raw: Loose): Loose {
  const metadata: Loose = {};
  for (const key of ROUTE_METADATA_KEYS) if (entry[key] !== undefined) metadata[key] = entry[key];
  const info = isObject(raw.info) ? raw.info : {};
  if (metadata.version === undefined && typeof info.version === 'string' && info.version !== '') metadata.version = info.version.slice(0, 64);
  return metadata;
}
