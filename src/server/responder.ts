/**
 * Writes every response the gateway sends (upstream, direct answer or problem), after the respond
 * phase has had its say, with the headers the gateway itself owns: HSTS, the request id, the
 * trace, and `Connection: close` when the connection cannot carry another request.
 */
import type { ServerResponse } from 'node:http';
import type { HeaderMap, RequestContext } from '../core/context.js';
import type { ResponseBody } from '../core/response-body.js';
import type { GatewayError } from '../core/errors.js';
import { runPhase, type Pipeline } from '../core/pipeline.js';
import type { DirectResponse } from '../core/policy.js';
import { buildProblem, problemHeaders, serializeProblem } from '../core/problem.js';
import { formatTraceparent } from '../core/trace-context.js';
import type { Runtime } from './runtime.js';

export class Responder {
  constructor(
    private readonly ctx: RequestContext,
    private readonly res: ServerResponse,
    private readonly runtime: Runtime,
    /** Whose respond phase runs: the route's, an internal route's, or the global one. */
    private readonly pipeline: Pipeline,
    private readonly draining: () => boolean,
    private readonly hsts: string | undefined,
    /** The request's framing is faulty: this connection carries nothing after the answer. */
    readonly closeAfter: boolean,
  ) {}

  /**
   * Runs the respond phase on `status` and `headers` (which it may change), then writes the head:
   * at once (no promise) when the phase is empty, else once its policies are done.
   */
  head(status: number, headers: HeaderMap, source: 'upstream' | 'problem' | 'direct', body?: ResponseBody): Promise<void> | undefined {
    this.ctx.response = { status, headers, source, body };
    const respond = this.pipeline.respond;
    if (respond.length > 0) {
      this.ctx.span?.phase('respond');
      return runPhase(respond, this.ctx).then(() => this.writeHead(headers));
    }
    this.writeHead(headers);
    return undefined;
  }

  private writeHead(headers: HeaderMap): void {
    const ctx = this.ctx;
    // The gateway terminates TLS, so its HSTS policy is the one that holds (RFC 6797 §7.1).
    const hsts = this.hsts;
    if (hsts !== undefined) headers['strict-transport-security'] = hsts;
    headers[this.runtime.requestIdHeader] = ctx.requestId;
    headers.traceparent = formatTraceparent(ctx.trace);
    // An unread request body, or a shutdown, means this connection cannot carry another request.
    if (this.draining() || !ctx.req.complete || this.closeAfter) headers.connection = 'close';
    this.res.writeHead(ctx.response!.status, headers);
  }

  /** A whole answer from the gateway or a policy, with its Content-Length. */
  async direct(answer: DirectResponse): Promise<void> {
    const body = answer.body === undefined ? undefined : Buffer.from(answer.body);
    const headers: HeaderMap = { ...answer.headers };
    if (body) headers['content-length'] = String(body.length);
    await this.head(answer.status, headers, 'direct');
    this.res.end(body);
  }

  /** An RFC 9457 problem; after the head is sent, the only way left to fail is to drop the connection. */
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
