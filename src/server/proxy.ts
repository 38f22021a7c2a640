/**
 * The proxy phase: sends the request to a target of the route's upstream (or the one a policy
 * chose) and streams the answer back. Bodies are streamed both ways, unless a policy had to read
 * the request body (ctx.readBody), which is then sent as read, or a respond-phase policy the
 * response body (response-body.ts: decoded from its content coding). Connection failures move on to the next
 * target for bodiless idempotent requests; a slow upstream is not retried (it may still be working,
 * and retrying would multiply its load).
 */
import type { ServerResponse } from 'node:http';
import { errors as undiciErrors, type Dispatcher } from 'undici';
import { OutboundRefusedError } from '../outbound/index.js';
import type { HeaderMap, RequestContext } from '../core/context.js';
import { GatewayError } from '../core/errors.js';
import { UPSTREAM_AUTH_HOOK } from '../core/upstream-credentials.js';
import type { ResponseBody } from '../core/response-body.js';
import { narrowAcceptEncoding } from '../http/content-coding.js';
import { requestHasBody, takeArrivedBody } from '../http/request-body.js';
import { BodyGuard } from './body-guard.js';
import { buildUpstreamHeaders, endToEndHeaders } from './forwarding.js';
import type { CompiledRoute, Runtime } from './runtime.js';
import { EMPTY_RESPONSE_BODY, UNREAD_RESPONSE_BODY, UpstreamResponseBody } from './response-body.js';
import { UpstreamExchange, type UpstreamHead } from './upstream-exchange.js';
import { checkUpstreamRequest } from './egress-report.js';
import { requireAssessed } from './assessment-gate.js';
import { normalizeUpstreamError } from './upstream-errors.js';
import type { UpstreamTarget } from './upstream.js';

export interface ProxyHooks {
  /** Runs the respond phase and writes the head; called once the upstream's head is in. A promise only while respond policies run. */
  writeHead(ctx: RequestContext, status: number, headers: HeaderMap, body: ResponseBody): Promise<void> | undefined;
}

export async function proxyRequest(ctx: RequestContext, route: CompiledRoute, runtime: Runtime, res: ServerResponse, bodyIdleTimeoutMs: number, hooks: ProxyHooks): Promise<void> {
  const upstream = ctx.upstreamName === undefined ? route.upstream : runtime.upstreams.get(ctx.upstreamName);
  // A policy chose an upstream that does not exist (the config check makes this a bug): fail
  // closed, never quietly serve the request somewhere residency rules said it must not go.
  if (!upstream) throw new GatewayError('internal', { internal: `policy chose unknown upstream "${ctx.upstreamName}"` });
  // assess.minimumGrade (issue 23 §5): checked before the transform phase already (so before the
  // credential is read, assessment-gate.ts); once more here for the upstream finally sent to.
  requireAssessed(upstream, runtime.assessmentGate);
  // Without request-phase policies this runs within the 'request' event, while the parser is still
  // in the head's packet: the body bytes that came with it are pushed before the next microtask.
  if (ctx.bufferedBody === undefined && ctx.req.readableLength === 0 && requestHasBody(ctx.req)) await undefined;
  const arrived = ctx.bufferedBody === undefined ? takeArrivedBody(ctx.req, ctx.maxBodyBytes) : undefined;
  if (arrived) ctx.bytesIn += arrived.length;
  const buffered = ctx.bufferedBody ?? arrived;
  const hasBody = buffered ? buffered.length > 0 : requestHasBody(ctx.req);
  const guard = hasBody && !buffered ? new BodyGuard(ctx.req, ctx.maxBodyBytes, bodyIdleTimeoutMs, (count) => (ctx.bytesIn += count)) : undefined;
  // One object per request receives the upstream's answer (undici's dispatch API) and stands for
  // the client: if it leaves, the upstream request is aborted.
  let exchange = new UpstreamExchange(ctx, res);
  const path = route.upstreamPath(ctx.path, ctx.params) + ctx.search;
  if (hasBody && !buffered && ctx.req.headers.expect?.toLowerCase() === '100-continue') res.writeContinue();

  for (let attempt = 1; ; attempt++) {
    const target = upstream.pick();
    ctx.upstream.target = target.origin;
    ctx.upstream.attempts = attempt;
    // The upstream's egress.methods and egress.pathPrefixes: refused before anything is sent.
    if (upstream.config.egress) checkUpstreamRequest(upstream, target, ctx.method, target.basePath + path, runtime.config.egress?.mode, runtime.logger, runtime.metrics);
    const sentAt = performance.now();
    // The path without its query: a query may hold a credential, and spans keep no credential.
    const clientSpan = ctx.span?.startUpstream({ upstream: upstream.name, method: ctx.method, origin: target.origin, path: target.basePath + route.upstreamPath(ctx.path, ctx.params), attempt });
    let head: UpstreamHead;
    // Built before the send: a credential the gateway cannot have (a deleted vault secret) is a
    // 503 upstream.credential_unavailable of its own, not an unreachable upstream (upstream.ts).
    let headers: ReturnType<typeof upstreamHeaders>;
    try {
      headers = upstreamHeaders(buildUpstreamHeaders(ctx, upstream.forwarding, target.host, clientSpan?.headers), buffered, route.pipeline.readsResponseBody);
    } catch (error) {
      clientSpan?.end({ error: error instanceof GatewayError ? error.code : 'internal' });
      throw error;
    }
    try {
      head = await exchange.send(target.pool, {
        method: ctx.method as Dispatcher.HttpMethod,
        path: target.basePath + path,
        headers,
        body: buffered ?? guard ?? null,
      }, target.origin);
    } catch (error) {
      clientSpan?.end({ error: error instanceof GatewayError ? error.code : ((error as { code?: unknown } | null)?.code as string | undefined) ?? 'network_error' });
      if (guard?.failure) throw guard.failure;
      if (exchange.clientLeft) {
        ctx.logFields.clientAborted = true;
        return;
      }
      const failure = classifyUpstreamError(error, upstream.config.headersTimeoutMs, upstream.config.connectTimeoutMs);
      if (failure.targetAtFault) upstream.reportFailure(target, failure.error.code);
      if (failure.retryable && upstream.mayRetry(ctx.method, hasBody, attempt)) {
        runtime.logger.warn({ event: 'upstream.retry', requestId: ctx.requestId, upstream: upstream.name, target: target.origin, attempt, code: failure.error.code }, 'retrying on the next target');
        continue;
      }
      throw failure.error;
    }
    ctx.upstream.latencyMs = performance.now() - sentAt;
    clientSpan?.end({ status: head.statusCode });
    upstream.reportSuccess(target);
    // upstream-auth hears the status; on a first 401 it may have a fresh token for one more try
    // (only when the request can be sent again as it was: idempotent, its body, if any, in hand).
    const authHook = ctx.state.get(UPSTREAM_AUTH_HOOK);
    if (authHook && (await authHook.onUpstreamStatus(head.statusCode, AUTH_RETRY_METHODS.has(ctx.method) && (!hasBody || buffered !== undefined)))) {
      exchange.discard();
      exchange = new UpstreamExchange(ctx, res);
      continue;
    }
    // errors.mode normalize: the upstream's error answer is replaced by an upstream.* problem.
    if (head.statusCode >= 400 && upstream.config.errors?.mode === 'normalize') {
      throw await normalizeUpstreamError(ctx, upstream, head, endToEndHeaders(head.headers), exchange, target.origin, runtime.logger, runtime.metrics);
    }
    return streamResponse(ctx, head, exchange, res, target, route.pipeline.readsResponseBody, hooks);
  }
}

/** Idempotent methods (RFC 9110 §9.2.2): sending one again after a 401 cannot repeat an effect. */
const AUTH_RETRY_METHODS = new Set(['GET', 'HEAD', 'OPTIONS', 'PUT', 'DELETE']);

/**
 * A buffered body goes with its exact length, not the client's framing. When a respond-phase
 * policy reads the response body, the upstream is asked only for codings the gateway decodes.
 */
function upstreamHeaders(headers: HeaderMap, buffered: Buffer | undefined, decodesResponse: boolean): HeaderMap {
  if (buffered) headers['content-length'] = String(buffered.length);
  if (decodesResponse) headers['accept-encoding'] = narrowAcceptEncoding(headers['accept-encoding']);
  return headers;
}

/**
 * Responses that never have content (RFC 9110 §6.4.1): to HEAD, and 204 and 304. Their
 * Content-Length describes a representation not sent (§8.6), so none is read or waited for: undici
 * reports the missing bytes of a 204 or 304 as a length mismatch, which used to cut the reply off.
 */
function isBodiless(method: string, status: number): boolean {
  return method === 'HEAD' || status === 204 || status === 304;
}

/**
 * Writes the head (after the respond phase) and sends the body: straight from the upstream when no
 * respond-phase policy reads it, else through the response-body seam.
 */
async function streamResponse(ctx: RequestContext, head: UpstreamHead, exchange: UpstreamExchange, res: ServerResponse, target: UpstreamTarget, readsBody: boolean, hooks: ProxyHooks): Promise<void> {
  if (isBodiless(ctx.method, head.statusCode)) return sendBodiless(ctx, head, exchange, res, hooks);
  const headers = endToEndHeaders(head.headers);
  const body = readsBody ? new UpstreamResponseBody(ctx, exchange.readable(), headers, target.origin) : UNREAD_RESPONSE_BODY;
  try {
    const writing = hooks.writeHead(ctx, head.statusCode, headers, body);
    if (writing) await writing;
  } catch (error) {
    // A respond-phase policy refused this response: none of it is sent, so free the connection.
    if (body instanceof UpstreamResponseBody) body.discard();
    else exchange.discard();
    throw error;
  }
  if (body instanceof UpstreamResponseBody) await body.deliver(res);
  else exchange.deliver();
}

async function sendBodiless(ctx: RequestContext, head: UpstreamHead, exchange: UpstreamExchange, res: ServerResponse, hooks: ProxyHooks): Promise<void> {
  // Nothing is coming, and a length mismatch error from undici is not the client's business.
  exchange.ignoreBody();
  const headers = endToEndHeaders(head.headers);
  // RFC 9110 §8.6: a 204 carries no Content-Length (a 304 or a HEAD answer may).
  if (head.statusCode === 204) delete headers['content-length'];
  const writing = hooks.writeHead(ctx, head.statusCode, headers, EMPTY_RESPONSE_BODY);
  if (writing) await writing;
  if (!res.destroyed) res.end();
}

interface ClassifiedFailure {
  error: GatewayError;
  /** True when a retry cannot repeat work: the request never reached the upstream, or it may be repeated safely. */
  retryable: boolean;
  /** False when the failure says nothing about the target's health. */
  targetAtFault: boolean;
}

function classifyUpstreamError(error: unknown, headersTimeoutMs: number, connectTimeoutMs: number): ClassifiedFailure {
  const code = (error as { code?: string }).code ?? '';
  const message = (error as Error).message ?? String(error);
  if (error instanceof undiciErrors.InvalidArgumentError || code === 'UND_ERR_INVALID_ARG') {
    // Our request was malformed (a bug, or a header a policy set badly): not the target's fault.
    return { error: new GatewayError('internal', { internal: `upstream request refused before sending: ${message}`, cause: error }), retryable: false, targetAtFault: false };
  }
  if (error instanceof OutboundRefusedError) {
    // The gateway's own rule, not the target's health: no cool-down; another target may be allowed.
    return { error: new GatewayError('upstream.egress_denied', { detail: 'The gateway may not connect to this upstream.', internal: message }), retryable: true, targetAtFault: false };
  }
  if (error instanceof undiciErrors.HeadersTimeoutError || code === 'UND_ERR_HEADERS_TIMEOUT') {
    return { error: new GatewayError('upstream.timeout', { detail: `The upstream did not answer within ${headersTimeoutMs} ms.`, internal: message }), retryable: false, targetAtFault: true };
  }
  if (error instanceof undiciErrors.ConnectTimeoutError || code === 'UND_ERR_CONNECT_TIMEOUT') {
    return { error: new GatewayError('upstream.timeout', { detail: `The upstream did not accept a connection within ${connectTimeoutMs} ms.`, internal: message }), retryable: true, targetAtFault: true };
  }
  return { error: new GatewayError('upstream.unavailable', { detail: 'The upstream could not be reached.', internal: `${code} ${message}`.trim() }), retryable: true, targetAtFault: true };
}
