/**
 * The OpenAPI 3.1 description of the admin API, generated from the route table: the same TypeBox
 * schemas that validate requests describe them (OpenAPI 3.1 schemas are JSON Schema 2020-12, so
 * they go in unchanged), each operation names its permission as `x-permission`, and every error is
 * an RFC 9457 problem (`application/problem+json`). The CLI and the console read it.
 */
import { PUBLIC } from './permissions.js';
import type { TSchema } from '@sinclair/typebox';
import { ERROR_CODES, ERROR_TABLE, type ErrorCode } from '../core/errors.js';
import { PATH_PARAM_PATTERN, type AdminRoute } from './route.js';

/** Codes every route may answer: credentials, permission, throttle, malformed request, bug, store. */
const COMMON_ERRORS: readonly ErrorCode[] = ['request.malformed', 'admin.unauthorized', 'admin.forbidden', 'auth.too_many_failures', 'internal', 'store.unavailable'];

export const OPENAPI_VERSION = '3.1.0';

/** `/v1/keys/:id` → `/v1/keys/{id}` (OpenAPI path templating, §4.8.2). */
export function openApiPath(path: string): string {
  return path.replace(/:([A-Za-z_][A-Za-z0-9_]*)/g, '{$1}');
}

/** `POST /v1/keys/:id/rotate` → `postKeysByIdRotate`: unique per method and path. */
export function operationId(route: AdminRoute): string {
  const words = route.path
    .split('/')
    .filter((segment) => segment !== '' && segment !== 'v1')
    .map((segment) => (segment.startsWith(':') ? `By-${segment.slice(1)}` : segment))
    .flatMap((segment) => segment.split(/[-_]/))
    .map((word) => word.charAt(0).toUpperCase() + word.slice(1));
  return `${route.method.toLowerCase()}${words.join('')}`;
}

/** A JSON copy: TypeBox marks its schemas with symbol keys, which a document must not carry. */
const plain = (schema: TSchema): Record<string, unknown> => JSON.parse(JSON.stringify(schema)) as Record<string, unknown>;

function parameters(route: AdminRoute): unknown[] {
  const path = [...route.path.matchAll(/:([A-Za-z_][A-Za-z0-9_]*)/g)].map((m) => ({ name: m[1], in: 'path', required: true, schema: { type: 'string', pattern: PATH_PARAM_PATTERN } }));
  const query: TSchema | undefined = route.querySchema;
  const required = new Set<string>((query?.required as string[] | undefined) ?? []);
  const queryParameters = Object.entries((query?.properties ?? {}) as Record<string, TSchema>).map(([name, schema]) => ({
    name,
    in: 'query',
    required: required.has(name),
    ...(typeof schema.description === 'string' ? { description: schema.description } : {}),
    schema: plain(schema),
  }));
  return [...path, ...queryParameters];
}

function responses(route: AdminRoute): Record<string, unknown> {
  const out: Record<string, unknown> = {
    [String(route.status)]:
      route.status === 302
        ? { description: route.summary, headers: { Location: { description: 'Where to go next.', schema: { type: 'string', format: 'uri' } } } }
        : { description: route.summary, content: { 'application/json': { schema: plain(route.responseSchema) } } },
  };
  const codes = [...COMMON_ERRORS, ...route.errors, ...(route.bodySchema ? (['request.body_too_large'] as const) : [])];
  const byStatus = new Map<number, ErrorCode[]>();
  for (const code of new Set(codes)) {
    const status = ERROR_TABLE[code].status;
    byStatus.set(status, [...(byStatus.get(status) ?? []), code]);
  }
  for (const [status, list] of [...byStatus].sort(([a], [b]) => a - b)) {
    out[String(status)] = {
      description: list.map((code) => `${code}: ${ERROR_TABLE[code].title}`).join('; '),
      content: { 'application/problem+json': { schema: { $ref: '#/components/schemas/Problem' } } },
    };
  }
  return out;
}

function operation(route: AdminRoute): Record<string, unknown> {
  const body = route.bodySchema;
  return {
    operationId: operationId(route),
    summary: route.summary,
    tags: [route.path.split('/')[2] === 'oauth' ? `oauth/${route.path.split('/')[3]}` : route.path.split('/')[2]],
    'x-permission': route.permission,
    ...(route.sessionOnly ? { 'x-session-only': true } : {}),
    ...(route.stepUp ? { 'x-step-up': true } : {}),
    // A public route (login, accepting an invitation) proves who the caller is itself.
    ...(route.permission === PUBLIC ? { security: [] } : {}),
    parameters: parameters(route),
    // An empty body counts as {}: a body is required only where the schema requires members.
    ...(body ? { requestBody: { required: ((body.required as string[] | undefined) ?? []).length > 0, content: { 'application/json': { schema: plain(body) } } } } : {}),
    responses: responses(route),
  };
}

const PROBLEM_SCHEMA = {
  type: 'object',
  description: 'RFC 9457 problem details. `detail` is safe to show; a 500 never carries the cause (it is in the log under the request id).',
  required: ['type', 'title', 'status', 'code', 'detail', 'instance'],
  properties: {
    type: { type: 'string', format: 'uri-reference' },
    title: { type: 'string' },
    status: { type: 'integer' },
    code: { type: 'string', enum: ERROR_CODES },
    detail: { type: 'string' },
    instance: { type: 'string', description: 'The request id (also in X-Request-Id).' },
    errors: {
      type: 'array',
      description: 'For admin.invalid_request: each problem with the JSON pointer of what it is about.',
      items: { type: 'object', required: ['pointer', 'message'], properties: { pointer: { type: 'string' }, keyword: { type: 'string' }, message: { type: 'string' } } },
    },
  },
};

/** The OpenAPI 3.1 document for a route table. */
export function buildOpenApiDocument(routes: readonly AdminRoute[]): Record<string, unknown> {
  const paths: Record<string, Record<string, unknown>> = {};
  for (const route of routes) (paths[openApiPath(route.path)] ??= {})[route.method.toLowerCase()] = operation(route);
  return {
    openapi: OPENAPI_VERSION,
    info: {
      title: 'Portcullis admin API',
      // The version of the API's contract (the /v1 prefix), not of the gateway.
      version: '1',
      description: 'Consumers, API keys, OAuth clients and signing keys, rate-limit overrides. Every list is cursor-paginated (limit, cursor → nextCursor). Each operation names the permission it needs in x-permission.',
    },
    security: [{ adminToken: [] }, { session: [] }],
    paths,
    components: {
      securitySchemes: {
        adminToken: { type: 'http', scheme: 'bearer', description: 'The bootstrap token (admin.token), or a session token (ptc_ses_…) from POST /v1/login with tokenInBody.' },
        session: { type: 'apiKey', in: 'cookie', name: '__Host-portcullis-session', description: 'The session cookie set by POST /v1/login; POST and DELETE also need X-CSRF-Token and a same-origin Origin.' },
      },
      schemas: { Problem: PROBLEM_SCHEMA },
    },
  };
}
