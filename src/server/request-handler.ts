/**
 * One request, start to end: read the target, resolve client IP, request id and trace, match the
 * route, run the request phases, proxy, run the respond phase on whatever answers (upstream,
 * problem or a policy), and log, always. Any error takes one path: a problem+json response.
 */
import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { TLSSocket } from 'node:tls';
import { blockedError, clientCertificateError, countCertificateFailure } from '../core/client-certificate.js';
import type { ClientCertificate, HeaderMap, RequestContext, RouteInfo } from '../core/context.js';
import { GatewayError, toGatewayError } from '../core/errors.js';
import { identityHeaders } from '../core/identity-headers.js';
import { runPhase, runRequestPhases, type Pipeline } from '../core/pipeline.js';
import type { DirectResponse } from '../core/policy.js';
import type { BuiltinEndpoint } from '../core/services.js';
import { buildProblem, problemHeaders, serializeProblem } from '../core/problem.js';
import { continueTrace, formatTraceparent } from '../core/trace-context.js';
import { normalizeIp, resolveClientIp } from './client-ip.js';
import { BodyGuard } from './body-guard.js';
import { requestHasBody } from '../http/request-body.js';
import { proxyRequest } from './proxy.js';
import { logAccess } from './access-log.js';
import { checkRequestHead } from './request-head.js';
import { parseRequestTarget, tooLongTarget } from './request-target.js';
import { parseAuthority } from '../core/authority.js';
import type { CompiledRoute, Runtime } from './runtime.js';
import type { ListenerTls } from './listener-tls.js';

export interface ListenerInfo {
  readonly name: string;
  readonly protocol: 'http' | 'https';
  readonly bodyIdleTimeoutMs: number;
  /** Longest request target accepted; longer gets 414 (RFC 9112 §3). */
  readonly maxUriBytes: number;
  /** An HTTPS listener's TLS state (replaced on reload); undefined for plain HTTP. */
  readonly tls: () => ListenerTls | undefined;
  /** A plain-HTTP listener: serve, redirect to HTTPS (308) or refuse (403). */
  readonly plainHttp: 'serve' | 'redirect' | 'refuse';
  readonly httpsPort: number;
}

export interface RequestHandlerOptions {
  readonly listener: ListenerInfo;
  readonly runtime: () => Runtime;
  /** True once shutdown has begun: responses then close their connection. */
  readonly draining: () => boolean;
  /** True when this request should be shed (503 overloaded) before any work is done for it. */
  readonly overloaded: () => boolean;
  readonly onStart: () => void;
  /** With the route's name and the status sent (0 if none). */
  readonly onEnd: (route: string, status: number) => void;
}

/**
 * A body a policy reads into memory is capped here whatever the size limit says (even with
 * request-size-limit off): concurrent requests must not be able to fill the heap.
 */
export const MAX_BUFFERED_BODY_BYTES = 10 * 1024 * 1024;

const NO_ROUTE: RouteInfo = Object.freeze({ name: '(none)', methods: [], upstream: '' });
const SAFE_REQUEST_ID = /^[A-Za-z0-9._:-]{1,128}$/;
/**
 * The methods routes may serve (config schema). Others that Node's parser accepts (TRACE,
 * PROPFIND, ...) are not implemented by the gateway at all: 501, not 405 (RFC 9110 §9.1, §15.6.2).
 */
const GATEWAY_METHODS = new Set(['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS']);

/**
 * Connections on which a request with faulty framing arrived (RFC 9112 §6.1): where its body ends
 * is a guess, so whatever the parser read after it (a pipelined request, perhaps smuggled) is
 * never served; the connection closes after the answer to the faulty one.
 */
const framingFaults = new WeakSet<object>();

export function createRequestHandler(options: RequestHandlerOptions) {
  return function handleRequest(req: IncomingMessage, res: ServerResponse): void {
    if (framingFaults.has(req.socket)) {
      // Node emits pipelined requests while the first is answered; this one is dropped with its
      // connection, which closes once that answer (Connection: close) is sent.
      options.runtime().logger.warn({ event: 'request.after_framing_fault', listener: options.listener.name, clientIp: normalizeIp(req.socket.remoteAddress) }, 'dropped a request read after a request with faulty framing');
      return;
    }
    options.onStart();
    const runtime = options.runtime();
    runtime.acquire();
    const shed = options.overloaded();
    const { ctx, route, pipeline, early, builtin, finish, framingFault } = createContext(req, res, runtime, options.listener, shed);
    res.once('close', () => {
      finish();
      options.onEnd(ctx.route.name, res.headersSent ? res.statusCode : 0);
      runtime.release();
      logAccess(ctx, res, runtime);
      // The log phase runs for every request, answered or not (DESIGN.md §2).
      if (pipeline.log.length > 0) {
        runPhase(pipeline.log, ctx).catch((error: unknown) => runtime.logger.error({ event: 'log.policy_failed', requestId: ctx.requestId, err: error }, 'a log-phase policy failed'));
      }
    });
    const respond = new Responder(ctx, res, runtime, pipeline, options.draining, options.listener.tls()?.hsts, framingFault);
    // A redirecting plain-HTTP listener serves nothing in clear, built-in endpoints included.
    (builtin && !early && options.listener.plainHttp !== 'redirect' ? answerBuiltin(ctx, builtin.handle, respond) : run(ctx, route, pipeline, early, runtime, res, respond, options.listener))
      .catch((error: unknown) => respond.problem(toGatewayError(error)))
      .catch((error: unknown) => {
        // Even the problem response failed (a broken socket, say): log it and drop the connection.
        runtime.logger.error({ event: 'request.response_failed', requestId: ctx.requestId, err: error }, 'could not send a response');
        res.destroy();
      });
  };
}

async function run(ctx: RequestContext, route: CompiledRoute | undefined, pipeline: Pipeline, early: GatewayError | undefined, runtime: Runtime, res: ServerResponse, respond: Responder, listener: ListenerInfo): Promise<void> {
  // Shedding comes before everything, the public CRL and redirects included: that is its point.
  if (early?.code === 'overloaded') return respond.problem(early);
  // A request with faulty framing gets its problem and nothing else, not even a redirect.
  if (early && respond.closeAfter) return respond.problem(early);
  if (listener.plainHttp === 'redirect' && ctx.host !== '') {
    // RFC 9110 §15.4.9: 308 keeps the method and body; the client repeats the request over TLS.
    const port = listener.httpsPort === 443 ? '' : `:${listener.httpsPort}`;
    return respond.direct({ status: 308, headers: { location: `https://${ctx.host}${port}${ctx.req.url?.startsWith('/') ? ctx.req.url : ctx.path + ctx.search}`, 'content-type': 'text/plain' }, body: 'Use HTTPS.\n' });
  }
  if (runtime.crl && ctx.path === runtime.crl.path && (ctx.method === 'GET' || ctx.method === 'HEAD')) return serveCrl(runtime, ctx, respond);
  if (early) return respond.problem(early);
  const direct = await runRequestPhases(pipeline, ctx);
  if (ctx.finished) return;
  if (direct) return respond.direct(direct);
  Object.assign(ctx.upstreamHeaders, identityHeaders(ctx.principal));
  if (ctx.isPreflight && !ctx.route.methods.includes('OPTIONS')) {
    // A preflight that no CORS policy answered: the route does not serve OPTIONS itself.
    throw new GatewayError('route.method_not_allowed', { detail: 'This route does not allow cross-origin requests.', headers: { allow: allowHeader(ctx.route.methods) } });
  }
  await proxyRequest(ctx, route!, runtime, res, listener.bodyIdleTimeoutMs, {
    writeHead: (_ctx, status, headers, readBody) => respond.head(status, headers, 'upstream', readBody),
  });
}

/** The private CA's CRL: public, unauthenticated, on every listener, so partners can always reach it. */
async function serveCrl(runtime: Runtime, ctx: RequestContext, respond: Responder): Promise<void> {
  const der = await runtime.crl!.current();
  if (!der) throw new GatewayError('route.not_found', { detail: 'No CRL has been published yet.' });
  const answer = { status: 200, headers: { 'content-type': 'application/pkix-crl', 'cache-control': 'public, max-age=60' }, body: der };
  if (ctx.method === 'HEAD') return respond.direct({ ...answer, headers: { ...answer.headers, 'content-length': String(der.length) }, body: undefined });
  return respond.direct(answer);
}

/**
 * The gateway's own endpoints (the authorization server) answer directly: no route policies run
 * (a global auth policy must not guard the token endpoint), but the respond and log phases do.
 */
async function answerBuiltin(ctx: RequestContext, handle: BuiltinEndpoint, respond: Responder): Promise<void> {
  const answer = await handle(ctx);
  if (ctx.method === 'HEAD') delete answer.body;
  await respond.direct(answer);
}

function createContext(req: IncomingMessage, res: ServerResponse, runtime: Runtime, listener: ListenerInfo, shed: boolean) {
  const config = runtime.config;
  const peerIp = normalizeIp(req.socket.remoteAddress);
  const ip = resolveClientIp(peerIp, req.headers['x-forwarded-for'], runtime.trustedProxies);
  const peerTrusted = ip.ok && ip.peerTrusted;
  const incomingId = req.headers[runtime.requestIdHeader];
  const trustId = config.requestId.trustIncoming === 'always' || (config.requestId.trustIncoming === 'trusted-proxies' && peerTrusted);
  const requestId = trustId && typeof incomingId === 'string' && SAFE_REQUEST_ID.test(incomingId) ? incomingId : randomUUID();
  const url = req.url ?? '';
  const uriTooLong = url.length > listener.maxUriBytes;
  const target = uriTooLong ? tooLongTarget(url) : parseRequestTarget(url);
  // Framing, Host (the absolute-form target's authority replaces it, RFC 9112 §3.2.2) and
  // credentials named once: see request-head.ts.
  const head = checkRequestHead(req, target.authority, runtime.credentialHeaders);
  const host = head.host;
  if (head.framingFault) framingFaults.add(req.socket);
  const method = req.method ?? 'GET';
  const requestedMethod = req.headers['access-control-request-method'];
  const isPreflight = method === 'OPTIONS' && req.headers.origin !== undefined && typeof requestedMethod === 'string';

  const tls = listener.tls();
  const clientCertificate = tls?.inspect(req.socket as TLSSocket);
  let finishCallbacks: Array<() => void> | undefined;
  let early: GatewayError | undefined;
  let route: CompiledRoute | undefined;
  let body: Promise<Buffer> | undefined;
  let params: Record<string, string> = {};
  let builtin: { name: string; handle: BuiltinEndpoint } | undefined;
  if (shed) early = new GatewayError('overloaded', { detail: 'The gateway is at capacity; retry shortly.', headers: { 'retry-after': String(config.overload.retryAfterSeconds) } });
  else if (head.framingFault) early = head.problem;
  else if (uriTooLong) early = new GatewayError('request.uri_too_long', { detail: `The request target is longer than ${listener.maxUriBytes} bytes.` });
  else if (head.problem) early = head.problem;
  else if (!GATEWAY_METHODS.has(method)) early = new GatewayError('request.not_implemented', { detail: `${method} is not a method this gateway serves.` });
  else if (listener.plainHttp === 'refuse') early = new GatewayError('request.https_required', { detail: 'This address serves HTTPS only.' });
  // Listener mode `required`: no request is served without a valid certificate, whatever the route.
  else if (tls?.mode === 'required' && clientCertificate?.status !== 'verified') early = listenerCertificateRefusal(clientCertificate, ip.ok ? ip.clientIp : peerIp, runtime);
  else if (!ip.ok) early = new GatewayError('request.malformed', { detail: 'The X-Forwarded-For chain from a trusted proxy holds an invalid address.' });
  else if (peerTrusted && !validForwardedHost(req.headers['x-forwarded-host'])) early = new GatewayError('request.malformed', { detail: 'The X-Forwarded-Host from a trusted proxy is not a host and optional port.' });
  else if (!target.ok) early = new GatewayError('request.malformed', { detail: `The request target is not acceptable: ${target.reason}.` });
  else if ((builtin = runtime.endpoints?.match(method, target.path))) {
    route = undefined;
  } else {
    const match = runtime.router.match(isPreflight ? requestedMethod!.toUpperCase() : method, host, target.path);
    if (match.kind === 'found') {
      route = match.route;
      params = match.params;
    } else if (match.kind === 'method_not_allowed') {
      early = new GatewayError('route.method_not_allowed', { detail: `${method} is not allowed here.`, headers: { allow: allowHeader(match.allow) } });
    } else {
      early = new GatewayError('route.not_found', { detail: 'No route matches this method, host and path.' });
    }
  }

  const ctx: RequestContext = {
    requestId,
    startedAt: performance.now(),
    req,
    method,
    path: target.path,
    search: target.search,
    host,
    authority: head.authority,
    protocol: listener.protocol,
    clientIp: ip.ok ? ip.clientIp : peerIp,
    peerIp,
    peerTrusted,
    route: route?.info ?? (builtin ? { name: builtin.name, methods: [method], upstream: '' } : NO_ROUTE),
    params,
    trace: continueTrace(stringHeader(req.headers.traceparent), stringHeader(req.headers.tracestate)),
    isPreflight,
    maxBodyBytes: Number.POSITIVE_INFINITY,
    upstreamHeaders: {},
    removedHeaders: [],
    clientCertificate,
    principal: undefined,
    geo: undefined,
    upstreamName: undefined,
    bufferedBody: undefined,
    readBody() {
      // The client is waiting for leave to send its body (RFC 9110 §10.1.1): give it now.
      if (body === undefined && req.headers.expect?.toLowerCase() === '100-continue' && requestHasBody(req)) res.writeContinue();
      body ??= readWholeBody(req, Math.min(ctx.maxBodyBytes, MAX_BUFFERED_BODY_BYTES), listener.bodyIdleTimeoutMs).then((buffer) => {
        (ctx as { bufferedBody: Buffer | undefined }).bufferedBody = buffer;
        ctx.bytesIn = buffer.length;
        return buffer;
      });
      return body;
    },
    replaceBody(replacement) {
      // Only a body that was read can be replaced: otherwise the client's would still stream after it.
      if (ctx.bufferedBody === undefined) throw new Error('replaceBody needs the body to be read first (ctx.readBody)');
      (ctx as { bufferedBody: Buffer | undefined }).bufferedBody = replacement;
      // A later reader (validate after sanitize) reads what will be forwarded, not the original.
      body = Promise.resolve(replacement);
    },
    response: undefined,
    error: undefined,
    upstream: { target: undefined, latencyMs: undefined, attempts: 0 },
    bytesIn: 0,
    bytesOut: 0,
    logFields: {},
    finished: false,
    onFinished(callback) {
      if (ctx.finished) callback();
      else (finishCallbacks ??= []).push(callback);
    },
  };
  /** Marks the response over and runs what policies asked to run then (each on its own). */
  function finish(): void {
    (ctx as { finished: boolean }).finished = true;
    for (const callback of finishCallbacks?.splice(0) ?? []) {
      try {
        callback();
      } catch (error) {
        runtime.logger.error({ event: 'request.finish_callback_failed', requestId, err: error }, 'a policy failed while a request ended');
      }
    }
  }
  return { ctx, route, pipeline: route?.pipeline ?? runtime.globalPipeline, early, builtin, finish, framingFault: head.framingFault };
}

/** Writes every response the gateway sends, after the respond phase has had its say. */
class Responder {
  constructor(
    private readonly ctx: RequestContext,
    private readonly res: ServerResponse,
    private readonly runtime: Runtime,
    private readonly pipeline: Pipeline,
    private readonly draining: () => boolean,
    private readonly hsts: string | undefined,
    /** The request's framing is faulty: this connection carries nothing after the answer. */
    readonly closeAfter: boolean,
  ) {}

  async head(status: number, headers: HeaderMap, source: 'upstream' | 'problem' | 'direct', readBody?: (maxBytes: number) => Promise<Buffer | undefined>): Promise<void> {
    const ctx = this.ctx;
    ctx.response = { status, headers, source, readBody };
    await runPhase(this.pipeline.respond, ctx);
    // The gateway terminates TLS, so its HSTS policy is the one that holds (RFC 6797 §7.1).
    const hsts = this.hsts;
    if (hsts !== undefined) headers['strict-transport-security'] = hsts;
    headers[this.runtime.requestIdHeader] = ctx.requestId;
    headers.traceparent = formatTraceparent(ctx.trace);
    // An unread request body, or a shutdown, means this connection cannot carry another request.
    if (this.draining() || !ctx.req.complete || this.closeAfter) headers.connection = 'close';
    this.res.writeHead(ctx.response.status, headers);
  }

  async direct(answer: DirectResponse): Promise<void> {
    const body = answer.body === undefined ? undefined : Buffer.from(answer.body);
    const headers: HeaderMap = { ...answer.headers };
    if (body) headers['content-length'] = String(body.length);
    await this.head(answer.status, headers, 'direct');
    this.res.end(body);
  }

  async problem(error: GatewayError): Promise<void> {
    const { ctx, res, runtime } = this;
    ctx.error = error;
    if (error.code === 'internal') {
      runtime.logger.error({ event: 'request.internal_error', requestId: ctx.requestId, err: error.cause ?? error, headers: ctx.req.headers }, 'internal error while handling a request');
    }
    if (res.headersSent) {
      res.destroy();
      return;
    }
    const body = serializeProblem(buildProblem(error, ctx.requestId, runtime.config.errors.typeBaseUrl));
    try {
      await this.head(error.status, problemHeaders(error, body), 'problem');
    } catch (respondError) {
      // A respond-phase policy failed on a problem response: send the problem without its headers.
      runtime.logger.error({ event: 'respond.policy_failed', requestId: ctx.requestId, err: respondError }, 'respond phase failed on a problem response');
      if (!res.headersSent) res.writeHead(error.status, { ...problemHeaders(error, body), [runtime.requestIdHeader]: ctx.requestId, ...(this.closeAfter ? { connection: 'close' } : {}) });
    }
    res.end(body);
  }
}

/** The whole body, within the limit; through the same guard as streaming (413, 408, client gone). */
function readWholeBody(req: IncomingMessage, maxBytes: number, idleTimeoutMs: number): Promise<Buffer> {
  if (!requestHasBody(req)) return Promise.resolve(Buffer.alloc(0));
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    const guard = new BodyGuard(req, maxBytes, idleTimeoutMs, () => {});
    guard.on('data', (chunk: Buffer) => chunks.push(chunk));
    guard.once('end', () => resolve(Buffer.concat(chunks)));
    guard.once('error', (error) => reject(guard.failure ?? new GatewayError('request.malformed', { detail: 'The request body was not received.', internal: error.message })));
  });
}

function allowHeader(methods: readonly string[]): string {
  const all = new Set(methods);
  if (all.has('GET')) all.add('HEAD');
  return [...all].sort().join(', ');
}

/**
 * X-Forwarded-Host from a trusted proxy is passed on (forwarding.ts): each of its elements must be
 * a host and optional port, like Host itself.
 */
function validForwardedHost(value: string | string[] | undefined): boolean {
  if (value === undefined) return true;
  for (const element of String(value).split(',')) {
    const parsed = parseAuthority(element.trim());
    if (!parsed.ok || parsed.host === '') return false;
  }
  return true;
}

function stringHeader(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}

/** Listener mode `required`: 429 for a blocked client, else the certificate's problem, counted as an authentication failure. */
function listenerCertificateRefusal(outcome: ClientCertificate | undefined, clientIp: string, runtime: Runtime): GatewayError {
  const accounting = {
    failures: runtime.authFailures,
    clientIp,
    now: runtime.clock.now(),
    onBlocked: () => runtime.logger.warn({ event: 'auth.client_blocked', clientIp }, 'too many failed authentications: client blocked'),
  };
  const blocked = blockedError(accounting);
  if (blocked) return blocked;
  countCertificateFailure(outcome, accounting);
  return clientCertificateError(outcome)!;
}
