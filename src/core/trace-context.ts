/**
 * W3C Trace Context (https://www.w3.org/TR/trace-context/): the gateway is a hop, so it keeps the
 * caller's trace id, records the caller's span as parent, and sends its own span id upstream.
 * This is the whole mechanism while tracing is off; with tracing on, the OpenTelemetry SDK's
 * propagator (observability/tracing.ts) takes its place for the request, and nothing here runs.
 */
import { randomFillSync } from 'node:crypto';

export interface TraceContext {
  readonly traceId: string;
  readonly spanId: string;
  readonly parentSpanId: string | undefined;
  readonly flags: string;
  /** `tracestate` is only forwarded alongside a valid incoming `traceparent` (spec §3.3). */
  readonly traceState: string | undefined;
}

const TRACEPARENT = /^([0-9a-f]{2})-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})$/;
const ALL_ZERO_TRACE = '0'.repeat(32);
const ALL_ZERO_SPAN = '0'.repeat(16);

export function continueTrace(traceparent: string | undefined, tracestate: string | undefined): TraceContext {
  const match = traceparent === undefined ? null : TRACEPARENT.exec(traceparent.trim());
  // Version ff is invalid; all-zero ids are invalid (spec §3.2.2.3, §3.2.2.4).
  if (match && match[1] !== 'ff' && match[2] !== ALL_ZERO_TRACE && match[3] !== ALL_ZERO_SPAN) {
    return { traceId: match[2]!, spanId: newSpanId(), parentSpanId: match[3], flags: match[4]!, traceState: tracestate };
  }
  return { traceId: randomHex(16), spanId: newSpanId(), parentSpanId: undefined, flags: '01', traceState: undefined };
}

export function formatTraceparent(trace: TraceContext): string {
  return `00-${trace.traceId}-${trace.spanId}-${trace.flags}`;
}

function newSpanId(): string {
  return randomHex(8);
}

/**
 * Ids from a pool of random bytes refilled 4 KiB at a time: one call into the system's random
 * source per ~170 requests instead of two per request (measured: 5% of the proxy's CPU time).
 */
const pool = Buffer.alloc(4096);
let offset = pool.length;

function randomHex(bytes: number): string {
  if (offset + bytes > pool.length) {
    randomFillSync(pool);
    offset = 0;
  }
  const hex = pool.toString('hex', offset, offset + bytes);
  offset += bytes;
  return hex;
}

/**
 * A request's server span when tracing is on (observability/tracing.ts, docs/observability.md#traces).
 * With tracing off there is none (`ctx.span` is undefined) and nothing below is called: the
 * gateway is then a plain Trace Context hop (continueTrace / formatTraceparent above).
 */
export interface RequestSpan {
  /** The ids the gateway logs and answers with: the server span's. */
  readonly trace: TraceContext;
  /** Notes that a pipeline phase (receive, authenticate, …, respond) begins: an event on the span. */
  phase(name: string): void;
  /**
   * Starts the client span of one upstream attempt (a child of the server span). `headers` are the
   * Trace Context headers (`traceparent`, `tracestate`) to send upstream, naming the client span.
   */
  startUpstream(attempt: UpstreamAttempt): UpstreamSpan;
  /** Ends the server span; only the first call counts. */
  end(outcome: RequestSpanOutcome): void;
}

export interface UpstreamAttempt {
  readonly upstream: string;
  readonly method: string;
  /** scheme://host[:port] of the target. */
  readonly origin: string;
  /** The path sent upstream, without its query (a query may hold a credential). */
  readonly path: string;
  /** 1 for the first attempt. */
  readonly attempt: number;
}

export interface UpstreamSpan {
  readonly headers: Readonly<Record<string, string>>;
  /** Ends the client span with the upstream's status, or the gateway's error code when there was no answer. */
  end(result: { readonly status?: number | undefined; readonly error?: string | undefined }): void;
}

export interface RequestSpanOutcome {
  readonly status: number;
  readonly route: string;
  readonly upstream?: string | undefined;
  /** The problem code when the gateway answered with an error (`auth.key_invalid`, `upstream.timeout`). */
  readonly errorCode?: string | undefined;
}

/** Starts a request's server span from the incoming headers (W3C Trace Context via the SDK's propagator). */
export interface RequestTracer {
  startRequest(request: { readonly headers: Readonly<Record<string, string | string[] | undefined>>; readonly method: string; readonly path: string; readonly scheme: 'http' | 'https'; readonly clientIp: string; readonly route: string; readonly requestId: string }): RequestSpan;
}
