/** Whether a policy is switched on anywhere in a config: globally or on any route. */
type Loose = Record<string, unknown>;
const isObject = (value: unknown): value is Loose => typeof value === 'object' && value !== null && !Array.isArray(value);

export function policyUsed(config: Loose, name: string): boolean {
  const routes = Array.isArray(config.routes) ? config.routes : [];
  return [config.policies, ...routes.map((route) => (isObject(route) ? route.policies : undefined))].some(
    (policies) => isObject(policies) && isObject(policies[name]) && policies[name].enabled !== false,
  );
}

/** The names of every rate limit configured (globally or on a route): what overrides may name. */
export function rateLimitNames(config: Loose | { policies: unknown; routes: unknown }): Set<string> {
  const loose = config as Loose;
  const routes = Array.isArray(loose.routes) ? loose.routes : [];
  const names = new Set<string>();
  for (const policies of [loose.policies, ...routes.map((route) => (isObject(route) ? route.policies : undefined))]) {
    const ratelimit = isObject(policies) ? policies.ratelimit : undefined;
    const limits = isObject(ratelimit) && Array.isArray(ratelimit.limits) ? ratelimit.limits : [];
    for (const limit of limits) if (isObject(limit) && typeof limit.name === 'string') names.add(limit.name);
  }
  return names;
}
