/**
 * OpenTelemetry traces (docs/observability.md#traces): with `tracing.otlp.endpoint` set, each
 * request gets a server span (the pipeline phases are events on it) and each upstream attempt a
 * client span, exported over OTLP/HTTP (JSON encoding) in batches. Trace Context (W3C) is read
 * from the request and written upstream by the SDK's propagator, so the upstream sees the client
 * span as its parent, under the caller's trace id.
 *
 * Loaded only when tracing is configured (server/gateway.ts imports this module on demand): with
 * tracing off no SDK code runs and no span object is made. The provider is not registered as the
 * process's global one: spans are started with explicit parent contexts, so two gateways in one
 * process (tests) do not share a tracer.
 *
 * No credential reaches an attribute: the server span records the method, the path (never the
 * query), scheme, client address, route, upstream, status and problem code; the client span the
 * method, target origin and path (no query), status and attempt. No header is recorded. The
 * exporter's own headers (tracing.otlp.headers) are secrets by reference, revealed per export and
 * never logged; tracing.otlp.caFile is trusted besides the bundled root CAs (otlp-agent.ts).
 */
import { hostname } from 'node:os';
import { readFileSync } from 'node:fs';
import { ROOT_CONTEXT, SpanKind, SpanStatusCode, defaultTextMapGetter, defaultTextMapSetter, trace, type Context, type Span, type Tracer } from '@opentelemetry/api';
import { ExportResultCode, W3CTraceContextPropagator, type ExportResult } from '@opentelemetry/core';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { BatchSpanProcessor, NodeTracerProvider, ParentBasedSampler, TraceIdRatioBasedSampler, type ReadableSpan, type SpanExporter } from '@opentelemetry/sdk-trace-node';
import {
  ATTR_CLIENT_ADDRESS,
  ATTR_ERROR_TYPE,
  ATTR_HTTP_REQUEST_METHOD,
  ATTR_HTTP_REQUEST_RESEND_COUNT,
  ATTR_HTTP_RESPONSE_STATUS_CODE,
  ATTR_SERVER_ADDRESS,
  ATTR_SERVER_PORT,
  ATTR_SERVICE_NAME,
  ATTR_SERVICE_VERSION,
  ATTR_URL_FULL,
  ATTR_URL_PATH,
  ATTR_URL_SCHEME,
} from '@opentelemetry/semantic-conventions';
import type { TracingConfig } from '../config/tracing-schema.js';
import type { RequestSpan, RequestSpanOutcome, RequestTracer, TraceContext, UpstreamAttempt, UpstreamSpan } from '../core/trace-context.js';
import type { Outbound } from '../outbound/index.js';
import type { Logger } from './logger.js';
import { guardedAgent } from './otlp-agent.js';

/** Incubating in the semantic conventions (copied, as the conventions package advises, rather than imported from `incubating`). */
const ATTR_SERVICE_INSTANCE_ID = 'service.instance.id';

const GATEWAY_VERSION = (JSON.parse(readFileSync(new URL('../../../package.json', import.meta.url), 'utf8')) as { version: string }).version;

export interface TracingDeps {
  readonly outbound: Outbound;
  /** The node's id (service.instance.id); default: the host name. */
  readonly nodeId?: string | undefined;
  readonly logger: () => Logger;
  /** Counts the spans of each failed export (portcullis_tracing_spans_failed_total). */
  readonly countFailed: (spans: number) => void;
}

/**
 * The OTLP exporter, with its failures made visible: each failed export is counted (its spans are
 * lost: the collector was unreachable, refused, or timed out), and logged once per outage
 * (tracing.export_failed, then tracing.export_recovered). The error text is not logged: it may
 * quote the collector's answer; the endpoint is config, not a secret, and is logged.
 */
class VisibleExporter implements SpanExporter {
  #failing = false;
  constructor(
    private readonly inner: SpanExporter,
    private readonly endpoint: string,
    private readonly deps: TracingDeps,
  ) {}

  export(spans: ReadableSpan[], done: (result: ExportResult) => void): void {
    this.inner.export(spans, (result) => {
      if (result.code !== ExportResultCode.SUCCESS) {
        this.deps.countFailed(spans.length);
        if (!this.#failing) {
          this.#failing = true;
          const code = (result.error as { code?: unknown } | undefined)?.code;
          this.deps.logger().warn({ event: 'tracing.export_failed', endpoint: this.endpoint, spans: spans.length, ...(typeof code === 'string' ? { code } : {}) }, 'spans could not be exported to the OTLP endpoint');
        }
      } else if (this.#failing) {
        this.#failing = false;
        this.deps.logger().info({ event: 'tracing.export_recovered', endpoint: this.endpoint }, 'spans are exported again');
      }
      done(result);
    });
  }

  shutdown(): Promise<void> {
    return this.inner.shutdown();
  }

  forceFlush(): Promise<void> {
    return this.inner.forceFlush?.() ?? Promise.resolve();
  }
}

const propagator = new W3CTraceContextPropagator();

function readCaFile(file: string | undefined): string | undefined {
  if (file === undefined) return undefined;
  try {
    return readFileSync(file, 'utf8');
  } catch (error) {
    throw new Error(`tracing.otlp.caFile: cannot read ${file} (${(error as NodeJS.ErrnoException).code ?? 'error'})`);
  }
}

export class OtlpTracing implements RequestTracer {
  readonly #provider: NodeTracerProvider;
  readonly #tracer: Tracer;

  /**
   * Throws when `tracing.otlp.caFile` cannot be read (the start fails and names the file).
   * Header values are revealed per export, so a vault secret's rotation applies to the next batch;
   * one that cannot be read fails that export like an unreachable collector (logged, counted).
   */
  constructor(config: TracingConfig, deps: TracingDeps) {
    const timeoutMs = config.otlp.timeoutMs;
    const ca = readCaFile(config.otlp.caFile);
    const headers = Object.entries(config.otlp.headers ?? {});
    const exporter = new OTLPTraceExporter({
      url: config.otlp.endpoint,
      timeoutMillis: timeoutMs,
      httpAgentOptions: (protocol: string) => guardedAgent(deps.outbound, protocol, timeoutMs, ca),
      ...(headers.length === 0 ? {} : { headers: async () => Object.fromEntries(headers.map(([name, value]) => [name, value.reveal()])) }),
    });
    this.#provider = new NodeTracerProvider({
      resource: resourceFromAttributes({
        [ATTR_SERVICE_NAME]: config.serviceName,
        [ATTR_SERVICE_VERSION]: GATEWAY_VERSION,
        [ATTR_SERVICE_INSTANCE_ID]: deps.nodeId ?? hostname(),
      }),
      // A caller's sampling decision is kept (its sampled flag); a trace that starts here is sampled at samplingRatio.
      sampler: new ParentBasedSampler({ root: new TraceIdRatioBasedSampler(config.samplingRatio) }),
      spanProcessors: [new BatchSpanProcessor(new VisibleExporter(exporter, config.otlp.endpoint, deps), { scheduledDelayMillis: config.otlp.exportIntervalMs, exportTimeoutMillis: timeoutMs })],
    });
    this.#tracer = this.#provider.getTracer('portcullis', GATEWAY_VERSION);
  }

  startRequest(request: Parameters<RequestTracer['startRequest']>[0]): RequestSpan {
    const parent = propagator.extract(ROOT_CONTEXT, request.headers, defaultTextMapGetter);
    const parentSpanId = trace.getSpanContext(parent)?.spanId;
    const span = this.#tracer.startSpan(
      `${request.method} ${request.route}`,
      {
        kind: SpanKind.SERVER,
        attributes: {
          [ATTR_HTTP_REQUEST_METHOD]: request.method,
          [ATTR_URL_PATH]: request.path,
          [ATTR_URL_SCHEME]: request.scheme,
          [ATTR_CLIENT_ADDRESS]: request.clientIp,
          'portcullis.route': request.route,
          'portcullis.request_id': request.requestId,
        },
      },
      parent,
    );
    return new SdkRequestSpan(this.#tracer, span, trace.setSpan(parent, span), parentSpanId);
  }

  /** Exports what is buffered (tests; shutdown). */
  forceFlush(): Promise<void> {
    return this.#provider.forceFlush();
  }

  /** Exports what is buffered, then stops the exporter. */
  shutdown(): Promise<void> {
    return this.#provider.shutdown();
  }
}

class SdkRequestSpan implements RequestSpan {
  readonly trace: TraceContext;
  #ended = false;

  constructor(
    private readonly tracer: Tracer,
    private readonly span: Span,
    private readonly context: Context,
    parentSpanId: string | undefined,
  ) {
    const own = span.spanContext();
    this.trace = { traceId: own.traceId, spanId: own.spanId, parentSpanId, flags: own.traceFlags.toString(16).padStart(2, '0'), traceState: own.traceState?.serialize() };
  }

  phase(name: string): void {
    if (this.span.isRecording()) this.span.addEvent(name);
  }

  startUpstream(attempt: UpstreamAttempt): UpstreamSpan {
    const url = new URL(attempt.origin);
    const client = this.tracer.startSpan(
      `${attempt.method} ${attempt.upstream}`,
      {
        kind: SpanKind.CLIENT,
        attributes: {
          [ATTR_HTTP_REQUEST_METHOD]: attempt.method,
          [ATTR_SERVER_ADDRESS]: url.hostname.replace(/^\[|\]$/g, ''),
          [ATTR_SERVER_PORT]: Number(url.port) || (url.protocol === 'https:' ? 443 : 80),
          [ATTR_URL_FULL]: `${attempt.origin}${attempt.path}`,
          'portcullis.upstream': attempt.upstream,
          ...(attempt.attempt > 1 ? { [ATTR_HTTP_REQUEST_RESEND_COUNT]: attempt.attempt - 1 } : {}),
        },
      },
      this.context,
    );
    const headers: Record<string, string> = {};
    propagator.inject(trace.setSpan(this.context, client), headers, defaultTextMapSetter);
    return {
      headers,
      end(result) {
        if (result.status !== undefined) client.setAttribute(ATTR_HTTP_RESPONSE_STATUS_CODE, result.status);
        // Client spans: a 4xx or 5xx answer is an error (HTTP semantic conventions, "Status").
        if (result.error !== undefined || (result.status ?? 0) >= 400) {
          client.setStatus({ code: SpanStatusCode.ERROR });
          client.setAttribute(ATTR_ERROR_TYPE, result.error ?? String(result.status));
        }
        client.end();
      },
    };
  }

  end(outcome: RequestSpanOutcome): void {
    if (this.#ended) return;
    this.#ended = true;
    const span = this.span;
    span.setAttribute(ATTR_HTTP_RESPONSE_STATUS_CODE, outcome.status);
    span.setAttribute('portcullis.route', outcome.route);
    if (outcome.upstream !== undefined) span.setAttribute('portcullis.upstream', outcome.upstream);
    if (outcome.errorCode !== undefined) span.setAttribute(ATTR_ERROR_TYPE, outcome.errorCode);
    // Server spans: only a 5xx (or no answer) is an error; a 4xx is the client's (HTTP semantic conventions).
    if (outcome.status >= 500 || outcome.status === 0) span.setStatus({ code: SpanStatusCode.ERROR });
    span.end();
  }
}
