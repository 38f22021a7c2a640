/**
 * The API inventory of a loaded config (issue 24 §1, docs/inventory.md): what each route exposes,
 * to whom and under which contract. Built from the config alone (the same for `portcullis
 * inventory --config`, the admin API's GET /v1/inventory and preflight); the traffic figures are
 * added by the caller that has the store.
 */
import { relative } from 'node:path';
import type { GatewayConfig, RouteConfig } from '../schema.js';
import { effectivePolicy } from '../policy-usage.js';
import { parseLifecycleDate } from '../../http/lifecycle-headers.js';
import { readContractDocument } from '../../openapi/contract.js';
import { compilePathTemplate, type TemplateSegment } from '../../http/path-template.js';
import type { ContractOperation, OpenApiDocument } from '../../openapi/openapi-document.js';
import { operationSecurity } from '../../openapi/security-requirements.js';
import { routeAuthentication, type AuthenticationRequirement } from './route-authentication.js';

type Loose = Record<string, unknown>;
const isObject = (value: unknown): value is Loose => typeof value === 'object' && value !== null && !Array.isArray(value);

/** How a caller proves who it is on the route (OpenAPI security scheme types, OpenAPI 3.1 §4.8.27). */
export type AuthenticationMethod = 'apiKey' | 'jwt' | 'mutualTLS';

export type LifecycleState = 'active' | 'announced' | 'deprecated' | 'sunset';

/** One operation's security as `validate.security: enforce` applies it (openapi/security-requirements.ts). */
export interface OperationSecuritySummary {
  /** operationId, else `METHOD /path`. */
  readonly operation: string;
  /** A request without credentials passes (`{}` in the list, `security: []`, or no security at all). */
  readonly anonymous: boolean;
  /** Alternatives (any one is enough), each a list of schemes that are all needed. */
  readonly alternatives: ReadonlyArray<ReadonlyArray<{ readonly scheme: string; readonly type: string; readonly scopes: readonly string[] }>>;
}

export interface InventoryRoute {
  readonly name: string;
  readonly methods: readonly string[];
  /** The Host the route answers for, or null: any. */
  readonly host: string | null;
  readonly path: string;
  readonly upstream: string;
  /** The upstream's targets' origins (scheme://host:port): where the gateway's egress goes. */
  readonly egress: readonly string[];
  /** The contract the route validates against (relative to the config's folder), or null. */
  readonly contract: string | null;
  /** The contract operations the route serves: operationId, else `METHOD /path`. */
  readonly operations: readonly string[];
  /** True when the route is bound to a whole document (a catch-all), not to one operation. */
  readonly wholeContract: boolean;
  readonly version: string | null;
  readonly owner: string | null;
  readonly tags: readonly string[];
  readonly authentication: readonly AuthenticationMethod[];
  /** Whether a request without credentials is refused (`required`), let through (`optional`) or never asked for one (`none`). */
  readonly authenticationRequirement: AuthenticationRequirement;
  /** `public: true` (reachable without authentication on purpose). */
  readonly public: boolean;
  /** Scopes every request needs (authorize.scopes and auth-jwt.scopes). */
  readonly scopes: readonly string[];
  /** Further scopes per method (authorize.methods). */
  readonly methodScopes: Readonly<Record<string, readonly string[]>>;
  /** With `validate.security: enforce`: each served operation's credentials and scopes, from the contract; else null. */
  readonly contractSecurity: readonly OperationSecuritySummary[] | null;
  readonly rateLimits: ReadonlyArray<{ readonly name: string; readonly limit: number; readonly windowSeconds: number }>;
  /** off, or the validate policy's strictness. */
  readonly validation: { readonly enabled: false } | { readonly enabled: true; readonly unknownBodyProperties: string; readonly unknownQueryParameters: string; readonly responses: string };
  /** The fields policy per direction: allow, deny, or off. */
  readonly fieldMinimisation: { readonly response: string; readonly request: string };
  readonly lifecycle: { readonly state: LifecycleState; readonly deprecated: string | null; readonly sunset: string | null; readonly successor: string | null };
}

export interface InventoryOptions {
  /** The config file's folder: contract paths are shown relative to it. */
  readonly baseDir?: string | undefined;
  /** For the lifecycle state (epoch ms). */
  readonly now: number;
}

/** Every route of `config`, in config order. */
export function buildInventory(config: GatewayConfig, options: InventoryOptions): InventoryRoute[] {
  return config.routes.map((route) => inventoryRoute(config, route, options));
}

function inventoryRoute(config: GatewayConfig, route: RouteConfig, options: InventoryOptions): InventoryRoute {
  const policy = (name: string) => effectivePolicy(config, route, name);
  const validate = policy('validate');
  const bound = contractBinding(validate, route);
  const authorize = policy('authorize');
  const jwt = policy('auth-jwt');
  const limits = policy('ratelimit');
  const fields = policy('fields');
  return {
    name: route.name,
    methods: route.methods,
    host: route.host ?? null,
    path: route.path,
    upstream: route.upstream,
    egress: egressOrigins(config, route.upstream),
    contract: bound && typeof validate?.contract === 'string' ? (options.baseDir ? relative(options.baseDir, validate.contract) : validate.contract) : null,
    operations: bound?.operations.map(({ operation }) => operationName(operation)) ?? [],
    wholeContract: bound?.whole ?? false,
    version: route.version ?? null,
    owner: route.owner ?? null,
    tags: route.tags ?? [],
    authentication: authenticationMethods(config, route),
    authenticationRequirement: routeAuthentication(config, route),
    public: route.public === true,
    scopes: [...new Set([...strings(authorize?.scopes), ...strings(jwt?.scopes)])],
    methodScopes: isObject(authorize?.methods) ? Object.fromEntries(Object.entries(authorize.methods).map(([method, scopes]) => [method, strings(scopes)])) : {},
    contractSecurity: bound && validate?.security === 'enforce' ? bound.operations.map(({ operation }) => securitySummary(bound.document, operation)) : null,
    rateLimits: (Array.isArray(limits?.limits) ? limits.limits : []).filter(isObject).map((limit) => ({ name: String(limit.name), limit: Number(limit.limit), windowSeconds: Number(limit.windowSeconds) })),
    validation: validate
      ? { enabled: true, unknownBodyProperties: String(validate.unknownBodyProperties ?? 'reject'), unknownQueryParameters: String(validate.unknownQueryParameters ?? 'allow'), responses: isObject(validate.responses) ? String(validate.responses.mode ?? 'off') : 'off' }
      : { enabled: false },
    fieldMinimisation: { response: direction(fields?.response), request: direction(fields?.request) },
    lifecycle: lifecycleOf(route, options.now),
  };
}

/** The authentication policies that run on a route. */
export function authenticationMethods(config: GatewayConfig, route: RouteConfig): AuthenticationMethod[] {
  const methods: AuthenticationMethod[] = [];
  if (effectivePolicy(config, route, 'auth-apikey')) methods.push('apiKey');
  if (effectivePolicy(config, route, 'auth-jwt')) methods.push('jwt');
  if (effectivePolicy(config, route, 'auth-mtls')) methods.push('mutualTLS');
  return methods;
}

export interface BoundOperation {
  readonly operation: ContractOperation;
  /** The operation's path as clients call it through the gateway, with the document's parameter names. */
  readonly gatewayPath: string;
}

export interface ContractBinding {
  readonly document: OpenApiDocument;
  /** The operations the route serves. */
  readonly operations: readonly BoundOperation[];
  /** Bound to the whole document (no operationId or operation). */
  readonly whole: boolean;
}

/**
 * The contract operations a route's validate config serves: the one it names, else every
 * operation of the document under the route's methods (HEAD is served by GET operations) whose
 * gateway path (`pathPrefix` + document path) the route's path template matches. Undefined without
 * a contract, or when the document cannot be read (config validate says why).
 */
export function contractBinding(validate: Loose | undefined, route: { readonly methods: readonly string[]; readonly path: string }): ContractBinding | undefined {
  if (!validate || typeof validate.contract !== 'string') return undefined;
  let document: OpenApiDocument;
  try {
    document = readContractDocument(validate.contract);
  } catch {
    return undefined;
  }
  const compiled = compilePathTemplate(route.path);
  const segments = compiled.ok ? compiled.segments : [];
  if (typeof validate.operationId === 'string' || typeof validate.operation === 'string') {
    const chosen = document.operations.filter((op) => (typeof validate.operationId === 'string' ? op.operationId === validate.operationId : `${op.method} ${op.path}` === validate.operation));
    return { document, operations: chosen.map((operation) => ({ operation, gatewayPath: renamedPath(segments, operation.path) })), whole: false };
  }
  const prefix = typeof validate.pathPrefix === 'string' ? validate.pathPrefix.replace(/\/+$/, '') : '';
  const served = document.operations
    .filter((op) => route.methods.includes(op.method) || (op.method === 'GET' && route.methods.includes('HEAD')))
    .map((operation) => ({ operation, gatewayPath: `${prefix}${operation.path}` }))
    .filter(({ gatewayPath }) => templateMatches(segments, gatewayPath));
  return { document, operations: served, whole: true };
}

/** Whether a route template matches a document path (a `{name}` segment stands for any one segment). */
function templateMatches(segments: readonly TemplateSegment[], path: string): boolean {
  const parts = path.split('/').slice(1);
  for (let index = 0; index < segments.length; index++) {
    const segment = segments[index]!;
    if (segment.kind === 'wildcard') return true;
    const part = parts[index];
    if (part === undefined) return false;
    if (segment.kind === 'static' && segment.value !== part) return false;
  }
  return parts.length === segments.length;
}

/** The route's path with the operation's parameter names (`/v1/repos/:p0` + `/repos/{owner}` → `/v1/repos/{owner}`). */
function renamedPath(segments: readonly TemplateSegment[], operationPath: string): string {
  const names = [...operationPath.matchAll(/\{([^}]+)\}/g)].map((match) => match[1]!);
  let index = 0;
  const parts = segments.map((segment) => (segment.kind === 'static' ? segment.value : segment.kind === 'param' ? `{${names[index++] ?? segment.name}}` : '{path}'));
  return `/${parts.join('/')}`;
}

function securitySummary(document: OpenApiDocument, operation: ContractOperation): OperationSecuritySummary {
  const { anonymous, alternatives } = operationSecurity(document, operation);
  return { operation: operationName(operation), anonymous, alternatives: alternatives.map((alternative) => alternative.map(({ scheme, type, scopes }) => ({ scheme, type, scopes }))) };
}

export function operationName(operation: ContractOperation): string {
  return operation.operationId ?? `${operation.method} ${operation.path}`;
}

function egressOrigins(config: GatewayConfig, upstream: string): string[] {
  const targets = config.upstreams[upstream]?.targets ?? [];
  return [...new Set(targets.flatMap((target) => {
    try {
      return [new URL(target).origin];
    } catch {
      return [];
    }
  }))];
}

function lifecycleOf(route: RouteConfig, now: number): InventoryRoute['lifecycle'] {
  const deprecatedAt = route.deprecated === undefined ? undefined : parseLifecycleDate(route.deprecated);
  const sunsetAt = route.sunset === undefined ? undefined : parseLifecycleDate(route.sunset);
  let state: LifecycleState = 'active';
  if (sunsetAt !== undefined && now >= sunsetAt) state = 'sunset';
  else if (deprecatedAt !== undefined) state = now >= deprecatedAt ? 'deprecated' : 'announced';
  // A sunset date alone implies the deprecation (RFC 8594 §1).
  else if (sunsetAt !== undefined) state = 'deprecated';
  return { state, deprecated: route.deprecated ?? null, sunset: route.sunset ?? null, successor: route.successor ?? null };
}

function direction(config: unknown): string {
  if (!isObject(config)) return 'off';
  // Without a mode the direction still redacts or detects: rules, not a list of fields.
  return typeof config.mode === 'string' ? config.mode : 'rules';
}

function strings(value: unknown): string[] {
  return Array.isArray(value) ? value.filter((item): item is string => typeof item === 'string') : [];
}
