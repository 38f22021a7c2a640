/**
 * A route that binds a whole OpenAPI document (validate without operationId or operation) matches
 * request paths to the document's paths after removing `pathPrefix`. The document usually says
 * that prefix itself: its `servers` URLs (`https://api.example.com/v1` → `/v1`, OpenAPI 3.1
 * §4.8.5). So when a route's own validate entry has no pathPrefix and the route path starts with
 * the path of one of the document's servers, that path becomes the prefix (the longest such one).
 * A route that does not start with it (`/*` in front of the same API) is left as written, and an
 * explicit `pathPrefix` (`/` for none) always wins. Runs at load, once per route.
 */
import { readOpenApiFile } from '../openapi/openapi-document.js';

type Loose = Record<string, unknown>;
const isObject = (value: unknown): value is Loose => typeof value === 'object' && value !== null && !Array.isArray(value);

/** The URL paths of a document's servers, without a trailing slash; templated ones are skipped. */
export function serverPaths(raw: Loose): string[] {
  const servers = Array.isArray(raw.servers) ? raw.servers : [];
  const paths: string[] = [];
  for (const server of servers) {
    const url = isObject(server) && typeof server.url === 'string' ? server.url : undefined;
    if (url === undefined || url.includes('{')) continue;
    let path: string;
    try {
      path = url.startsWith('/') ? new URL(url, 'http://relative.invalid').pathname : new URL(url).pathname;
    } catch {
      continue;
    }
    path = path.replace(/\/+$/, '');
    if (path !== '' && /^\/[A-Za-z0-9._~/-]*$/.test(path)) paths.push(path);
  }
  return paths;
}

/** Sets `pathPrefix` of whole-document validate entries on routes from the document's servers. */
export function applyServersPrefix(routes: unknown): void {
  if (!Array.isArray(routes)) return;
  for (const route of routes) {
    if (!isObject(route) || typeof route.path !== 'string' || !isObject(route.policies)) continue;
    const validate = route.policies.validate;
    if (!isObject(validate) || validate.enabled === false || typeof validate.contract !== 'string') continue;
    if (validate.pathPrefix !== undefined || validate.operationId !== undefined || validate.operation !== undefined) continue;
    let paths: string[];
    try {
      paths = serverPaths(readOpenApiFile(validate.contract).raw);
    } catch {
      continue; // the validate policy's own check reports a document that does not load
    }
    const path = route.path;
    const fitting = paths.filter((prefix) => path === prefix || path.startsWith(`${prefix}/`)).sort((a, b) => b.length - a.length);
    if (fitting[0] !== undefined) validate.pathPrefix = fitting[0];
  }
}
