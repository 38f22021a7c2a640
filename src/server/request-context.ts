/**
 * Builds the request context (core/context.ts) from the head's facts and what admission decided:
 * request id (an incoming one only when trusted), trace, the route, and the body reader that
 * every policy shares (one read, capped, replaceable by a sanitizer).
 */
import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { RequestContext, RouteInfo } from '../core/context.js';
import { GatewayError } from '../core/errors.js';
import { continueTrace } from '../core/trace-context.js';
import { BodyGuard } from './body-guard.js';
import { requestHasBody, takeArrivedBody } from '../http/request-body.js';
import { sharedJsonBody } from '../http/json-body.js';
import { RequestState } from '../core/request-state.js';
import type { Admission } from './admission.js';
import type { RequestFacts } from './request-facts.js';

/**
 * A body a policy reads into memory is capped here whatever the size limit says (even with
 * request-size-limit off): concurrent requests must not be able to fill the heap.
 */
export const MAX_BUFFERED_BODY_BYTES = 10 * 1024 * 1024;

const NO_ROUTE: RouteInfo = Object.freeze({ name: '(none)', methods: [], upstream: '' });
const SAFE_REQUEST_ID = /^[A-Za-z0-9._:-]{1,128}$/;

/**
 * @returns the context and `finish`, which marks the response over and runs what policies asked to
 * run then (ctx.onFinished), each on its own.
 */
export function createContext(facts: RequestFacts, admission: Admission, res: ServerResponse): { ctx: RequestContext; finish: () => void } {
  const { req, runtime, listener, ip, peerIp, target, head } = facts;
  const config = runtime.config;
  const peerTrusted = ip.ok && ip.peerTrusted;
  const incomingId = req.headers[runtime.requestIdHeader];
  const trustId = config.requestId.trustIncoming === 'always' || (config.requestId.trustIncoming === 'trusted-proxies' && peerTrusted);
  const requestId = trustId && typeof incomingId === 'string' && SAFE_REQUEST_ID.test(incomingId) ? incomingId : randomUUID();
  const route = admission.kind === 'route' ? admission.route.info : admission.kind === 'endpoint' ? admission.endpoint.info : NO_ROUTE;
  const clientIp = ip.ok ? ip.clientIp : peerIp;
  // Tracing on: the SDK's propagator reads traceparent and the server span's ids are the request's.
  // Off: the gateway is a Trace Context hop by itself (core/trace-context.ts), and no span is made.
  const span = runtime.tracer?.startRequest({ headers: req.headers, method: facts.method, path: target.path, scheme: listener.protocol, clientIp, route: route.name, requestId });
  let finishCallbacks: Array<() => void> | undefined;
  let body: Promise<Buffer> | undefined;

  const ctx: RequestContext = {
    requestId,
    startedAt: performance.now(),
    req,
    method: facts.method,
    path: target.path,
    search: target.search,
    host: head.host,
    authority: head.authority,
    protocol: listener.protocol,
    clientIp,
    peerIp,
    peerTrusted,
    route,
    params: admission.kind === 'route' ? admission.params : {},
    trace: span ? span.trace : continueTrace(stringHeader(req.headers.traceparent), stringHeader(req.headers.tracestate)),
    span,
    isPreflight: facts.isPreflight,
    maxBodyBytes: Number.POSITIVE_INFINITY,
    upstreamHeaders: {},
    removedHeaders: [],
    clientCertificate: facts.clientCertificate,
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
    readJson: sharedJsonBody(() => ctx.readBody()),
    state: new RequestState(),
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
  return { ctx, finish };
}

/**
 * The whole body, within the limit: as it is when it came whole with the head (no stream to wait
 * for), else through the same guard as streaming (413, 408, client gone).
 */
async function readWholeBody(req: IncomingMessage, maxBytes: number, idleTimeoutMs: number): Promise<Buffer> {
  if (!requestHasBody(req)) return Buffer.alloc(0);
  // Read by a route's first policy, within the 'request' event, while the parser is still in the
  // head's packet: the body bytes that came with it are pushed before the next microtask.
  if (req.readableLength === 0) await undefined;
  const arrived = takeArrivedBody(req, maxBytes);
  if (arrived) return arrived;
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    const guard = new BodyGuard(req, maxBytes, idleTimeoutMs, () => {});
    guard.on('data', (chunk: Buffer) => chunks.push(chunk));
    guard.once('end', () => resolve(Buffer.concat(chunks)));
    guard.once('error', (error) => reject(guard.failure ?? new GatewayError('request.malformed', { detail: 'The request body was not received.', internal: error.message })));
  });
}

function stringHeader(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}
