/**
 * Everything a loaded config compiles into: router, per-route pipelines, upstream pools, trusted
 * proxies, logger. Built once per (re)load and swapped as a whole, so a request sees one config
 * from start to end and never a half-applied reload.
 */
import type { RequestTracer } from '../core/trace-context.js';
import type { DestinationStream } from 'pino';
import type { Clock } from '../core/clock.js';
import type { AuthFailureTracker, GatewayServices, RouteTrafficRecorder, RouteUnmatchedRecorder } from '../core/services.js';
import { requestTemplate, templateVocabulary } from '../config/inventory/shadow.js';
import { effectivePolicy } from '../config/policy-usage.js';
import type { RouteInfo } from '../core/context.js';
import { IDENTITY_HEADERS } from '../core/identity-headers.js';
import { buildPipeline, type Pipeline, type PolicyInstance } from '../core/pipeline.js';
import { servicesFor } from '../core/policy.js';
import type { GatewayConfig, PoliciesConfig, RouteConfig } from '../config/schema.js';
import { ALWAYS_REDACTED_QUERY_PARAMS, createLogger, type Logger } from '../observability/logger.js';
import { LogMasker } from '../observability/log-masking.js';
import { AccessLineWriter } from '../observability/access-line.js';
import type { GatewayMetrics } from '../observability/metrics.js';
import { POLICIES } from '../policies/index.js';
import { TrustedProxies } from '../net/client-ip.js';
import { compilePathTemplate, fillTemplate, type TemplateSegment } from '../http/path-template.js';
import { Router } from '../http/router.js';
import { internalRoutes, type InternalRoutes } from './internal-routes.js';
import { ALWAYS_CREDENTIAL_HEADERS } from './request-head.js';
import { canonicalRouteHost } from '../core/authority.js';
import type { CrlPublication, StoredCrlSource } from '../pki/crl-publication.js';
import { Upstream, type SeenCertificate, type UpstreamTarget } from './upstream.js';
import type { Outbound } from '../outbound/index.js';
import { lifecycleInstance, routeLifecycle } from './route-lifecycle.js';
import { anyMinimumGrade, assessmentGateInstance, type AssessmentGate } from './assessment-gate.js';

export type { AssessmentGate } from './assessment-gate.js';

export interface CompiledRoute {
  readonly info: RouteInfo;
  readonly upstream: Upstream;
  readonly pipeline: Pipeline;
  /** A request path as a template of known words (config/inventory/shadow.ts), for unmatched-request counts. */
  requestTemplate(path: string): string;
  /** The path to send upstream (before the target's base path and the query). */
  upstreamPath(path: string, params: Readonly<Record<string, string>>): string;
}

export interface Runtime {
  readonly config: GatewayConfig;
  readonly logger: Logger;
  /** Where access lines go; undefined when logging.level is above info (no access log). */
  readonly accessLog: AccessLineWriter | undefined;
  readonly router: Router<CompiledRoute>;
  /** Global policies: answer requests that match no route (404/405) with headers, CORS and logs. */
  readonly globalPipeline: Pipeline;
  readonly upstreams: ReadonlyMap<string, Upstream>;
  readonly trustedProxies: TrustedProxies;
  /** Lower-case names of headers a credential is read from: each may appear once (request-head.ts). */
  readonly credentialHeaders: ReadonlySet<string>;
  /** requestId.header, lower-cased as Node presents incoming header names. */
  readonly requestIdHeader: string;
  readonly sensitiveQueryParams: ReadonlySet<string>;
  /** Endpoints the gateway answers itself (the authorization server), matched before routes. */
  readonly internalRoutes: InternalRoutes | undefined;
  /** The private CA's CRL, served at pki.crlPath on every listener. */
  readonly crl: Pick<CrlPublication, 'path' | 'current'> | undefined;
  /** Brute-force counts (the listener's client-certificate refusals count too), and the clock they run on. */
  readonly authFailures: AuthFailureTracker | undefined;
  readonly clock: Clock;
  /** The gateway's metrics (undefined in tools and tests that build a runtime alone). */
  readonly metrics: GatewayMetrics | undefined;
  /** Starts each request's server span when tracing is on (observability/tracing.ts); undefined when off. */
  readonly tracer: RequestTracer | undefined;
  /** With a store: counts each routed response by route and consumer (the inventory's traffic figures). */
  readonly traffic: RouteTrafficRecorder | undefined;
  /** With a store: counts requests on a whole-contract route that matched no operation. */
  readonly unmatched: RouteUnmatchedRecorder | undefined;
  /**
   * upstreams.<name>.assess.minimumGrade (server/assessments.ts): throws 503
   * upstream.assessment_below_minimum for an upstream below its floor. Undefined (a runtime built
   * alone, in tools and tests): an upstream with a minimum is refused.
   */
  readonly assessmentGate?: AssessmentGate | undefined;
  /** A request starts or ends on this runtime. */
  acquire(): void;
  release(): void;
  /** After a reload: close the upstream pools once the requests still on this runtime are done. */
  retire(): Promise<void>;
  close(): Promise<void>;
}

/** Headers the gateway and its policies own: stripped from every incoming request, on every route. */
const OWNED_HEADERS = [...IDENTITY_HEADERS, ...POLICIES.flatMap(({ definition }) => definition.ownedUpstreamHeaders ?? [])];

/** Credential locations named in any policy config (global or per route), for the log's redaction. */
function credentialLocations(config: GatewayConfig): { headers: string[]; queryParams: string[] } {
  const headers: string[] = [];
  const queryParams: string[] = [];
  for (const policies of [config.policies, ...config.routes.map((route) => route.policies)]) {
    for (const { definition } of POLICIES) {
      const policyConfig = policies[definition.name];
      if (!policyConfig || !definition.credentialLocations) continue;
      const found = definition.credentialLocations(policyConfig as never);
      headers.push(...found.headers);
      queryParams.push(...found.queryParams);
    }
  }
  return { headers, queryParams };
}

/** The logging.level values at which access lines (level info) are written. */
const ACCESS_LEVELS: ReadonlySet<string> = new Set(['info', 'debug', 'trace']);

export function buildRuntime(
  config: GatewayConfig,
  destination: DestinationStream,
  clock: Clock,
  /** Makes the upstream pools (the gateway's connect hook and resolver). */
  outbound: Outbound,
  services: GatewayServices = {},
  metrics?: GatewayMetrics,
  onUpstreamCertificate?: (upstream: string, target: UpstreamTarget, certificate: SeenCertificate) => void,
  tracer?: RequestTracer,
  counters: { readonly traffic?: RouteTrafficRecorder | undefined; readonly unmatched?: RouteUnmatchedRecorder | undefined } = {},
  assessmentGate?: AssessmentGate,
): Runtime {
  const credentials = credentialLocations(config);
  const redactHeaders = [...config.logging.redactHeaders, ...credentials.headers];
  const logger = createLogger({ level: config.logging.level, redactHeaders, maskDetected: config.logging.maskDetected, tap: metrics?.logEvents }, destination);
  const requestIdHeader = config.requestId.header.toLowerCase();
  const upstreams = new Map(Object.entries(config.upstreams).map(([name, upstream]) => [name, new Upstream(name, upstream, requestIdHeader, OWNED_HEADERS, logger, clock, outbound, () => metrics?.targetCooldowns.inc({ upstream: name }), (target, certificate) => onUpstreamCertificate?.(name, target, certificate), () => metrics?.credentialUnavailable.inc({ credential: `upstreams.${name}.auth`, reason: 'secret_unavailable' }))]));
  const env = { logger, clock, services };
  // minimumGrade is checked before the transform phase (assessment-gate.ts): before upstream-auth.
  const gated = anyMinimumGrade(config.upstreams);
  const routes = config.routes.map((route) => compileRoute(route, config, upstreams.get(route.upstream)!, env, gated ? assessmentGateInstance(route.upstream, upstreams, assessmentGate) : undefined));
  const router = new Router(
    routes.map(({ compiled, route, segments }) => ({ route: compiled, methods: route.methods, segments, host: route.host === undefined ? undefined : canonicalRouteHost(route.host) })),
  );
  const globalPolicies = instantiatePolicies(config.policies, {}, undefined, env);
  let inflight = 0;
  let retired: (() => void) | undefined;
  const close = async () => {
    await Promise.all([...upstreams.values()].map((upstream) => upstream.close()));
  };
  return {
    config,
    logger,
    accessLog: ACCESS_LEVELS.has(config.logging.level) ? new AccessLineWriter(destination, redactHeaders, new LogMasker(config.logging.maskDetected)) : undefined,
    router,
    globalPipeline: buildPipeline(globalPolicies),
    upstreams,
    trustedProxies: new TrustedProxies(config.trustedProxies),
    credentialHeaders: new Set([...ALWAYS_CREDENTIAL_HEADERS, ...credentials.headers]),
    requestIdHeader,
    internalRoutes: internalRoutes(services.endpoints, globalPolicies),
    authFailures: services.authFailures,
    clock,
    metrics,
    tracer,
    traffic: counters.traffic,
    unmatched: counters.unmatched,
    assessmentGate,
    crl: config.pki ? lazyCrlPublication(config.pki.crlPath, config.pki.caDir, services.caCrls) : undefined,
    sensitiveQueryParams: new Set([...ALWAYS_REDACTED_QUERY_PARAMS, ...[...config.logging.redactQueryParams, ...credentials.queryParams].map((name) => name.toLowerCase())]),
    acquire() {
      inflight++;
    },
    release() {
      inflight--;
      if (inflight === 0) retired?.();
    },
    async retire() {
      if (inflight > 0) await new Promise<void>((resolve) => (retired = resolve));
      await close();
    },
    close,
  };
}

interface PolicyEnvironment {
  logger: Logger;
  clock: Clock;
  services: GatewayServices;
}

function compileRoute(route: RouteConfig, config: GatewayConfig, upstream: Upstream, env: PolicyEnvironment, gate: PolicyInstance | undefined) {
  const global = config.policies;
  let vocabulary: ReadonlySet<string> | undefined;
  const segments = mustCompile(route.path);
  const rewrite = route.rewrite === undefined ? undefined : mustCompile(route.rewrite);
  const stripPrefix = route.stripPrefix?.replace(/\/+$/, '');
  const lifecycle = routeLifecycle(route);
  const policies = instantiatePolicies(global, route.policies, route.methods, { ...env, logger: env.logger.child({ route: route.name }) });
  const compiled: CompiledRoute = {
    info: { name: route.name, methods: route.methods, upstream: route.upstream },
    upstream,
    pipeline: buildPipeline([...policies, ...(lifecycle ? [lifecycleInstance(lifecycle, env.clock)] : []), ...(gate ? [gate] : [])]),
    requestTemplate(path) {
      // Built on the first unmatched request: most routes never have one.
      vocabulary ??= templateVocabulary(effectivePolicy(config, route, 'validate'), route.path);
      return requestTemplate(path, vocabulary);
    },
    upstreamPath(path, params) {
      if (rewrite) return fillTemplate(rewrite, params);
      if (stripPrefix !== undefined) {
        const rest = path.slice(stripPrefix.length);
        return rest.startsWith('/') ? rest : `/${rest}`;
      }
      return path;
    },
  };
  return { compiled, route, segments };
}

/** A route's config for a policy replaces the global one; `enabled: false` turns it off there. */
function instantiatePolicies(global: PoliciesConfig, local: PoliciesConfig, routeMethods: readonly string[] | undefined, env: PolicyEnvironment): PolicyInstance[] {
  const instances: PolicyInstance[] = [];
  for (const { definition, order } of POLICIES) {
    const config = local[definition.name] ?? global[definition.name];
    if (!config || config.enabled === false) continue;
    const handlers = definition.create(config as never, { logger: env.logger.child({ policy: definition.name }), clock: env.clock, routeMethods, services: servicesFor(definition, env.services) });
    instances.push({ name: definition.name, order, handlers });
  }
  return instances;
}

function mustCompile(template: string): TemplateSegment[] {
  const result = compilePathTemplate(template);
  // The loader has checked every template; reaching this is a bug, not a config problem.
  if (!result.ok) throw new Error(`path template "${template}" did not compile: ${result.message}`);
  return result.segments;
}

/**
 * The private CA's CRL publication, loaded (with @peculiar/x509, ~0.1 s of CPU) on the first
 * request for the CRL rather than at start: same path, same answers.
 */
function lazyCrlPublication(path: string, caDir: string, store: StoredCrlSource | undefined): Pick<CrlPublication, 'path' | 'current'> {
  let publication: Promise<CrlPublication> | undefined;
  return {
    path,
    async current() {
      publication ??= import('../pki/crl-publication.js').then(({ CrlPublication }) => new CrlPublication(path, caDir, store));
      return (await publication).current();
    },
  };
}
