/**
 * The `tracing` section (docs/observability.md#traces, docs/configuration.md#tracing): OpenTelemetry
 * traces exported over OTLP/HTTP. Absent: tracing is off and costs nothing. Start-only: a change
 * takes a restart (the reload reports it).
 */
import { Type, type Static } from '@sinclair/typebox';
import { Secret } from './secret-schema.js';

/** An HTTP field name (RFC 9110 §5.1: a token). */
const HEADER_NAME = "^[A-Za-z0-9!#$%&'*+.^_`|~-]{1,64}$";

export const TracingSchema = Type.Object(
  {
    otlp: Type.Object(
      {
        endpoint: Type.String({ pattern: '^https?://[^?#]+$', description: 'The OTLP/HTTP traces URL, whole (e.g. https://collector.internal:4318/v1/traces; /v1/traces is not appended). Declared to the egress rules.' }),
        timeoutMs: Type.Integer({ minimum: 100, maximum: 60000, default: 10000, description: 'Time for connecting and for one export to be answered.' }),
        exportIntervalMs: Type.Integer({ minimum: 100, maximum: 60000, default: 5000, description: 'Longest time a finished span waits before it is exported (in batches of up to 512).' }),
        headers: Type.Optional(
          Type.Record(Type.String({ pattern: HEADER_NAME }), Secret('A header value, by reference only (${env:NAME} or ${secret:NAME}): never logged or shown.'), {
            additionalProperties: false,
            description: 'Headers sent with every export (e.g. the collector\'s Authorization), name → value; each value by reference only, read per export (a vault secret\'s promoted version), never logged or shown.',
          }),
        ),
        caFile: Type.Optional(Type.String({ filePath: true, description: 'PEM CA bundle for an https endpoint, trusted besides Node\'s bundled root CAs (a private collector\'s CA).' })),
      },
      { additionalProperties: false, description: 'Where spans are sent: OTLP over HTTP, JSON encoding.' },
    ),
    samplingRatio: Type.Number({ minimum: 0, maximum: 1, default: 1, description: 'Share of the traces that start at the gateway that are recorded (0 to 1, by trace id). A request whose traceparent says sampled or not keeps the caller\'s decision (parent-based).' }),
    serviceName: Type.String({ minLength: 1, maxLength: 128, default: 'portcullis', description: 'The service.name resource attribute.' }),
  },
  { additionalProperties: false, description: 'OpenTelemetry traces: one server span per request (pipeline phases as events), one client span per upstream attempt, traceparent propagated. Off when absent.' },
);

export type TracingConfig = Static<typeof TracingSchema>;
