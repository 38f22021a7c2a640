/**
 * Inventory rules (issue 24 §2, §3, docs/inventory.md): the config's routes against their
 * contracts and their lifecycle. A route that serves an operation its contract marks deprecated
 * without saying so to clients; a route bound to a whole contract whose path matches none of its
 * operations (every request refused: a zombie, or a prefix that does not fit); a route past its
 * sunset still configured.
 */
import { effectivePolicy } from '../../../config/policy-usage.js';
import { contractBinding } from '../../../config/inventory/route-inventory.js';
import { parseLifecycleDate } from '../../../http/lifecycle-headers.js';
import { resolvePointer } from '../../../openapi/openapi-document.js';
import { defineCheck, finding, OWASP, type Finding } from '../check.js';

export const inventoryCheck = defineCheck(
  'inventory',
  {
    deprecatedOperation: {
      id: 'PF-INV-001',
      severity: 'medium',
      title: 'A route serves a contract operation marked deprecated, but sends no Deprecation header (no `deprecated` date on the route)',
      why: `${OWASP.API9} (clients keep building on an operation the contract retires, unaware)`,
      fix: 'Set `deprecated: <date>` (and `sunset`, `successor`) on the route, or on its `contractRoutes` entry: every response then carries Deprecation and Sunset (docs/inventory.md#lifecycle).',
    },
    noOperation: {
      id: 'PF-INV-002',
      severity: 'high',
      title: 'A route bound to a whole contract matches none of its operations: every request is refused (404/405)',
      why: `${OWASP.API9} (a zombie route, or a path or pathPrefix that does not fit the contract)`,
      fix: "Fix the route's `path` or `validate.pathPrefix` so the contract's paths fall under it, or remove the route.",
    },
    pastSunset: {
      id: 'PF-INV-003',
      severity: 'low',
      title: 'A route past its sunset date is still configured (it answers 410 route.sunset)',
      why: `${OWASP.API9} (retired APIs stay in the inventory)`,
      fix: 'Check who still calls it (`portcullis inventory --deprecated --by-consumer`), tell them, then remove the route.',
    },
  },
  ({ config, clock }, rules) => {
    const found: Finding[] = [];
    config.routes.forEach((route, index) => {
      const at = `routes[${index}]`;
      const sunsetAt = route.sunset === undefined ? undefined : parseLifecycleDate(route.sunset);
      if (sunsetAt !== undefined && clock.now() >= sunsetAt) found.push(finding(rules.pastSunset, `route ${route.name} was sunset on ${route.sunset}`, { path: `${at}.sunset` }));
      const binding = contractBinding(effectivePolicy(config, route, 'validate'), route);
      if (!binding) return;
      if (binding.whole && binding.operations.length === 0) {
        found.push(finding(rules.noOperation, `route ${route.name} (${route.methods.join(', ')} ${route.path}) matches no operation of its contract`, { path: `${at}.path` }));
      }
      if (route.deprecated !== undefined || route.sunset !== undefined) return;
      const deprecated = binding.operations.filter(({ operation }) => {
        const own = resolvePointer(binding.document.raw, operation.pointer);
        return typeof own === 'object' && own !== null && (own as Record<string, unknown>).deprecated === true;
      });
      if (deprecated.length > 0) {
        const names = deprecated.map(({ operation }) => operation.operationId ?? `${operation.method} ${operation.path}`).join(', ');
        found.push(finding(rules.deprecatedOperation, `route ${route.name} serves ${names}, deprecated in its contract, without a deprecated date`, { path: at }));
      }
    });
    return found;
  },
);
