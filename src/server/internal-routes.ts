/**
 * Built-in endpoints (the authorization server's token, revocation, introspection, JWKS and
 * metadata endpoints) as internal routes: matched before the configured routes, they run the
 * receive and limit phases of the global policies (IP rules, geo, size limits, CORS preflights,
 * rate limits) before the endpoint answers, then the respond and log phases like any response.
 * The authenticate, authorize, validate and transform phases do not run: the endpoint
 * authenticates its clients itself (RFC 6749 §2.3), and a global auth policy must not guard the
 * token endpoint that issues the credentials it would ask for. There is no principal yet, so a
 * rate limit kept per consumer, key or client counts these requests per client IP
 * (ratelimit/partition.ts).
 */
import type { RouteInfo } from '../core/context.js';
import { buildPipeline, type Pipeline, type PolicyInstance } from '../core/pipeline.js';
import type { PolicyHandlers, PolicyPhase } from '../core/policy.js';
import type { BuiltinEndpoint, BuiltinEndpoints } from '../core/services.js';

/** The phases an internal route runs, of the global policies. */
export const INTERNAL_ROUTE_PHASES: readonly PolicyPhase[] = ['receive', 'limit', 'respond', 'log'];

export interface InternalRoute {
  /** The endpoint's name (`oauth-token`, ...): the route name in logs, metrics and rate-limit keys. */
  readonly info: RouteInfo;
  readonly pipeline: Pipeline;
  /** Answers the request once the request phases have let it through. */
  readonly handle: BuiltinEndpoint;
}

export interface InternalRoutes {
  /** The internal route at this path (a wrong method is answered by it too), or undefined: route as usual. */
  match(method: string, path: string): InternalRoute | undefined;
}

/**
 * @param globalPolicies the global policy instances (the same ones the global pipeline runs, so a
 *   policy that keeps per-request state between its phases, like ratelimit's headers, sees both).
 */
export function internalRoutes(endpoints: BuiltinEndpoints | undefined, globalPolicies: readonly PolicyInstance[]): InternalRoutes | undefined {
  if (!endpoints) return undefined;
  const pipeline = buildPipeline(globalPolicies.map((instance) => ({ ...instance, handlers: onlyPhases(instance.handlers, INTERNAL_ROUTE_PHASES) })));
  return {
    match(method, path) {
      const endpoint = endpoints.match(method, path);
      if (!endpoint) return undefined;
      return { info: { name: endpoint.name, methods: [method], upstream: '' }, pipeline, handle: endpoint.handle };
    },
  };
}

function onlyPhases(handlers: PolicyHandlers, phases: readonly PolicyPhase[]): PolicyHandlers {
  const kept: PolicyHandlers = {};
  for (const phase of phases) if (handlers[phase]) kept[phase] = handlers[phase];
  return kept;
}
