/**
 * The routes selftest attacks when it has no config file: the running gateway's own route list,
 * GET /v1/inventory of its admin API (docs/inventory.md; needs `inventory:read`). The list is the
 * config the gateway runs now, so a file that is not the one deployed cannot mislead the probes.
 * The answer is one page (`{ routes: [...] }`): the inventory is not paginated.
 *
 * Whether a route's credentials are required is the entry's `authenticationRequirement` (the same
 * reading as --config's). From a gateway older than that field, a route with any authentication
 * method is taken as requiring it. The JWT issuer's keys are not in the list, so the JWT probes
 * that forge tokens against them need `--config`.
 */
import { adminCall, type AdminAccess } from './admin-client.js';
import { probeRoute, type ProbeRoute } from './routes.js';

/** The fields of an inventory entry selftest reads (src/admin/inventory/inventory-schemas.ts). */
interface InventoryEntryView {
  readonly name: string;
  readonly methods: readonly string[];
  readonly host: string | null;
  readonly path: string;
  readonly authentication: readonly string[];
  /** Absent from a gateway older than it. */
  readonly authenticationRequirement?: 'required' | 'optional' | 'none';
  readonly public: boolean;
  readonly scopes: readonly string[];
  readonly methodScopes: Readonly<Record<string, readonly string[]>>;
  readonly rateLimits: readonly unknown[];
  readonly validation: { readonly enabled: boolean };
}

/** Reads the route list; throws when the admin API refuses or answers something that is not an inventory. */
export async function inventoryProbeRoutes(admin: AdminAccess): Promise<ProbeRoute[]> {
  const answer = await adminCall<{ routes?: unknown }>(admin, 'GET', '/v1/inventory');
  if (!Array.isArray(answer.routes)) throw new Error('admin API GET /v1/inventory answered without a routes list');
  return answer.routes.map((entry, index) => {
    if (!isEntry(entry)) throw new Error(`admin API GET /v1/inventory: routes[${index}] is not an inventory route`);
    return probeRoute({
      name: entry.name,
      methods: entry.methods,
      template: entry.path,
      host: entry.host ?? undefined,
      authentication: entry.authenticationRequirement ?? (entry.authentication.length > 0 ? 'required' : 'none'),
      public: entry.public,
      apiKey: entry.authentication.includes('apiKey'),
      jwt: entry.authentication.includes('jwt'),
      validated: entry.validation.enabled,
      rateLimited: entry.rateLimits.length > 0,
      scopes: [...new Set([...entry.scopes, ...Object.values(entry.methodScopes).flat()])],
    });
  });
}

const REQUIREMENTS: readonly string[] = ['required', 'optional', 'none'];
const strings = (value: unknown): value is string[] => Array.isArray(value) && value.every((item) => typeof item === 'string');

function isEntry(value: unknown): value is InventoryEntryView {
  if (typeof value !== 'object' || value === null) return false;
  const entry = value as Record<string, unknown>;
  const validation = entry.validation as Record<string, unknown> | null | undefined;
  return (
    typeof entry.name === 'string' &&
    strings(entry.methods) &&
    entry.methods.length > 0 &&
    typeof entry.path === 'string' &&
    (entry.host === null || typeof entry.host === 'string') &&
    strings(entry.authentication) &&
    (entry.authenticationRequirement === undefined || REQUIREMENTS.includes(entry.authenticationRequirement as string)) &&
    typeof entry.public === 'boolean' &&
    strings(entry.scopes) &&
    typeof entry.methodScopes === 'object' &&
    entry.methodScopes !== null &&
    Object.values(entry.methodScopes).every(strings) &&
    Array.isArray(entry.rateLimits) &&
    typeof validation?.enabled === 'boolean'
  );
}
