/**
 * Whether a route lets a request without credentials through, read from its effective policies:
 * the one answer the inventory (GET /v1/inventory, `portcullis inventory`), the gateway's OpenAPI
 * document, preflight (PF-AUTH-*) and selftest share, so none of them can call a route protected
 * that answers anonymous callers.
 */
import { effectivePolicy } from '../policy-usage.js';
import type { GatewayConfig, RouteConfig } from '../schema.js';

const AUTH_POLICIES = ['auth-apikey', 'auth-jwt', 'auth-mtls'] as const;

/**
 * `required`: a credential is needed; `optional`: every authentication policy says `required:
 * false` and nothing else refuses an anonymous request; `none`: no authentication policy runs.
 */
export type AuthenticationRequirement = 'required' | 'optional' | 'none';

export function routeAuthentication(config: GatewayConfig, route: RouteConfig): AuthenticationRequirement {
  // A listener that requires a client certificate on every request refuses anonymous callers itself.
  if (config.listeners.every((listener) => listener.tls?.clientCertificates.mode === 'required')) return 'required';
  const present = AUTH_POLICIES.map((name) => effectivePolicy(config, route, name)).filter((policy) => policy !== undefined);
  if (present.length === 0) return 'none';
  if (present.some((policy) => policy.required !== false)) return 'required';
  // validate.security: enforce: the contract's security decides per operation which credential is
  // needed (config validate has made sure the route checks each scheme it names); an operation the
  // contract leaves open (`security: []`, `{}`) is open by the contract's own say-so.
  if (effectivePolicy(config, route, 'validate')?.security === 'enforce') return 'required';
  // Every credential optional: authorize refuses a request without a principal (policies/authorize).
  return effectivePolicy(config, route, 'authorize') !== undefined ? 'required' : 'optional';
}
