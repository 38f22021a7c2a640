/**
 * The routes selftest attacks, read from the config file (`--config`) or, without one, from the
 * admin API's route list (inventory-routes.ts): each route's sample request
 * (path parameters and a trailing wildcard filled in with harmless values) and what its effective
 * policies promise (authentication, JWT, validation, rate limit, CORS), so each probe knows which
 * answer is right. The route `public: true` is the only one expected to answer without credentials.
 */
import { effectivePolicy } from '../../config/policy-usage.js';
import type { GatewayConfig, RouteConfig } from '../../config/schema.js';
import { routeAuthentication } from '../../config/inventory/route-authentication.js';

export interface ProbeRoute {
  readonly name: string;
  /** The method probes use: GET when the route serves it, else its first. */
  readonly method: string;
  readonly methods: readonly string[];
  /** A concrete path: `:id` → `selftest1`, a trailing `/*` → `/selftest`. */
  readonly path: string;
  /** The Host a request must carry to reach the route (`host`, a `*.` wildcard made concrete). */
  readonly host: string | undefined;
  readonly authentication: 'required' | 'optional' | 'none';
  readonly public: boolean;
  readonly apiKey: boolean;
  readonly jwt: boolean;
  readonly validated: boolean;
  readonly rateLimited: boolean;
  /** The scopes its authorize policy asks for. */
  readonly scopes: readonly string[];
  /** Path parameter names, in order. */
  readonly params: readonly string[];
  /** The path template as configured. */
  readonly template: string;
}

export const PATH_PARAM_VALUE = 'selftest1';

export function probeRoutes(config: GatewayConfig): ProbeRoute[] {
  return config.routes.map((route) => describeRoute(config, route));
}

function describeRoute(config: GatewayConfig, route: RouteConfig): ProbeRoute {
  const authorize = effectivePolicy(config, route, 'authorize') as { scopes?: string[] } | undefined;
  return probeRoute({
    name: route.name,
    methods: route.methods,
    template: route.path,
    host: route.host,
    authentication: routeAuthentication(config, route),
    public: route.public === true,
    apiKey: effectivePolicy(config, route, 'auth-apikey') !== undefined,
    jwt: effectivePolicy(config, route, 'auth-jwt') !== undefined,
    validated: effectivePolicy(config, route, 'validate') !== undefined,
    rateLimited: effectivePolicy(config, route, 'ratelimit') !== undefined,
    scopes: authorize?.scopes ?? [],
  });
}

/** What a route promises, from either source: the probe route with its sample request filled in. */
export type RouteFacts = Omit<ProbeRoute, 'method' | 'path' | 'params' | 'host'> & { readonly host: string | undefined };

export function probeRoute(facts: RouteFacts): ProbeRoute {
  return {
    ...facts,
    method: facts.methods.includes('GET') ? 'GET' : facts.methods[0]!,
    path: fillPath(facts.template, PATH_PARAM_VALUE),
    host: facts.host?.replace(/^\*\./, 'selftest.'),
    params: [...facts.template.matchAll(/:([A-Za-z0-9_]+)/g)].map((match) => match[1]!),
  };
}

/** The template with every parameter set to `value` and a trailing wildcard to `/selftest`. */
export function fillPath(template: string, value: string): string {
  return template.replace(/:([A-Za-z0-9_]+)/g, value).replace(/\/\*$/, '/selftest');
}

/** Headers that reach the route: its Host when it has one. */
export function routeHeaders(route: ProbeRoute, extra: Record<string, string> = {}): Record<string, string> {
  return { ...(route.host ? { host: route.host } : {}), ...extra };
}

/** `GET /v1/accounts (list-accounts)`: a route as the report names it. */
export const routeWhere = (route: ProbeRoute, path = route.path, method = route.method) => `${method} ${path} (${route.name})`;
