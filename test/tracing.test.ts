/**
 * OpenTelemetry traces against a local OTLP/HTTP receiver that decodes what it gets (the
 * exporter's JSON encoding of ExportTraceServiceRequest, parsed as JSON): the server span with
 * the pipeline phases as events, the upstream client span as its child, the traceparent the
 * upstream received naming that client span under the caller's trace id, the resource attributes,
 * no credential in any attribute, parent-based sampling, the egress guard on the exporter's
 * connection, and a failing export logged and counted.
 */
import assert from 'node:assert/strict';
import { createServer, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, describe, test } from 'node:test';
import { baseConfig, eventually, httpRequest, startGateway, startUpstream, type TestGateway, type TestUpstream } from './helpers/index.js';

interface OtlpValue {
  stringValue?: string;
  intValue?: number | string;
  boolValue?: boolean;
  doubleValue?: number;
}
interface OtlpSpan {
  traceId: string;
  spanId: string;
  parentSpanId?: string;
  name: string;
  kind: number;
  attributes: Array<{ key: string; value: OtlpValue }>;
  events?: Array<{ name: string }>;
  status?: { code?: number };
}
interface Exported {
  resource: Record<string, unknown>;
  span: OtlpSpan;
}

/** OTLP SpanKind (opentelemetry-proto trace.proto). */
const SERVER = 2;
const CLIENT = 3;

const value = (v: OtlpValue): unknown => v.stringValue ?? (v.intValue === undefined ? undefined : Number(v.intValue)) ?? v.boolValue ?? v.doubleValue;
const attributes = (list: Array<{ key: string; value: OtlpValue }>) => Object.fromEntries(list.map(({ key, value: v }) => [key, value(v)]));

/** An OTLP/HTTP traces receiver: decodes each JSON ExportTraceServiceRequest into its spans. */
async function otlpReceiver() {
  const spans: Exported[] = [];
  const contentTypes: string[] = [];
  const server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      contentTypes.push(String(request.headers['content-type']));
      const body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as { resourceSpans: Array<{ resource: { attributes: Array<{ key: string; value: OtlpValue }> }; scopeSpans: Array<{ spans: OtlpSpan[] }> }> };
      for (const resourceSpans of body.resourceSpans) {
        const resource = attributes(resourceSpans.resource.attributes);
        for (const scope of resourceSpans.scopeSpans) for (const span of scope.spans) spans.push({ resource, span });
      }
      response.writeHead(200, { 'content-type': 'application/json' });
      response.end('{}');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    endpoint: `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1/traces`,
    spans,
    contentTypes,
    ofTrace: (traceId: string) => spans.filter(({ span }) => span.traceId === traceId),
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

const SECRETS = ['Bearer-SECRET-token-1', 'SECRET-cookie-2', 'SECRET-api-key-3', 'SECRET-query-4'];
const VERSION = (JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string }).version;

function traceparentOf(headers: IncomingHttpHeaders): string {
  const value = headers.traceparent;
  assert.equal(typeof value, 'string', 'exactly one traceparent header');
  return value as string;
}

describe('OpenTelemetry traces', () => {
  let receiver: Awaited<ReturnType<typeof otlpReceiver>>;
  let upstream: TestUpstream;
  let gw: TestGateway;
  const purposes: string[] = [];

  before(async () => {
    receiver = await otlpReceiver();
    upstream = await startUpstream();
    gw = await startGateway(
      baseConfig([upstream.url], {
        policies: { 'ip-rules': { allow: ['127.0.0.1/32'] }, ratelimit: { limits: [{ name: 'per-minute', limit: 1000, windowSeconds: 60, by: ['ip'] }] } },
        tracing: { otlp: { endpoint: receiver.endpoint, exportIntervalMs: 100 } },
        nodeId: 'tracing-node-1',
      }),
      { connectHook: (connection) => void purposes.push(connection.purpose) },
    );
  });
  after(async () => {
    await gw.close();
    await upstream.close();
    await receiver.close();
  });

  test('a request is a server span with its phases as events; the upstream call its client span; traceparent carries the client span under the caller\'s trace id', async () => {
    const traceId = '4bf92f3577b34da6a3ce929d0e0e4736';
    const callerSpanId = '00f067aa0ba902b7';
    const reply = await httpRequest(`${gw.url}/orders/42?api_key=${SECRETS[3]}&page=2`, {
      headers: { traceparent: `00-${traceId}-${callerSpanId}-01`, tracestate: 'vendor=abc', authorization: SECRETS[0]!, cookie: `session=${SECRETS[1]}`, 'x-api-key': SECRETS[2]! },
    });
    assert.equal(reply.status, 200);
    await gw.gateway.flushTraces();
    await eventually(() => receiver.ofTrace(traceId).length >= 2, 'the server and client spans are exported');
    const spans = receiver.ofTrace(traceId);
    assert.equal(spans.length, 2);
    const server = spans.find(({ span }) => span.kind === SERVER)!.span;
    const client = spans.find(({ span }) => span.kind === CLIENT)!.span;
    assert.ok(server && client);

    assert.equal(server.name, 'GET all');
    assert.equal(server.parentSpanId, callerSpanId, 'the caller\'s span is the parent');
    assert.deepEqual(attributes(server.attributes), {
      'http.request.method': 'GET',
      'url.path': '/orders/42',
      'url.scheme': 'http',
      'client.address': '127.0.0.1',
      'portcullis.route': 'all',
      'portcullis.request_id': reply.headers['x-request-id'],
      'portcullis.upstream': 'backend',
      'http.response.status_code': 200,
    });
    assert.deepEqual((server.events ?? []).map((event) => event.name), ['receive', 'limit', 'respond']);

    assert.equal(client.name, 'GET backend');
    assert.equal(client.parentSpanId, server.spanId, 'the client span is a child of the server span');
    assert.deepEqual(attributes(client.attributes), {
      'http.request.method': 'GET',
      'server.address': '127.0.0.1',
      'server.port': upstream.port,
      'url.full': `${upstream.url}/orders/42`,
      'portcullis.upstream': 'backend',
      'http.response.status_code': 200,
    });

    // The upstream saw one traceparent: same trace id, the client span as parent, sampled; the caller's tracestate kept.
    const sent = upstream.requests.at(-1)!;
    assert.equal(traceparentOf(sent.headers), `00-${traceId}-${client.spanId}-01`);
    assert.equal(sent.headers.tracestate, 'vendor=abc');
    // The client is told the server span.
    assert.equal(reply.headers.traceparent, `00-${traceId}-${server.spanId}-01`);
    // And the access log carries the trace id.
    const line = await gw.logs.accessLine(reply.headers['x-request-id']);
    assert.equal(line.traceId, traceId);

    const resource = spans[0]!.resource;
    assert.equal(resource['service.name'], 'portcullis');
    assert.equal(resource['service.version'], VERSION);
    assert.equal(resource['service.instance.id'], 'tracing-node-1', 'the node id (nodeId) names the instance');
    assert.deepEqual(receiver.contentTypes.filter((type) => !type.startsWith('application/json')), [], 'OTLP/HTTP JSON encoding');

    // No credential in any attribute or resource attribute, and no query string at all.
    const everything = JSON.stringify(receiver.spans);
    for (const secret of SECRETS) assert.ok(!everything.includes(secret), `${secret} reached a span`);
    assert.ok(!everything.includes('page=2'), 'no query string is recorded');
  });

  test('a request without traceparent starts a trace at the gateway; the exporter connects through the egress guard', async () => {
    const reply = await httpRequest(`${gw.url}/fresh`);
    const [, traceId, serverSpanId, flags] = reply.headers.traceparent!.toString().split('-');
    assert.equal(flags, '01', 'sampled at ratio 1');
    await gw.gateway.flushTraces();
    await eventually(() => receiver.ofTrace(traceId!).length >= 2, 'exported');
    const server = receiver.ofTrace(traceId!).find(({ span }) => span.kind === SERVER)!.span;
    assert.equal(server.spanId, serverSpanId);
    assert.equal(server.parentSpanId === undefined || server.parentSpanId === '', true, 'a root span');
    const client = receiver.ofTrace(traceId!).find(({ span }) => span.kind === CLIENT)!.span;
    assert.equal(traceparentOf(upstream.requests.at(-1)!.headers), `00-${traceId}-${client.spanId}-01`);
    assert.ok(purposes.includes('tracing'), `the OTLP connection passed the connect hook (saw ${[...new Set(purposes)].join(', ')})`);
  });
});

describe('OpenTelemetry traces: sampling and failures', () => {
  test('parent-based sampling: at ratio 0 a new trace is not recorded but still propagated; a sampled caller is recorded, an unsampled one is not', async () => {
    const receiver = await otlpReceiver();
    const upstream = await startUpstream();
    const gw = await startGateway(baseConfig([upstream.url], { tracing: { otlp: { endpoint: receiver.endpoint, exportIntervalMs: 100 }, samplingRatio: 0 } }));
    try {
      const fresh = await httpRequest(`${gw.url}/a`);
      const [, freshTrace, , freshFlags] = fresh.headers.traceparent!.toString().split('-');
      assert.equal(freshFlags, '00');
      const sentFresh = traceparentOf(upstream.requests.at(-1)!.headers).split('-');
      assert.equal(sentFresh[1], freshTrace, 'the upstream is in the same trace');
      assert.equal(sentFresh[3], '00');

      const sampledTrace = 'aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa1';
      await httpRequest(`${gw.url}/b`, { headers: { traceparent: `00-${sampledTrace}-bbbbbbbbbbbbbbb1-01` } });
      const unsampledTrace = 'aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa2';
      await httpRequest(`${gw.url}/c`, { headers: { traceparent: `00-${unsampledTrace}-bbbbbbbbbbbbbbb2-00` } });
      assert.equal(traceparentOf(upstream.requests.at(-1)!.headers).split('-')[1], unsampledTrace);

      await gw.gateway.flushTraces();
      await eventually(() => receiver.ofTrace(sampledTrace).length === 2, 'the sampled caller\'s request is exported');
      assert.equal(receiver.ofTrace(freshTrace!).length, 0);
      assert.equal(receiver.ofTrace(unsampledTrace).length, 0);
      assert.equal(receiver.spans.length, 2);
    } finally {
      await gw.close();
      await upstream.close();
      await receiver.close();
    }
  });

  test('a failing export is logged once (tracing.export_failed) and its spans counted; requests are not affected', async () => {
    const gone = await otlpReceiver();
    await gone.close();
    const upstream = await startUpstream();
    const gw = await startGateway(baseConfig([upstream.url], { tracing: { otlp: { endpoint: gone.endpoint, exportIntervalMs: 100, timeoutMs: 2000 } } }));
    try {
      assert.equal((await httpRequest(`${gw.url}/x`)).status, 200);
      assert.equal((await httpRequest(`${gw.url}/y`)).status, 200);
      // The flush reports the failed export; the gateway logs and counts it either way.
      await gw.gateway.flushTraces().catch(() => {});
      const record = await gw.logs.waitFor((r) => r.event === 'tracing.export_failed');
      assert.equal(record.endpoint, gone.endpoint);
      const metrics = await httpRequest(`${gw.gateway.adminUrl}/metrics`);
      const failed = /^portcullis_tracing_spans_failed_total (\d+)$/m.exec(metrics.text);
      assert.ok(failed && Number(failed[1]) >= 4, `spans counted as failed:\n${failed?.[0]}`);
    } finally {
      await gw.close();
      await upstream.close();
    }
  });
});

test('with tracing off no OpenTelemetry code is loaded: the SDK is imported only by observability/tracing.ts, which is loaded on demand', () => {
  const src = fileURLToPath(new URL('../../src/', import.meta.url));
  const offenders: string[] = [];
  const walk = (dir: string) => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const path = join(dir, entry.name);
      if (entry.isDirectory()) walk(path);
      else if (entry.name.endsWith('.ts') && !entry.name.endsWith('.test.ts')) {
        const relative = path.slice(src.length);
        const text = readFileSync(path, 'utf8');
        // A value import of the SDK anywhere but the tracing module would load it at start.
        if (relative !== 'observability/tracing.ts' && /^import (?!type )[^;]*from '@opentelemetry\//m.test(text)) offenders.push(`${relative} imports @opentelemetry`);
        // The tracing module itself is reached only by import type and await import().
        if (/^import (?!type )[^;]*from '[./]*(observability\/)?tracing\.js'/m.test(text)) offenders.push(`${relative} imports tracing.js statically`);
      }
    }
  };
  walk(src);
  assert.deepEqual(offenders, []);
  assert.match(readFileSync(join(src, 'server/gateway-parts.ts'), 'utf8'), /await import\('\.\.\/observability\/tracing\.js'\)/);
});
