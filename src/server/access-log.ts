/**
 * The access log: one line per request, whatever ended it (a response, a problem, the client
 * going away), with what an operator needs to follow it and nothing secret: the path has its
 * sensitive query parameters redacted, and headers only when logging.includeHeaders is on
 * (the logger redacts credentials in them).
 */
import type { ServerResponse } from 'node:http';
import type { RequestContext } from '../core/context.js';
import type { AccessRecord } from '../observability/access-line.js';
import { redactPath } from '../observability/logger.js';
import type { Runtime } from './runtime.js';

/**
 * Writes the access line of `ctx` (type "access"); durations in milliseconds, 2 decimals. The
 * line is formatted here and written with others at the end of the event-loop turn
 * (observability/access-line.ts, log-destination.ts); nothing is done when the level hides it.
 */
export function logAccess(ctx: RequestContext, res: ServerResponse, runtime: Runtime): void {
  const accessLog = runtime.accessLog;
  if (accessLog === undefined) return;
  const record: AccessRecord = {
    type: 'access',
    requestId: ctx.requestId,
    traceId: ctx.trace.traceId,
    route: ctx.route.name,
    method: ctx.method,
    path: redactPath(ctx.path, ctx.search, runtime.sensitiveQueryParams),
    status: res.headersSent ? res.statusCode : 0,
    durationMs: round(performance.now() - ctx.startedAt),
    upstreamMs: ctx.upstream.latencyMs === undefined ? undefined : round(ctx.upstream.latencyMs),
    upstream: ctx.upstream.target,
    attempts: ctx.upstream.attempts || undefined,
    bytesIn: ctx.bytesIn,
    bytesOut: ctx.bytesOut,
    clientIp: ctx.clientIp,
    code: ctx.error?.code,
    consumerId: ctx.principal?.consumerId,
    country: ctx.geo?.country,
    credentialId: ctx.principal?.credentialId,
    ...ctx.logFields,
  };
  if (ctx.error?.internal !== undefined) record.internal = ctx.error.internal;
  if (!res.writableFinished) {
    record.incomplete = true;
    // No error of ours stopped it, so the client went away (the proxy may not have noticed yet).
    if (!ctx.error) record.clientAborted = true;
  }
  if (runtime.config.logging.includeHeaders) record.headers = ctx.req.headers;
  accessLog.write(record);
}

function round(ms: number): number {
  return Math.round(ms * 100) / 100;
}
