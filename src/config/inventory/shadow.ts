/**
 * Shadow and zombie APIs from the config (issue 24 §2, docs/inventory.md#shadow-and-zombie-apis):
 * routes no contract describes (whatever they expose is known only to the upstream), and contract
 * operations no route serves (documented, but not reachable through the gateway: removed, or
 * served some other way). Requests that reached a catch-all route but matched no operation of its
 * contract are counted at run time (store/route-unmatched.ts); `requestTemplate` turns such a
 * request path into a template that never carries what the client wrote in it.
 */
import { relative } from 'node:path';
import type { GatewayConfig } from '../schema.js';
import { effectivePolicy } from '../policy-usage.js';
import { readContractDocument } from '../../openapi/contract.js';
import { contractBinding, operationName } from './route-inventory.js';

type Loose = Record<string, unknown>;

/** Methods a route may serve; TRACE operations are never routed, so never reported. */
const ROUTABLE = new Set(['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS']);

export interface UncontractedRoute {
  readonly route: string;
  readonly methods: readonly string[];
  readonly path: string;
}

export interface UnroutedOperation {
  readonly contract: string;
  readonly operation: string;
  readonly method: string;
  readonly path: string;
}

export interface ConfigShadow {
  readonly uncontracted: readonly UncontractedRoute[];
  readonly unrouted: readonly UnroutedOperation[];
}

export function configShadow(config: GatewayConfig, baseDir: string | undefined): ConfigShadow {
  const uncontracted: UncontractedRoute[] = [];
  const served = new Map<string, Set<string>>();
  for (const route of config.routes) {
    const validate = effectivePolicy(config, route, 'validate');
    const binding = contractBinding(validate, route);
    if (!binding || typeof validate?.contract !== 'string') {
      uncontracted.push({ route: route.name, methods: route.methods, path: route.path });
      continue;
    }
    const pointers = served.get(validate.contract) ?? new Set<string>();
    for (const { operation } of binding.operations) pointers.add(operation.pointer);
    served.set(validate.contract, pointers);
  }
  const unrouted: UnroutedOperation[] = [];
  for (const [contract, pointers] of served) {
    for (const operation of readContractDocument(contract).operations) {
      if (!ROUTABLE.has(operation.method) || pointers.has(operation.pointer)) continue;
      unrouted.push({ contract: baseDir ? relative(baseDir, contract) : contract, operation: operationName(operation), method: operation.method, path: operation.path });
    }
  }
  return { uncontracted, unrouted };
}

/**
 * The words a request path may keep in its template: the static segments of the contract's paths
 * (with the validate pathPrefix) and of the route's own path. Anything else a client wrote becomes
 * `{param}`: a path may hold identifiers, names or e-mail addresses, which must not be stored.
 */
export function templateVocabulary(validate: Loose | undefined, routePath: string): ReadonlySet<string> {
  const words = new Set(routePath.split('/').filter((part) => part !== '' && !part.startsWith(':') && part !== '*'));
  if (!validate || typeof validate.contract !== 'string') return words;
  if (typeof validate.pathPrefix === 'string') for (const part of validate.pathPrefix.split('/')) if (part !== '') words.add(part);
  try {
    for (const operation of readContractDocument(validate.contract).operations) {
      for (const part of operation.path.split('/')) if (part !== '' && !part.includes('{')) words.add(part);
    }
  } catch {
    // A contract that cannot be read fails config validate; nothing to add here.
  }
  return words;
}

/** `/v1/accounts/123/transfers` → `/v1/accounts/{param}/{param}` when only v1 and accounts are known words. */
export function requestTemplate(path: string, vocabulary: ReadonlySet<string>): string {
  const parts = path.split('/').slice(1, 33).map((part) => (vocabulary.has(part) ? part : '{param}'));
  return `/${parts.join('/')}`;
}
