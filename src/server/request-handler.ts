/**
 * One request, start to end: read the head's facts, run the admission table (admission.ts), build
 * the context, then run what admission chose: a refusal (a problem), an answer of the gateway's
 * own (redirect, CRL), an internal route (built-in endpoints: receive and limit phases, then the
 * endpoint), or a route (the request phases, then the upstream). The respond phase runs on
 * whatever answers (responder.ts) and the log phase always. Any error takes one path: a
 * problem+json response.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { RequestContext } from '../core/context.js';
import { GatewayError, toGatewayError } from '../core/errors.js';
import { identityHeaders } from '../core/identity-headers.js';
import { runPhase, runRequestPhases } from '../core/pipeline.js';
import { admit, allowHeader, type Admission } from './admission.js';
import { logAccess } from './access-log.js';
import { normalizeIp } from '../net/client-ip.js';
import type { InternalRoute } from './internal-routes.js';
import { proxyRequest } from './proxy.js';
import { createContext } from './request-context.js';
import { readRequestFacts, type ListenerInfo } from './request-facts.js';
import { Responder } from './responder.js';
import type { CompiledRoute, Runtime } from './runtime.js';
import type { RequestOutcome } from '../observability/metrics.js';

export type { ListenerInfo } from './request-facts.js';
export { MAX_BUFFERED_BODY_BYTES } from './request-context.js';

export interface RequestHandlerOptions {
  readonly listener: ListenerInfo;
  readonly runtime: () => Runtime;
  /** True once shutdown has begun: responses then close their connection. */
  readonly draining: () => boolean;
  /** True when this request should be shed (503 overloaded) before any work is done for it. */
  readonly overloaded: () => boolean;
  readonly onStart: () => void;
  /** When the request is over, however it ended: for metrics. */
  readonly onEnd: (outcome: RequestOutcome) => void;
}

/**
 * Connections on which a request with faulty framing arrived (RFC 9112 §6.1): where its body ends
 * is a guess, so whatever the parser read after it (a pipelined request, perhaps smuggled) is
 * never served; the connection closes after the answer to the faulty one.
 */
const framingFaults = new WeakSet<object>();

export function createRequestHandler(options: RequestHandlerOptions) {
  const { listener } = options;
  return function handleRequest(req: IncomingMessage, res: ServerResponse): void {
    if (framingFaults.has(req.socket)) {
      // Node emits pipelined requests while the first is answered; this one is dropped with its
      // connection, which closes once that answer (Connection: close) is sent.
      options.runtime().logger.warn({ event: 'request.after_framing_fault', listener: listener.name, clientIp: normalizeIp(req.socket.remoteAddress) }, 'dropped a request read after a request with faulty framing');
      return;
    }
    options.onStart();
    const runtime = options.runtime();
    runtime.acquire();
    const facts = readRequestFacts(req, runtime, listener, options.overloaded());
    if (facts.head.framingFault) framingFaults.add(req.socket);
    const { admission } = admit(facts);
    const { ctx, finish } = createContext(facts, admission, res);
    const pipeline = admission.kind === 'route' ? admission.route.pipeline : admission.kind === 'endpoint' ? admission.endpoint.pipeline : runtime.globalPipeline;
    res.once('close', () => {
      finish();
      // performance.now() is monotonic: a wall-clock step (NTP) cannot make a duration negative.
      options.onEnd({
        route: ctx.route.name,
        method: ctx.method,
        status: res.headersSent ? res.statusCode : 0,
        durationSeconds: (performance.now() - ctx.startedAt) / 1000,
        upstreamSeconds: ctx.upstream.latencyMs === undefined ? undefined : ctx.upstream.latencyMs / 1000,
        // Only refused requests carry who was refused (the alert engine's auth_failure_spike).
        refused: res.statusCode === 401 || res.statusCode === 403 ? { consumer: ctx.principal?.consumerId, clientIp: ctx.clientIp, requestId: ctx.requestId } : undefined,
        requestId: ctx.requestId,
        errorCode: ctx.error?.code,
      });
      // The inventory's traffic figures: routed requests only, by consumer (in memory, flushed later).
      if (admission.kind === 'route') {
        runtime.traffic?.record(ctx.route.name, ctx.principal?.consumerId ?? '-', !res.headersSent || res.statusCode >= 500, runtime.clock.now());
        // On a matched route only the validate policy answers 404/405 (no operation of the contract
        // matches): a request for an API the contract does not describe (issue 24 §2).
        const code = ctx.error?.code;
        if (runtime.unmatched && !ctx.isPreflight && (code === 'route.not_found' || code === 'route.method_not_allowed')) runtime.unmatched.record(ctx.route.name, ctx.method, admission.route.requestTemplate(ctx.path), runtime.clock.now());
      }
      runtime.release();
      ctx.span?.end({ status: res.headersSent ? res.statusCode : 0, route: ctx.route.name, upstream: ctx.upstreamName ?? (ctx.upstream.target === undefined ? undefined : ctx.route.upstream), errorCode: ctx.error?.code });
      logAccess(ctx, res, runtime);
      // The log phase runs for every request, answered or not (DESIGN.md §2).
      if (pipeline.log.length > 0) {
        runPhase(pipeline.log, ctx).catch((error: unknown) => runtime.logger.error({ event: 'log.policy_failed', requestId: ctx.requestId, err: error }, 'a log-phase policy failed'));
      }
    });
    const respond = new Responder(ctx, res, runtime, pipeline, options.draining, facts.tls?.hsts, facts.head.framingFault);
    run(admission, ctx, runtime, res, respond, listener)
      .catch((error: unknown) => respond.problem(toGatewayError(error)))
      .catch((error: unknown) => {
        // Even the problem response failed (a broken socket, say): log it and drop the connection.
        runtime.logger.error({ event: 'request.response_failed', requestId: ctx.requestId, err: error }, 'could not send a response');
        res.destroy();
      });
  };
}

/** Carries out what admission decided. */
async function run(admission: Admission, ctx: RequestContext, runtime: Runtime, res: ServerResponse, respond: Responder, listener: ListenerInfo): Promise<void> {
  switch (admission.kind) {
    case 'refuse':
      return respond.problem(admission.error);
    case 'answer':
      return respond.direct(await admission.answer(ctx));
    case 'endpoint':
      return runInternalRoute(admission.endpoint, ctx, respond);
    case 'route':
      return runRoute(admission.route, ctx, runtime, res, respond, listener);
  }
}

/** A built-in endpoint: the receive and limit phases (internal-routes.ts), then the endpoint itself. */
async function runInternalRoute(endpoint: InternalRoute, ctx: RequestContext, respond: Responder): Promise<void> {
  // No request-phase policy, no promise: the phases cost nothing where there are none.
  const direct = endpoint.pipeline.request.length === 0 ? undefined : await runRequestPhases(endpoint.pipeline, ctx);
  if (ctx.finished) return;
  if (direct) return respond.direct(direct);
  const answer = await endpoint.handle(ctx);
  if (ctx.method === 'HEAD') delete answer.body;
  await respond.direct(answer);
}

/** A configured route: every request phase, then the upstream. */
async function runRoute(route: CompiledRoute, ctx: RequestContext, runtime: Runtime, res: ServerResponse, respond: Responder, listener: ListenerInfo): Promise<void> {
  const direct = route.pipeline.request.length === 0 ? undefined : await runRequestPhases(route.pipeline, ctx);
  if (ctx.finished) return;
  if (direct) return respond.direct(direct);
  // An anonymous request has no identity headers to set (the incoming ones are never forwarded).
  if (ctx.principal) Object.assign(ctx.upstreamHeaders, identityHeaders(ctx.principal));
  if (ctx.isPreflight && !ctx.route.methods.includes('OPTIONS')) {
    // A preflight that no CORS policy answered: the route does not serve OPTIONS itself.
    throw new GatewayError('route.method_not_allowed', { detail: 'This route does not allow cross-origin requests.', headers: { allow: allowHeader(ctx.route.methods) } });
  }
  await proxyRequest(ctx, route, runtime, res, listener.bodyIdleTimeoutMs, {
    writeHead: (_ctx, status, headers, body) => respond.head(status, headers, 'upstream', body),
  });
}
