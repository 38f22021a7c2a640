/**
 * The policy contract. A policy is one module: a name, a config schema (merged into the config
 * file's schema) and a factory that runs once at load and returns a handler per phase it acts in.
 * Handlers throw a GatewayError to stop a request, or return a DirectResponse to answer it
 * without the upstream (a CORS preflight, say).
 */
import { Type, type TObject, type TProperties, type Static } from '@sinclair/typebox';
import type { Clock } from './clock.js';
import type { EventLogger } from './log-events.js';
import type { DirectResponse, RequestContext } from './context.js';
import type { GatewayServices, ServiceName } from './services.js';

export type { DirectResponse } from './context.js';

/** The fixed order of the request lifecycle (DESIGN.md §2). */
export const PHASES = ['receive', 'authenticate', 'authorize', 'limit', 'validate', 'transform', 'proxy', 'respond', 'log'] as const;
export type Phase = (typeof PHASES)[number];
/** Phases that run before the upstream is called. */
export const REQUEST_PHASES = ['receive', 'authenticate', 'authorize', 'limit', 'validate', 'transform'] as const;
export type RequestPhase = (typeof REQUEST_PHASES)[number];
/** The proxy phase belongs to the gateway itself; policies act in the others. */
export type PolicyPhase = Exclude<Phase, 'proxy'>;

export type PolicyHandler = (ctx: RequestContext) => void | DirectResponse | Promise<void | DirectResponse>;
export type PolicyHandlers = Partial<Record<PolicyPhase, PolicyHandler>> & {
  /**
   * The respond handler reads or changes the upstream's body (ctx.response.body). On a route with
   * such a handler the gateway asks the upstream only for content codings it can decode
   * (Accept-Encoding narrowed to gzip, deflate, br, identity), so none reaches a policy encoded.
   */
  readonly respondReadsBody?: boolean;
};

/** The gateway's services with the ones in `R` present: what a policy that requires R is given. */
export type ProvidedServices<R extends ServiceName> = GatewayServices & { readonly [K in R]-?: NonNullable<GatewayServices[K]> };

export interface PolicyDeps<R extends ServiceName = never> {
  readonly logger: EventLogger;
  readonly clock: Clock;
  /** The route this instance serves, or undefined for a global instance. */
  readonly routeMethods: readonly string[] | undefined;
  readonly services: ProvidedServices<R>;
}

export interface ConfigIssue {
  /** Where in the config file, e.g. `routes[2].policies.cors.allowOrigins`. */
  path: string;
  message: string;
}

export interface PolicyDefinition<S extends TObject = TObject, N extends string = string, R extends ServiceName = ServiceName> {
  /** The policy's key in config files and in the order table (policies/order.ts). */
  readonly name: N;
  /**
   * The services (keys of GatewayServices) this policy cannot work without. The gateway opens
   * what the active policies require, at start and on reload (or refuses a reload that needs one
   * only a restart can open), and create() gets them typed as present.
   */
  readonly requires?: readonly R[];
  readonly description: string;
  /** On for every route unless a config says `enabled: false` (safe defaults). */
  readonly enabledByDefault: boolean;
  readonly configSchema: S;
  /**
   * Upstream headers this policy owns (identity headers, say). The gateway removes them from every
   * incoming request on every route, whether or not the policy runs there, so a client can never
   * pass its own values through.
   */
  readonly ownedUpstreamHeaders?: readonly string[];
  /**
   * Where this config puts credentials (header names, query parameters): redacted in every log
   * line, whatever the logging config says.
   */
  credentialLocations?(config: Static<S>): { headers: readonly string[]; queryParams: readonly string[] };
  /** Upstream names this config refers to (checked to exist, like routes[].upstream). */
  upstreamReferences?(config: Static<S>): Array<{ path: string; upstream: string }>;
  /** Files this config reads at load (an OpenAPI contract): a change to one reloads the config, like a change to the config file. */
  watchedFiles?(config: Static<S>): readonly string[];
  /** Checks the schema cannot express; returns issues relative to the policy's config. */
  check?(config: Static<S>): ConfigIssue[];
  create(config: Static<S>, deps: PolicyDeps<R>): PolicyHandlers;
}

/**
 * Keeps the name's literal type, so the registry (policies/index.ts) can check at compile time
 * that every policy has exactly one entry in the order table.
 */
export function definePolicy<const N extends string, S extends TObject, const R extends ServiceName = never>(definition: PolicyDefinition<S, N, R>): PolicyDefinition<S, N, R> {
  return definition;
}

/**
 * The services for a policy's create(): `services` itself, once every service the policy requires
 * is there. Throws when one is missing: the gateway opens them before it builds (a bug otherwise).
 */
export function servicesFor<R extends ServiceName>(definition: Pick<PolicyDefinition<TObject, string, R>, 'name' | 'requires'>, services: GatewayServices): ProvidedServices<R> {
  for (const name of definition.requires ?? []) {
    if (services[name] === undefined) throw new Error(`the ${definition.name} policy requires the ${name} service, which is not open`);
  }
  return services as ProvidedServices<R>;
}

/** A policy's config object: its own options plus `enabled`, unknown keys refused. */
export function policyConfig<P extends TProperties>(properties: P, description: string) {
  return Type.Object(
    {
      enabled: Type.Boolean({ default: true, description: 'Set to false to turn the policy off here (a route can turn off a global policy).' }),
      ...properties,
    },
    { additionalProperties: false, description },
  );
}
