/**
 * Third-party errors normalised (`upstreams.<name>.errors.mode: normalize`): an upstream's 4xx or
 * 5xx answer becomes an RFC 9457 problem with a stable `upstream.*` code, so partners see one error
 * format whatever is behind the gateway, and nothing of a third party's error body (stack traces,
 * internal ids, other customers' data) reaches them by accident:
 * - 401 and 403 → `upstream.auth_failed` (502): the third party refused the *gateway's*
 *   credentials; it must not look like the client's own 401, so no WWW-Authenticate either;
 * - 429 → `upstream.rate_limited` (429), Retry-After kept;
 * - any other 4xx → `upstream.rejected` (400);
 * - 5xx → `upstream.failed` (502), Retry-After of a 503 kept.
 * The upstream's status goes into the problem as `upstreamStatus` (and into Proxy-Status as
 * received-status); its own error code as `upstreamCode` only when it is one of `safeCodes`. The
 * raw body is read through the response-body seam (decoded, bounded) and only ever written to
 * the debug log.
 */
import type { HeaderMap, RequestContext } from '../core/context.js';
import { GatewayError, type ErrorCode } from '../core/errors.js';
import type { UpstreamConfig } from '../config/schema.js';
import type { Logger } from '../observability/logger.js';
import type { GatewayMetrics } from '../observability/metrics.js';
import { UpstreamResponseBody } from './response-body.js';
import type { UpstreamExchange, UpstreamHead } from './upstream-exchange.js';

/** Most bytes of an error body read (decoded) to find the upstream's code; a larger body is not read. */
export const ERROR_BODY_READ_BYTES = 64 * 1024;
/** Most bytes of the raw body written to the debug log. */
export const ERROR_BODY_LOG_BYTES = 4096;

const DETAILS: Record<string, string> = {
  'upstream.auth_failed': "The upstream did not accept the gateway's credentials.",
  'upstream.rate_limited': 'The upstream is limiting the rate of requests; retry later.',
  'upstream.rejected': 'The upstream rejected the request.',
  'upstream.failed': 'The upstream failed to process the request.',
};

/** The upstream.* code of an error status (400–599). */
export function normalizedCode(status: number): ErrorCode {
  if (status === 401 || status === 403) return 'upstream.auth_failed';
  if (status === 429) return 'upstream.rate_limited';
  return status < 500 ? 'upstream.rejected' : 'upstream.failed';
}

/** RFC 9110 §10.2.3: delay-seconds or an HTTP-date; anything else is not passed on. */
function validRetryAfter(value: unknown): string | undefined {
  const text = Array.isArray(value) ? value[0] : value;
  if (typeof text !== 'string') return undefined;
  const trimmed = text.trim();
  return /^\d{1,10}$/.test(trimmed) || (trimmed.length <= 64 && !Number.isNaN(Date.parse(trimmed))) ? trimmed : undefined;
}

/** The value at a JSON Pointer (RFC 6901) in a parsed document, own properties only. */
function atPointer(document: unknown, pointer: string): unknown {
  let node = document;
  for (const raw of pointer.split('/').slice(1)) {
    const key = raw.replace(/~1/g, '/').replace(/~0/g, '~');
    if (typeof node !== 'object' || node === null || !Object.hasOwn(node, key)) return undefined;
    node = (node as Record<string, unknown>)[key];
  }
  return node;
}

/** The upstream's own code in `body`, when it is one of the safe ones. */
function safeUpstreamCode(body: Buffer | undefined, errors: NonNullable<UpstreamConfig['errors']>): string | undefined {
  if (!body || errors.codePointer === undefined || errors.safeCodes.length === 0) return undefined;
  let document: unknown;
  try {
    document = JSON.parse(body.toString('utf8'));
  } catch {
    return undefined;
  }
  const code = atPointer(document, errors.codePointer);
  const text = typeof code === 'number' ? String(code) : code;
  return typeof text === 'string' && errors.safeCodes.includes(text) ? text : undefined;
}

/**
 * Reads (bounded) and drops the upstream's error response, and returns the problem to answer
 * instead. The connection is freed: the body is read to its end or discarded.
 */
export async function normalizeUpstreamError(
  ctx: RequestContext,
  upstream: { readonly name: string; readonly config: UpstreamConfig },
  head: UpstreamHead,
  headers: HeaderMap,
  exchange: UpstreamExchange,
  origin: string,
  logger: Logger,
  metrics: GatewayMetrics | undefined,
): Promise<GatewayError> {
  const errors = upstream.config.errors!;
  let body: Buffer | undefined;
  let unread: string | undefined;
  if (ctx.method === 'HEAD' || head.statusCode === 304) {
    exchange.ignoreBody();
  } else {
    const received = new UpstreamResponseBody(ctx, exchange.readable(), headers, origin);
    try {
      body = await received.read(ERROR_BODY_READ_BYTES);
      if (body === undefined) unread = `larger than ${ERROR_BODY_READ_BYTES} bytes`;
    } catch (error) {
      unread = (error as Error).message;
    }
    received.discard();
  }
  const code = normalizedCode(head.statusCode);
  const upstreamCode = safeUpstreamCode(body, errors);
  const retryAfter = code === 'upstream.rate_limited' || head.statusCode === 503 ? validRetryAfter(head.headers['retry-after']) : undefined;
  logger.debug(
    {
      event: 'upstream.error_normalized',
      requestId: ctx.requestId,
      upstream: upstream.name,
      target: origin,
      status: head.statusCode,
      code,
      upstreamCode,
      contentType: head.headers['content-type'],
      body: body?.subarray(0, ERROR_BODY_LOG_BYTES).toString('utf8'),
      bodyTruncated: body !== undefined && body.length > ERROR_BODY_LOG_BYTES ? true : undefined,
      bodyUnread: unread,
    },
    'upstream error response replaced by a problem',
  );
  metrics?.upstreamErrorsNormalized.inc({ upstream: upstream.name, code });
  return new GatewayError(code, {
    detail: DETAILS[code],
    internal: `upstream ${upstream.name} answered ${head.statusCode}${upstreamCode === undefined ? '' : ` (${upstreamCode})`}`,
    headers: retryAfter === undefined ? {} : { 'retry-after': retryAfter },
    extensions: { upstreamStatus: head.statusCode, ...(upstreamCode === undefined ? {} : { upstreamCode }) },
  });
}
