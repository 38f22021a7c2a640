/**
 * What a config switches on: which policies run (globally or on some route), the services they
 * require (their `requires` declarations), and the rate limits they name. Reads loose configs
 * too, so the semantic checks can ask before the schema has passed.
 */
import type { ServiceName } from '../core/services.js';
import type { GatewayConfig } from './schema.js';
import { POLICIES } from '../policies/index.js';

type Loose = Record<string, unknown>;
const isObject = (value: unknown): value is Loose => typeof value === 'object' && value !== null && !Array.isArray(value);

/** Every `policies` block with its path: the global one first, then each route's. */
function policyBlocks(config: Loose): Array<{ path: string; policies: Loose }> {
  const routes = Array.isArray(config.routes) ? config.routes : [];
  const blocks = [{ path: 'policies', policies: config.policies }, ...routes.map((route, index) => ({ path: `routes[${index}].policies`, policies: isObject(route) ? route.policies : undefined }))];
  return blocks.filter((block): block is { path: string; policies: Loose } => isObject(block.policies));
}

/** Where a policy is switched on: the paths of its config objects not saying `enabled: false`. */
export function policyPlaces(config: Loose, name: string): string[] {
  return policyBlocks(config)
    .filter(({ policies }) => isObject(policies[name]) && policies[name].enabled !== false)
    .map(({ path }) => `${path}.${name}`);
}

/** A service the config needs, and the first policy (and where) that requires it. */
export interface ServiceNeed {
  readonly service: ServiceName;
  readonly policy: string;
  /** Where that policy is switched on, e.g. `routes[2].policies.geo`. */
  readonly path: string;
}

/** The services the config's active policies require (their `requires`), each once. */
export function requiredServices(config: Loose | object): ServiceNeed[] {
  const needs = new Map<ServiceName, ServiceNeed>();
  for (const { definition } of POLICIES) {
    const place = definition.requires?.length ? policyPlaces(config as Loose, definition.name)[0] : undefined;
    if (place === undefined) continue;
    for (const service of definition.requires!) if (!needs.has(service)) needs.set(service, { service, policy: definition.name, path: place });
  }
  return [...needs.values()];
}

/** The names of every rate limit configured (globally or on a route): what overrides may name. */
export function rateLimitNames(config: Loose | { policies: unknown; routes: unknown }): Set<string> {
  const names = new Set<string>();
  for (const { policies } of policyBlocks(config as Loose)) {
    const ratelimit = policies.ratelimit;
    const limits = isObject(ratelimit) && Array.isArray(ratelimit.limits) ? ratelimit.limits : [];
    for (const limit of limits) if (isObject(limit) && typeof limit.name === 'string') names.add(limit.name);
  }
  return names;
}

/**
 * A route's allowed response field paths (the fields policy in `allow` mode; the route's own
 * block, else the global one), [] when it has none, or undefined when there is no such route.
 */
export function fieldAllowlist(config: Loose | { policies: unknown; routes: unknown }, route: string): string[] | undefined {
  const loose = config as Loose;
  const routes = Array.isArray(loose.routes) ? loose.routes : [];
  const found = routes.find((r): r is Loose => isObject(r) && r.name === route);
  if (found === undefined) return undefined;
  const own = isObject(found.policies) ? found.policies.fields : undefined;
  const global = isObject(loose.policies) ? loose.policies.fields : undefined;
  const fields = isObject(own) ? own : global;
  if (!isObject(fields) || fields.enabled === false || !isObject(fields.response) || fields.response.mode !== 'allow') return [];
  return Array.isArray(fields.response.paths) ? fields.response.paths.filter((p): p is string => typeof p === 'string') : [];
}

/** The config of `name` that runs on a route: its own entry, else the global one; undefined when off or absent. */
export function effectivePolicy(config: GatewayConfig, route: GatewayConfig['routes'][number], name: string): ({ enabled: boolean } & Record<string, unknown>) | undefined {
  const entry = route.policies[name] ?? config.policies[name];
  return entry !== undefined && entry.enabled !== false ? entry : undefined;
}

/** The policies that run on a route (its own entry for a policy, else the global one), in pipeline order. */
export function effectivePolicies(config: GatewayConfig, route: GatewayConfig['routes'][number]): string[] {
  return [...POLICIES]
    .sort((a, b) => a.order - b.order)
    .filter(({ definition }) => effectivePolicy(config, route, definition.name) !== undefined)
    .map(({ definition }) => definition.name);
}
