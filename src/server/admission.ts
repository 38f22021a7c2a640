/**
 * The admission table: what the gateway decides about a request from its head alone, before any
 * policy runs. One ordered list of named steps, each a small function that either passes (returns
 * undefined) or decides: refuse with a problem, answer itself (a redirect, the CRL), hand the
 * request to a built-in endpoint, or to a route. The first step that decides wins, so the order is
 * the security order: shedding first (its point is to do no work), faulty framing before anything
 * that would answer on that connection, the redirect before anything served in clear, and the
 * route match last. docs/http.md#admission lists the same steps for operators.
 *
 * Steps are pure decisions on `RequestFacts` (computed once from the head, see request-facts.ts);
 * they do no I/O, so a primary/worker model can run the same table anywhere.
 */
import { blockedError, clientCertificateError, countCertificateFailure } from '../core/client-certificate.js';
import type { ClientCertificate, RequestContext } from '../core/context.js';
import { GatewayError } from '../core/errors.js';
import type { DirectResponse } from '../core/policy.js';
import { parseAuthority } from '../core/authority.js';
import type { InternalRoute } from './internal-routes.js';
import type { RequestFacts } from './request-facts.js';
import type { CompiledRoute, Runtime } from './runtime.js';

/** What admission decided; `route` and `endpoint` go on to the policies. */
export type Admission =
  | { readonly kind: 'refuse'; readonly error: GatewayError }
  /** The gateway answers before any policy (a redirect, the CRL); the global respond and log phases run. */
  | { readonly kind: 'answer'; answer(ctx: RequestContext): Promise<DirectResponse> }
  | { readonly kind: 'endpoint'; readonly endpoint: InternalRoute }
  | { readonly kind: 'route'; readonly route: CompiledRoute; readonly params: Record<string, string> };

export interface AdmissionStep {
  /** As named in docs/http.md#admission. */
  readonly name: string;
  readonly admit: (facts: RequestFacts) => Admission | undefined;
}

/**
 * The methods routes may serve (config schema). Others that Node's parser accepts (TRACE,
 * PROPFIND, ...) are not implemented by the gateway at all: 501, not 405 (RFC 9110 §9.1, §15.6.2).
 */
const GATEWAY_METHODS = new Set(['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS']);

const refuse = (error: GatewayError): Admission => ({ kind: 'refuse', error });

/** The steps, in the order they run. Keep docs/http.md#admission in step. */
export const ADMISSION_STEPS: readonly AdmissionStep[] = [
  { name: 'overload', admit: shedWhenOverloaded },
  { name: 'framing', admit: (f) => (f.head.framingFault ? refuse(f.head.problem!) : undefined) },
  { name: 'https-redirect', admit: redirectToHttps },
  { name: 'crl', admit: serveCrl },
  { name: 'uri-length', admit: (f) => (f.uriTooLong ? refuse(new GatewayError('request.uri_too_long', { detail: `The request target is longer than ${f.listener.maxUriBytes} bytes.` })) : undefined) },
  { name: 'request-head', admit: (f) => (f.head.problem ? refuse(f.head.problem) : undefined) },
  { name: 'method', admit: (f) => (GATEWAY_METHODS.has(f.method) ? undefined : refuse(new GatewayError('request.not_implemented', { detail: `${f.method} is not a method this gateway serves.` }))) },
  { name: 'https-only', admit: refuseCleartext },
  { name: 'client-certificate', admit: requireListenerCertificate },
  { name: 'forwarded-for', admit: (f) => (f.ip.ok ? undefined : refuse(new GatewayError('request.malformed', { detail: 'The X-Forwarded-For chain from a trusted proxy holds an invalid address.' }))) },
  { name: 'forwarded-host', admit: checkForwardedHost },
  { name: 'request-target', admit: (f) => (f.target.ok ? undefined : refuse(new GatewayError('request.malformed', { detail: `The request target is not acceptable: ${f.target.reason}.` }))) },
  { name: 'builtin-endpoints', admit: matchBuiltinEndpoint },
  { name: 'route', admit: matchRoute },
];

/** Runs the table: the first step that decides. The last step (route) always decides. */
export function admit(facts: RequestFacts, steps: readonly AdmissionStep[] = ADMISSION_STEPS): { step: string; admission: Admission } {
  for (const step of steps) {
    const admission = step.admit(facts);
    if (admission) return { step: step.name, admission };
  }
  throw new Error('the admission table ended without a decision (its last step must always decide)');
}

/** Shedding comes before everything, the public CRL and redirects included: that is its point. */
function shedWhenOverloaded(facts: RequestFacts): Admission | undefined {
  if (!facts.shed) return undefined;
  return refuse(new GatewayError('overloaded', { detail: 'The gateway is at capacity; retry shortly.', headers: { 'retry-after': String(facts.runtime.config.overload.retryAfterSeconds) } }));
}

/** RFC 9110 §15.4.9: 308 keeps the method and body; the client repeats the request over TLS. */
function redirectToHttps({ listener, head, req, target }: RequestFacts): Admission | undefined {
  if (listener.plainHttp !== 'redirect' || head.host === '') return undefined;
  const port = listener.httpsPort === 443 ? '' : `:${listener.httpsPort}`;
  const location = `https://${head.host}${port}${req.url?.startsWith('/') ? req.url : target.path + target.search}`;
  return { kind: 'answer', answer: async () => ({ status: 308, headers: { location, 'content-type': 'text/plain' }, body: 'Use HTTPS.\n' }) };
}

/** The private CA's CRL: public, unauthenticated, on every listener, so partners can always reach it. */
function serveCrl({ runtime, target, method }: RequestFacts): Admission | undefined {
  const crl = runtime.crl;
  if (!crl || target.path !== crl.path || (method !== 'GET' && method !== 'HEAD')) return undefined;
  return {
    kind: 'answer',
    async answer() {
      const der = await crl.current();
      if (!der) throw new GatewayError('route.not_found', { detail: 'No CRL has been published yet.' });
      const headers = { 'content-type': 'application/pkix-crl', 'cache-control': 'public, max-age=60' };
      if (method === 'HEAD') return { status: 200, headers: { ...headers, 'content-length': String(der.length) } };
      return { status: 200, headers, body: der };
    },
  };
}

/**
 * A plain-HTTP listener in `refuse` mode serves nothing; one in `redirect` mode redirects what
 * names a host (above) and refuses the rest (HTTP/1.0 without Host, an empty Host): it has
 * nowhere to send those, and must not serve them in clear.
 */
function refuseCleartext({ listener }: RequestFacts): Admission | undefined {
  if (listener.plainHttp === 'serve') return undefined;
  return refuse(new GatewayError('request.https_required', { detail: 'This address serves HTTPS only.' }));
}

/** Listener mode `required`: no request is served without a valid certificate, whatever the route. */
function requireListenerCertificate({ tls, clientCertificate, runtime, ip, peerIp }: RequestFacts): Admission | undefined {
  if (tls?.mode !== 'required' || clientCertificate?.status === 'verified') return undefined;
  return listenerCertificateRefusal(clientCertificate, ip.ok ? ip.clientIp : peerIp, runtime);
}

/**
 * 429 for a blocked client, else the certificate's problem, counted as an authentication failure.
 * The count is the one step here that may wait (under `--workers` it is the primary's, and a
 * block it starts reaches every worker before the answer goes out), so it runs as an answer.
 */
function listenerCertificateRefusal(outcome: ClientCertificate | undefined, clientIp: string, runtime: Runtime): Admission {
  const accounting = {
    failures: runtime.authFailures,
    clientIp,
    now: runtime.clock.now(),
    onBlocked: () => runtime.logger.warn({ event: 'auth.client_blocked', clientIp }, 'too many failed authentications: client blocked'),
  };
  const blocked = blockedError(accounting);
  if (blocked) return refuse(blocked);
  return {
    kind: 'answer',
    async answer() {
      await countCertificateFailure(outcome, accounting);
      throw clientCertificateError(outcome)!;
    },
  };
}

/**
 * X-Forwarded-Host from a trusted proxy is passed on (forwarding.ts): each of its elements must be
 * a host and optional port, like Host itself.
 */
function checkForwardedHost({ ip, req }: RequestFacts): Admission | undefined {
  const value = req.headers['x-forwarded-host'];
  if (!ip.ok || !ip.peerTrusted || value === undefined) return undefined;
  for (const element of String(value).split(',')) {
    const parsed = parseAuthority(element.trim());
    if (!parsed.ok || parsed.host === '') return refuse(new GatewayError('request.malformed', { detail: 'The X-Forwarded-Host from a trusted proxy is not a host and optional port.' }));
  }
  return undefined;
}

/** The gateway's own endpoints (the authorization server), matched before routes. */
function matchBuiltinEndpoint({ runtime, method, target }: RequestFacts): Admission | undefined {
  const endpoint = runtime.internalRoutes?.match(method, target.path);
  return endpoint ? { kind: 'endpoint', endpoint } : undefined;
}

function matchRoute({ runtime, method, head, target, isPreflight, req }: RequestFacts): Admission {
  // A preflight is routed as the request it announces (Fetch standard, CORS protocol).
  const routedMethod = isPreflight ? String(req.headers['access-control-request-method']).toUpperCase() : method;
  const match = runtime.router.match(routedMethod, head.host, target.path);
  if (match.kind === 'found') return { kind: 'route', route: match.route, params: match.params };
  if (match.kind === 'method_not_allowed') return refuse(new GatewayError('route.method_not_allowed', { detail: `${method} is not allowed here.`, headers: { allow: allowHeader(match.allow) } }));
  return refuse(new GatewayError('route.not_found', { detail: 'No route matches this method, host and path.' }));
}

/** The Allow header for a route's methods (HEAD wherever GET is, RFC 9110 §9.3.2). */
export function allowHeader(methods: readonly string[]): string {
  const all = new Set(methods);
  if (all.has('GET')) all.add('HEAD');
  return [...all].sort().join(', ');
}
