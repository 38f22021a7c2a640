import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { assertProblem, baseConfig, httpRequest, parseRawResponse, rawExchange, startGateway, startUpstream, type TestGateway, type TestUpstream } from './helpers/index.js';

describe('proxying to an upstream', () => {
  let upstream: TestUpstream;
  let gw: TestGateway;

  before(async () => {
    upstream = await startUpstream();
    gw = await startGateway({
      ...baseConfig([`${upstream.url}/base`]),
      routes: [
        { name: 'get-account', methods: ['GET'], path: '/v1/accounts/:id', upstream: 'backend', rewrite: '/accounts/:id' },
        { name: 'account-summary', methods: ['GET'], path: '/v1/accounts/summary', upstream: 'backend', rewrite: '/summary' },
        { name: 'delete-account', methods: ['DELETE'], path: '/v1/accounts/:id', upstream: 'backend', rewrite: '/deleted/:id' },
        { name: 'payments', methods: ['GET', 'POST'], path: '/api/*', upstream: 'backend', stripPrefix: '/api' },
        { name: 'verbatim', methods: ['GET'], path: '/status', upstream: 'backend' },
        { name: 'tenant', methods: ['GET'], path: '/whoami', host: 'tenant.example.com', upstream: 'backend', rewrite: '/tenant' },
      ],
    });
  });
  after(async () => {
    await gw.close();
    await upstream.close();
  });

  test('rewrites a templated path with its parameters and keeps the query', async () => {
    const reply = await httpRequest(`${gw.url}/v1/accounts/acc_1?expand=owner&x=1`);
    assert.equal(reply.status, 200);
    assert.equal(reply.json<{ url: string }>().url, '/base/accounts/acc_1?expand=owner&x=1');
  });

  test('prefers a static segment over a parameter, and matches parameters per method', async () => {
    assert.equal((await httpRequest(`${gw.url}/v1/accounts/summary`)).json<{ url: string }>().url, '/base/summary');
    const deleted = await httpRequest(`${gw.url}/v1/accounts/summary`, { method: 'DELETE' });
    assert.equal(deleted.json<{ url: string }>().url, '/base/deleted/summary');
  });

  test('strips a prefix from a wildcard route', async () => {
    assert.equal((await httpRequest(`${gw.url}/api/payments/p1`)).json<{ url: string }>().url, '/base/payments/p1');
    assert.equal((await httpRequest(`${gw.url}/api`)).json<{ url: string }>().url, '/base/');
  });

  test('matches a route by host', async () => {
    assert.equal((await httpRequest(`${gw.url}/whoami`, { headers: { host: 'tenant.example.com:8443' } })).json<{ url: string }>().url, '/base/tenant');
    assertProblem(await httpRequest(`${gw.url}/whoami`, { headers: { host: 'other.example.com' } }), 404, 'route.not_found');
  });

  test('streams a POST body through unchanged', async () => {
    const body = Buffer.alloc(256 * 1024, 'x');
    const reply = await httpRequest(`${gw.url}/api/payments`, { method: 'POST', body, headers: { 'content-type': 'application/octet-stream' } });
    assert.equal(reply.status, 200);
    assert.equal(reply.json<{ bodyLength: number }>().bodyLength, body.length);
    assert.equal(upstream.requests.at(-1)!.body.equals(body), true);
  });

  test('passes upstream responses through unchanged, errors included', async () => {
    const failing = await startUpstream((_req, res) => {
      res.writeHead(418, { 'content-type': 'text/plain', 'x-upstream-extra': 'kept' });
      res.end('teapot body');
    });
    const local = await startGateway(baseConfig([failing.url]));
    try {
      const reply = await httpRequest(`${local.url}/anything`);
      assert.equal(reply.status, 418);
      assert.equal(reply.text, 'teapot body');
      assert.equal(reply.headers['content-type'], 'text/plain');
      assert.equal(reply.headers['x-upstream-extra'], 'kept');
    } finally {
      await local.close();
      await failing.close();
    }
  });

  test('removes hop-by-hop headers, including those named by Connection (RFC 9110 §7.6.1)', async () => {
    await httpRequest(`${gw.url}/status`, {
      headers: { connection: 'keep-alive, x-hop-secret', 'x-hop-secret': 'drop me', 'keep-alive': 'timeout=5', te: 'trailers', 'proxy-authorization': 'Basic Zm9vOmJhcg==', 'x-end-to-end': 'kept' },
    });
    const seen = upstream.requests.at(-1)!.headers;
    assert.equal(seen['x-hop-secret'], undefined);
    assert.equal(seen['keep-alive'], undefined);
    assert.equal(seen.te, undefined);
    assert.equal(seen['proxy-authorization'], undefined);
    assert.equal(seen['x-end-to-end'], 'kept');
  });

  test("sends the target's Host and the forwarding headers upstream", async () => {
    await httpRequest(`${gw.url}/status`, { headers: { host: 'api.example.com' } });
    const seen = upstream.requests.at(-1)!.headers;
    assert.equal(seen.host, `127.0.0.1:${upstream.port}`);
    assert.equal(seen['x-forwarded-for'], '127.0.0.1');
    assert.equal(seen['x-forwarded-proto'], 'http');
    assert.equal(seen['x-forwarded-host'], 'api.example.com');
    assert.equal(seen.forwarded, 'for=127.0.0.1;host="api.example.com";proto=http');
  });

  test('generates a request id and a trace, sends them upstream and returns them', async () => {
    const reply = await httpRequest(`${gw.url}/status`);
    const seen = upstream.requests.at(-1)!.headers;
    assert.match(String(reply.headers['x-request-id']), /^[0-9a-f-]{36}$/);
    assert.equal(seen['x-request-id'], reply.headers['x-request-id']);
    assert.match(String(seen.traceparent), /^00-[0-9a-f]{32}-[0-9a-f]{16}-01$/);
    assert.equal(reply.headers.traceparent, seen.traceparent);
  });

  test('continues an incoming W3C trace with a span of its own', async () => {
    const incoming = '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01';
    const reply = await httpRequest(`${gw.url}/status`, { headers: { traceparent: incoming, tracestate: 'vendor=abc' } });
    const seen = upstream.requests.at(-1)!.headers;
    const [, traceId, spanId] = String(seen.traceparent).split('-');
    assert.equal(traceId, '4bf92f3577b34da6a3ce929d0e0e4736');
    assert.notEqual(spanId, '00f067aa0ba902b7');
    assert.equal(seen.tracestate, 'vendor=abc');
    assert.equal(reply.headers.traceparent, seen.traceparent);
    const access = await gw.logs.accessLine(reply.headers['x-request-id']);
    assert.equal(access.traceId, '4bf92f3577b34da6a3ce929d0e0e4736');
  });

  test('replaces an invalid traceparent instead of forwarding it', async () => {
    await httpRequest(`${gw.url}/status`, { headers: { traceparent: '00-00000000000000000000000000000000-00f067aa0ba902b7-01', tracestate: 'x=y' } });
    const seen = upstream.requests.at(-1)!.headers;
    assert.notEqual(String(seen.traceparent).split('-')[1], '0'.repeat(32));
    assert.equal(seen.tracestate, undefined);
  });

  test('answers HEAD on a GET route', async () => {
    const reply = await httpRequest(`${gw.url}/status`, { method: 'HEAD' });
    assert.equal(reply.status, 200);
    assert.equal(upstream.requests.at(-1)!.method, 'HEAD');
  });

  test('refuses an HTTP/1.1 request without Host, or with two Host lines, with 400 (RFC 9112 §3.2)', async () => {
    const before = upstream.requests.length;
    assertProblem(parseRawResponse(await rawExchange(gw.port, ['GET /status HTTP/1.1\r\nConnection: close\r\n\r\n'])), 400, 'request.malformed');
    assertProblem(parseRawResponse(await rawExchange(gw.port, ['GET /status HTTP/1.1\r\nHost: a.example\r\nHost: b.example\r\nConnection: close\r\n\r\n'])), 400, 'request.malformed');
    assert.equal(upstream.requests.length, before);
  });

  test('serves an HTTP/1.0 request without Host and reports no host upstream', async () => {
    const answer = parseRawResponse(await rawExchange(gw.port, ['GET /status HTTP/1.0\r\n\r\n']));
    assert.equal(answer.status, 200);
    const seen = upstream.requests.at(-1)!.headers;
    assert.equal(seen['x-forwarded-host'], undefined);
    assert.equal(seen.forwarded, 'for=127.0.0.1;proto=http');
  });

  test('streams a chunked request body through intact', async () => {
    const frames = ['POST /api/chunked HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n', '5\r\nhello\r\n', '6\r\n world\r\n', '0\r\n\r\n'];
    const answer = parseRawResponse(await rawExchange(gw.port, frames, { gapMs: 5 }));
    assert.equal(answer.status, 200);
    const seen = upstream.requests.at(-1)!;
    assert.equal(seen.body.toString(), 'hello world');
    assert.equal(seen.headers['transfer-encoding'], 'chunked', 'the upstream hop gets its own framing');
  });

  test('answers an unknown path with 404 route.not_found', async () => {
    const reply = await httpRequest(`${gw.url}/v2/nothing`);
    const problem = assertProblem(reply, 404, 'route.not_found');
    assert.equal(problem.instance, reply.headers['x-request-id']);
  });

  test('answers a known path with the wrong method with 405 and Allow', async () => {
    const reply = await httpRequest(`${gw.url}/status`, { method: 'POST', body: '{}' });
    assertProblem(reply, 405, 'route.method_not_allowed');
    assert.equal(reply.headers.allow, 'GET, HEAD');
  });

  test('refuses dot segments and encoded slashes that could walk around route matching', async () => {
    const before = upstream.requests.length;
    for (const path of ['/api/../status', '/api/%2e%2e/status', '/api/./status', '/api/a%2fb', '/api/a%5cb', '/api/a%00b', '/api/%zz', '/api/a\\b']) {
      // Raw bytes: an HTTP client library would normalise these paths before sending them.
      const raw = parseRawResponse(await rawExchange(gw.port, [`GET ${path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n`]));
      assertProblem(raw, 400, 'request.malformed');
    }
    assert.equal(upstream.requests.length, before);
  });

  test('writes one access-log line per request with the fields operators need', async () => {
    const reply = await httpRequest(`${gw.url}/api/payments?limit=5&token=abc123`, { method: 'POST', body: 'hello' });
    const line = await gw.logs.accessLine(reply.headers['x-request-id']);
    assert.equal(line.type, 'access');
    assert.equal(line.route, 'payments');
    assert.equal(line.method, 'POST');
    assert.equal(line.path, '/api/payments?limit=5&token=[REDACTED]');
    assert.equal(line.status, 200);
    assert.equal(line.clientIp, '127.0.0.1');
    assert.equal(line.bytesIn, 5);
    assert.ok(Number(line.bytesOut) > 0);
    assert.equal(typeof line.durationMs, 'number');
    assert.equal(typeof line.upstreamMs, 'number');
    assert.equal(typeof line.time, 'string');
    assert.equal(gw.logs.access(String(reply.headers['x-request-id'])).length, 1);
    assert.doesNotMatch(gw.logs.text(), /abc123/);
  });
});
