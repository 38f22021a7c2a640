/** Whether a policy is switched on anywhere in a config: globally or on any route. */
type Loose = Record<string, unknown>;
const isObject = (value: unknown): value is Loose => typeof value === 'object' && value !== null && !Array.isArray(value);

export function policyUsed(config: Loose, name: string): boolean {
  const routes = Array.isArray(config.routes) ? config.routes : [];
  return [config.policies, ...routes.map((route) => (isObject(route) ? route.policies : undefined))].some(
    (policies) => isObject(policies) && isObject(policies[name]) && policies[name].enabled !== false,
  );
}
