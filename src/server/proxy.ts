/**
 * The proxy phase: sends the request to a target of the route's upstream (or the one a policy
 * chose) and streams the answer back. Bodies are streamed both ways, unless a policy had to read
 * the request body (ctx.readBody), which is then sent as read. Connection failures move on to the next
 * target for bodiless idempotent requests; a slow upstream is not retried (it may still be working,
 * and retrying would multiply its load).
 */
import { EventEmitter } from 'node:events';
import type { Readable } from 'node:stream';
import type { ServerResponse } from 'node:http';
import { errors as undiciErrors, type Dispatcher } from 'undici';
import { OutboundRefusedError } from '../outbound/index.js';
import type { RequestContext } from '../core/context.js';
import { GatewayError } from '../core/errors.js';
import { BodyGuard } from './body-guard.js';
import { requestHasBody } from '../http/request-body.js';
import { buildUpstreamHeaders, endToEndHeaders } from './forwarding.js';
import type { CompiledRoute, Runtime } from './runtime.js';
import type { UpstreamTarget } from './upstream.js';

export interface ProxyHooks {
  /** Runs the respond phase and writes the head; called once the upstream's head is in. */
  writeHead(ctx: RequestContext, status: number, headers: Record<string, string | string[]>, readBody: (maxBytes: number) => Promise<Buffer | undefined>): Promise<void>;
}

export async function proxyRequest(ctx: RequestContext, route: CompiledRoute, runtime: Runtime, res: ServerResponse, bodyIdleTimeoutMs: number, hooks: ProxyHooks): Promise<void> {
  const upstream = ctx.upstreamName === undefined ? route.upstream : runtime.upstreams.get(ctx.upstreamName);
  // A policy chose an upstream that does not exist (the config check makes this a bug): fail
  // closed, never quietly serve the request somewhere residency rules said it must not go.
  if (!upstream) throw new GatewayError('internal', { internal: `policy chose unknown upstream "${ctx.upstreamName}"` });
  const buffered = ctx.bufferedBody;
  const hasBody = buffered ? buffered.length > 0 : requestHasBody(ctx.req);
  const guard = hasBody && !buffered ? new BodyGuard(ctx.req, ctx.maxBodyBytes, bodyIdleTimeoutMs, (count) => (ctx.bytesIn += count)) : undefined;
  // undici takes an EventEmitter as its abort signal; an AbortController costs a DOMException per
  // request (measured: ~9% of the proxy's CPU time under load).
  const abort = new EventEmitter();
  let clientLeft = false;
  const abortIfClientLeft = () => {
    if (res.writableFinished) return;
    clientLeft = true;
    abort.emit('abort');
  };
  res.once('close', abortIfClientLeft);
  const path = route.upstreamPath(ctx.path, ctx.params) + ctx.search;
  if (hasBody && !buffered && ctx.req.headers.expect?.toLowerCase() === '100-continue') res.writeContinue();

  try {
    for (let attempt = 1; ; attempt++) {
      const target = upstream.pick();
      ctx.upstream.target = target.origin;
      ctx.upstream.attempts = attempt;
      const sentAt = performance.now();
      let response: Dispatcher.ResponseData;
      try {
        response = await target.pool.request({
          method: ctx.method as Dispatcher.HttpMethod,
          path: target.basePath + path,
          headers: bufferedHeaders(buildUpstreamHeaders(ctx, upstream.forwarding, target.host), buffered),
          body: buffered ?? guard ?? null,
          signal: abort,
        });
      } catch (error) {
        if (guard?.failure) throw guard.failure;
        if (clientLeft) {
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
      upstream.reportSuccess(target);
      await streamResponse(ctx, response, res, target, hooks);
      return;
    }
  } finally {
    res.off('close', abortIfClientLeft);
  }
}

/** A buffered body goes with its exact length, not the client's framing. */
function bufferedHeaders(headers: Record<string, string | string[]>, buffered: Buffer | undefined): Record<string, string | string[]> {
  if (buffered) headers['content-length'] = String(buffered.length);
  return headers;
}

interface PeekedBody {
  readonly chunks: Buffer[];
  /** The whole body was read (false: it is larger than asked, and paused after the chunks read). */
  readonly complete: boolean;
  readonly error?: Error & { code?: string };
}

/** Reads a response body up to maxBytes, for a respond-phase policy; pauses it when it is larger. */
function peekBody(body: Readable, maxBytes: number): Promise<PeekedBody> {
  // While paused between this read and the piping, an error must not go unhandled.
  body.on('error', () => {});
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const done = (complete: boolean, error?: Error) => {
      body.off('data', onData);
      body.off('end', onEnd);
      body.off('error', onError);
      if (!complete && !error) body.pause();
      resolve({ chunks, complete, error });
    };
    const onData = (chunk: Buffer) => {
      chunks.push(chunk);
      size += chunk.length;
      if (size > maxBytes) done(false);
    };
    const onEnd = () => done(true);
    const onError = (error: Error) => done(false, error);
    body.on('data', onData);
    body.once('end', onEnd);
    body.once('error', onError);
  });
}

/**
 * Responses that never have content (RFC 9110 §6.4.1): to HEAD, and 204 and 304. Their
 * Content-Length describes a representation not sent (§8.6), so none is read or waited for: undici
 * reports the missing bytes of a 204 or 304 as a length mismatch, which used to cut the reply off.
 */
function isBodiless(method: string, status: number): boolean {
  return method === 'HEAD' || status === 204 || status === 304;
}

async function streamResponse(ctx: RequestContext, response: Dispatcher.ResponseData, res: ServerResponse, target: UpstreamTarget, hooks: ProxyHooks): Promise<void> {
  const body = response.body;
  if (isBodiless(ctx.method, response.statusCode)) return sendBodiless(ctx, response, res, hooks);
  let peeked: Promise<PeekedBody> | undefined;
  const declaredLength = Number(response.headers['content-length']);
  const readBody = (maxBytes: number) => {
    // A declared length over the limit is not worth reading: the body streams unread.
    if (declaredLength > maxBytes) return Promise.resolve(undefined);
    peeked ??= peekBody(body, maxBytes);
    return peeked.then((read) => (read.complete ? Buffer.concat(read.chunks) : undefined));
  };
  try {
    await hooks.writeHead(ctx, response.statusCode, endToEndHeaders(response.headers), readBody);
  } catch (error) {
    // A respond-phase policy refused this response: none of it is sent, so free the connection
    // (undici reports the destruction of an unread body as an error: expected here).
    body.on('error', () => {});
    body.destroy();
    throw error;
  }
  const read = peeked && (await peeked);
  if (read?.complete) {
    const whole = Buffer.concat(read.chunks);
    ctx.bytesOut += whole.length;
    if (res.destroyed) return;
    await new Promise<void>((resolve) => {
      res.once('close', resolve);
      res.end(whole);
    });
    return;
  }
  for (const chunk of read?.chunks ?? []) {
    ctx.bytesOut += chunk.length;
    res.write(chunk);
  }
  // pipe() rather than stream.pipeline(): the latter allocates and fires an AbortController per call.
  await new Promise<void>((resolve) => {
    let upstreamFailed = false;
    if (read?.error) {
      failMidStream(read.error);
      return;
    }
    body.on('data', (chunk: Buffer) => {
      ctx.bytesOut += chunk.length;
    });
    function failMidStream(error: Error & { code?: string }): void {
      // The head is sent, so no problem can follow: the client sees a cut-off body. Say why in the log.
      upstreamFailed = true;
      ctx.error = new GatewayError(error.code === 'UND_ERR_BODY_TIMEOUT' ? 'upstream.timeout' : 'upstream.unavailable', {
        internal: `response body from ${target.origin} failed mid-stream: ${error.message}`,
      });
      res.destroy();
      resolve();
    }
    body.once('error', failMidStream);
    res.once('close', () => {
      if (!res.writableFinished && !upstreamFailed) {
        ctx.logFields.clientAborted = true;
        body.destroy();
      }
      resolve();
    });
    body.pipe(res);
  });
}

async function sendBodiless(ctx: RequestContext, response: Dispatcher.ResponseData, res: ServerResponse, hooks: ProxyHooks): Promise<void> {
  // Nothing is coming, and a length mismatch error from undici is not the client's business.
  response.body.on('error', () => {});
  response.body.resume();
  const headers = endToEndHeaders(response.headers);
  // RFC 9110 §8.6: a 204 carries no Content-Length (a 304 or a HEAD answer may).
  if (response.statusCode === 204) delete headers['content-length'];
  await hooks.writeHead(ctx, response.statusCode, headers, () => Promise.resolve(Buffer.alloc(0)));
  if (res.destroyed) return;
  await new Promise<void>((resolve) => {
    res.once('close', resolve);
    res.end();
  });
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
