/**
 * The OTLP exporter's own headers and CA (issue 21 §6): `tracing.otlp.headers` (values by
 * reference only, `${env:…}` / `${secret:…}`) and `tracing.otlp.caFile` (a PEM CA added to the
 * default trust), against a local OTLP/HTTP receiver served over TLS with a test CA. Spans arrive
 * with the headers; without caFile the collector's certificate is refused, and that failure is
 * logged (tracing.export_failed, with the TLS error code) and counted, and nothing reaches the
 * receiver. No header value appears in a log line, the loaded config's JSON, or an error.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import type { IncomingHttpHeaders } from 'node:http';
import { createServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { after, before, test } from 'node:test';
import { formatIssue, validateConfig } from '../src/config/loader.js';
import { REFERENCE_HINT } from '../src/config/secret.js';
import { makeTestPki, type TestPki } from './helpers/certs.js';
import { baseConfig, eventually, httpRequest, startGateway, startUpstream, type TestUpstream } from './helpers/index.js';

const TOKEN = 'Bearer otlp-SECRET-collector-token-5531';
const TENANT = 'tenant-SECRET-7731';
const env = { OTLP_AUTH: TOKEN, OTLP_TENANT: TENANT };

let pki: TestPki;
let upstream: TestUpstream;
let receiver: { endpoint: string; requests: Array<{ headers: IncomingHttpHeaders; traceIds: string[] }>; close(): Promise<void> };

before(async () => {
  pki = await makeTestPki();
  upstream = await startUpstream();
  const requests: Array<{ headers: IncomingHttpHeaders; traceIds: string[] }> = [];
  const server = createServer({ cert: pki.serverCertPem, key: readFileSync(pki.serverKey) }, (request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      const body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as { resourceSpans: Array<{ scopeSpans: Array<{ spans: Array<{ traceId: string }> }> }> };
      requests.push({ headers: request.headers, traceIds: body.resourceSpans.flatMap((r) => r.scopeSpans.flatMap((s) => s.spans.map((span) => span.traceId))) });
      response.writeHead(200, { 'content-type': 'application/json' }).end('{}');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  receiver = {
    endpoint: `https://127.0.0.1:${(server.address() as AddressInfo).port}/v1/traces`,
    requests,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
});
after(async () => {
  await receiver.close();
  await upstream.close();
});

const tracing = (extra: Record<string, unknown>) => ({ tracing: { otlp: { endpoint: receiver.endpoint, exportIntervalMs: 100, timeoutMs: 5000, headers: { authorization: '${env:OTLP_AUTH}', 'x-scope-orgid': '${env:OTLP_TENANT}' }, ...extra } } });

test('with caFile, spans reach the TLS collector carrying the configured headers; no header value is logged or shown', async () => {
  const gw = await startGateway(baseConfig([upstream.url], tracing({ caFile: pki.rootCa })), { env });
  try {
    const reply = await httpRequest(`${gw.url}/traced`);
    assert.equal(reply.status, 200);
    const traceId = reply.headers.traceparent!.toString().split('-')[1]!;
    await gw.gateway.flushTraces();
    await eventually(() => receiver.requests.some((request) => request.traceIds.includes(traceId)), 'the spans reach the collector over TLS');
    const carrying = receiver.requests.find((request) => request.traceIds.includes(traceId))!;
    assert.equal(carrying.headers.authorization, TOKEN);
    assert.equal(carrying.headers['x-scope-orgid'], TENANT);
    assert.match(String(carrying.headers['content-type']), /^application\/json/);
    assert.ok(!gw.logs.records.some((record) => record.event === 'tracing.export_failed'), 'no export failed');
    for (const secret of [TOKEN, TENANT]) assert.ok(!gw.logs.text().includes(secret), 'no header value in the log');
  } finally {
    await gw.close();
  }
});

test('without caFile the collector\'s certificate is refused: logged once with its TLS error code and counted, not silent; nothing arrives', async () => {
  const before = receiver.requests.length;
  const gw = await startGateway(baseConfig([upstream.url], tracing({})), { env });
  try {
    assert.equal((await httpRequest(`${gw.url}/a`)).status, 200, 'requests are not affected');
    assert.equal((await httpRequest(`${gw.url}/b`)).status, 200);
    await gw.gateway.flushTraces().catch(() => {});
    const record = await gw.logs.waitFor((r) => r.event === 'tracing.export_failed');
    assert.equal(record.endpoint, receiver.endpoint);
    assert.match(String(record.code), /CERT|VERIFY|SIGNATURE|ISSUER/, `a TLS verification code (${String(record.code)})`);
    const metrics = await httpRequest(`${gw.gateway.adminUrl}/metrics`);
    const failed = /^portcullis_tracing_spans_failed_total (\d+)$/m.exec(metrics.text);
    assert.ok(failed && Number(failed[1]) >= 4, `spans counted as failed:\n${failed?.[0]}`);
    assert.equal(receiver.requests.length, before, 'no request was answered by the collector: the TLS handshake failed');
    for (const secret of [TOKEN, TENANT]) assert.ok(!gw.logs.text().includes(secret), 'no header value in the log');
  } finally {
    await gw.close();
  }
});

test('header values are references only: a literal is refused at load by its path, and a loaded value prints as its reference', () => {
  const literal = validateConfig(baseConfig(['http://127.0.0.1:1'], { tracing: { otlp: { endpoint: 'https://collector.example.com/v1/traces', headers: { authorization: TOKEN } } } }), env);
  assert.equal(literal.ok, false);
  assert.deepEqual(literal.ok ? [] : literal.issues.map(formatIssue), [`tracing.otlp.headers.authorization: ${REFERENCE_HINT}`]);
  const loaded = validateConfig(baseConfig(['http://127.0.0.1:1'], { tracing: { otlp: { endpoint: 'https://collector.example.com/v1/traces', headers: { authorization: '${env:OTLP_AUTH}' } } } }), env);
  assert.ok(loaded.ok, loaded.ok ? '' : loaded.issues.map(formatIssue).join('\n'));
  const json = JSON.stringify(loaded.config.tracing);
  assert.ok(!json.includes(TOKEN), 'the value is not in the config as shown');
  assert.ok(json.includes('[secret ${env:OTLP_AUTH}]'), json);
  const badName = validateConfig(baseConfig(['http://127.0.0.1:1'], { tracing: { otlp: { endpoint: 'https://collector.example.com/v1/traces', headers: { 'bad header': '${env:OTLP_AUTH}' } } } }), env);
  assert.equal(badName.ok, false, 'a header name must be an HTTP token');
});
