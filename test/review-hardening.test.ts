/**
 * Behaviour pinned down after a second reading of the core: path confusion, override headers,
 * request ids under other names, prefix stripping, CORS from the upstream, timeouts, Expect,
 * wildcard hosts, absolute-form targets, retries and response hop-by-hop headers.
 */
import assert from 'node:assert/strict';
import { connect } from 'node:net';
import { after, before, describe, test } from 'node:test';
import { formatIssue, validateConfig } from '../src/config/loader.js';
import { assertProblem, baseConfig, eventually, httpRequest, parseRawResponse, rawExchange, sleep, startGateway, startUpstream, type TestGateway, type TestUpstream } from './helpers/index.js';

const raw = (port: number, requestLine: string, headers = 'Host: x\r\n') => rawExchange(port, [`${requestLine}\r\n${headers}Connection: close\r\n\r\n`]).then(parseRawResponse);

describe('paths the gateway and the upstream could read differently', () => {
  let upstream: TestUpstream;
  let gw: TestGateway;
  before(async () => {
    upstream = await startUpstream();
    gw = await startGateway(
      baseConfig([upstream.url], {
        routes: [
          { name: 'admin', methods: ['GET'], path: '/admin/*', upstream: 'backend', rewrite: '/guarded/*' },
          { name: 'tenant', methods: ['GET'], path: '/whoami', host: '*.example.com', upstream: 'backend', rewrite: '/tenant' },
          { name: 'all', methods: ['GET', 'POST'], path: '/*', upstream: 'backend' },
        ],
      }),
    );
  });
  after(async () => {
    await gw.close();
    await upstream.close();
  });

  test('decodes escaped unreserved characters before matching, so /%61dmin is /admin', async () => {
    const reply = await raw(gw.port, 'GET /%61dmin/x%7e%2A HTTP/1.1');
    assert.equal(reply.status, 200);
    assert.equal(JSON.parse(reply.body).url, '/guarded/x~%2A');
  });

  test('refuses empty segments, path parameters, fragments and raw backslashes with 400', async () => {
    const before = upstream.requests.length;
    for (const target of ['//admin/x', '/admin;x/secret', '/public/..;/admin/x', '/admin#/x', '/a\\b', '/caf\u00e9']) {
      assertProblem(await raw(gw.port, `GET ${target} HTTP/1.1`), 400, 'request.malformed');
    }
    assert.equal(upstream.requests.length, before);
  });

  test('refuses authority-form and asterisk-form targets', async () => {
    assertProblem(await raw(gw.port, 'OPTIONS * HTTP/1.1'), 400, 'request.malformed');
    assertProblem(await raw(gw.port, 'GET example.com:443 HTTP/1.1'), 400, 'request.malformed');
  });

  test('routes an absolute-form target by its own authority (RFC 9112 §3.2.2)', async () => {
    const reply = await raw(gw.port, 'GET http://a.example.com/whoami HTTP/1.1', 'Host: elsewhere.test\r\n');
    assert.equal(JSON.parse(reply.body).url, '/tenant');
  });

  test('matches *.example.com one label deep only', async () => {
    assert.equal((await httpRequest(`${gw.url}/whoami`, { headers: { host: 'a.example.com' } })).json<{ url: string }>().url, '/tenant');
    assert.equal((await httpRequest(`${gw.url}/whoami`, { headers: { host: 'a.b.example.com' } })).json<{ url: string }>().url, '/whoami', 'falls through to the catch-all');
  });
});

describe('headers a client could use to steer the upstream', () => {
  test('never forwards method or URL overrides, and client-address headers only from trusted proxies', async () => {
    const upstream = await startUpstream();
    const untrusted = await startGateway(baseConfig([upstream.url]));
    const trusted = await startGateway(baseConfig([upstream.url], { trustedProxies: ['127.0.0.1'] }));
    const headers = { 'x-http-method-override': 'DELETE', 'x-original-url': '/admin', 'x-rewrite-url': '/admin', 'x-real-ip': '203.0.113.1', 'true-client-ip': '203.0.113.2', 'x-forwarded-port': '1', 'x-forwarded-prefix': '/evil' };
    try {
      await httpRequest(`${untrusted.url}/x`, { headers });
      let seen = upstream.requests.at(-1)!.headers;
      for (const name of Object.keys(headers)) assert.equal(seen[name], undefined, `${name} from an untrusted client`);
      await httpRequest(`${trusted.url}/x`, { headers });
      seen = upstream.requests.at(-1)!.headers;
      assert.equal(seen['x-http-method-override'], undefined);
      assert.equal(seen['x-original-url'], undefined);
      assert.equal(seen['x-real-ip'], '203.0.113.1', 'a trusted proxy may say who the client is');
    } finally {
      await untrusted.close();
      await trusted.close();
      await upstream.close();
    }
  });

  test('handles a request id header configured in mixed case like any other', async () => {
    const upstream = await startUpstream();
    const gw = await startGateway(baseConfig([upstream.url], { requestId: { header: 'X-Correlation-Id', trustIncoming: 'never' } }));
    try {
      const reply = await httpRequest(`${gw.url}/x`, { headers: { 'x-correlation-id': 'spoofed-by-client' } });
      assert.equal(reply.status, 200);
      const seen = upstream.requests.at(-1)!;
      assert.notEqual(seen.headers['x-correlation-id'], 'spoofed-by-client');
      assert.equal(seen.headers['x-correlation-id'], reply.headers['x-correlation-id']);
      const rawNames = seen.headers && Object.keys(seen.headers).filter((name) => name === 'x-correlation-id');
      assert.equal(rawNames.length, 1);
    } finally {
      await gw.close();
      await upstream.close();
    }
  });

  test('strips CORS headers an upstream sends to origins the policy does not allow', async () => {
    const reflecting = await startUpstream((req, res) => {
      res.writeHead(200, { 'access-control-allow-origin': String(req.headers.origin), 'access-control-allow-credentials': 'true' });
      res.end('{}');
    });
    const gw = await startGateway(baseConfig([reflecting.url], { policies: { cors: { allowOrigins: ['https://app.example.com'] } } }));
    try {
      const reply = await httpRequest(`${gw.url}/x`, { headers: { origin: 'https://evil.test' } });
      assert.equal(reply.headers['access-control-allow-origin'], undefined);
      assert.equal(reply.headers['access-control-allow-credentials'], undefined);
    } finally {
      await gw.close();
      await reflecting.close();
    }
  });

  test('removes hop-by-hop headers from upstream responses', async () => {
    const upstream = await startUpstream((_req, res) => {
      res.writeHead(200, { connection: 'x-internal-hop', 'x-internal-hop': 'secret', 'proxy-authenticate': 'Basic', 'keep-alive': 'timeout=99', 'x-kept': 'yes' });
      res.end('ok');
    });
    const gw = await startGateway(baseConfig([upstream.url]));
    try {
      const reply = await httpRequest(`${gw.url}/x`);
      assert.equal(reply.headers['x-internal-hop'], undefined);
      assert.equal(reply.headers['proxy-authenticate'], undefined);
      assert.notEqual(reply.headers['keep-alive'], 'timeout=99');
      assert.equal(reply.headers['x-kept'], 'yes');
    } finally {
      await gw.close();
      await upstream.close();
    }
  });

  test('removes proxy-connection from requests', async () => {
    const upstream = await startUpstream();
    const gw = await startGateway(baseConfig([upstream.url]));
    try {
      await httpRequest(`${gw.url}/x`, { headers: { 'proxy-connection': 'keep-alive' } });
      assert.equal(upstream.requests.at(-1)!.headers['proxy-connection'], undefined);
    } finally {
      await gw.close();
      await upstream.close();
    }
  });

  test('starts a new trace when the parent span id is all zeros', async () => {
    const upstream = await startUpstream();
    const gw = await startGateway(baseConfig([upstream.url]));
    try {
      await httpRequest(`${gw.url}/x`, { headers: { traceparent: '00-4bf92f3577b34da6a3ce929d0e0e4736-0000000000000000-01' } });
      assert.notEqual(String(upstream.requests.at(-1)!.headers.traceparent).split('-')[1], '4bf92f3577b34da6a3ce929d0e0e4736');
    } finally {
      await gw.close();
      await upstream.close();
    }
  });
});

describe('config checks found in review', () => {
  const issues = (extra: Record<string, unknown>) => {
    const result = validateConfig({ ...baseConfig(['http://10.0.0.1']), ...extra }, {});
    return result.ok ? [] : result.issues.map(formatIssue);
  };

  test('refuses a stripPrefix that is not whole static segments', () => {
    const routes = (stripPrefix: string, path: string) => [{ name: 'r', methods: ['GET'], path, upstream: 'backend', stripPrefix }];
    assert.deepEqual(issues({ routes: routes('/t/:tenant', '/t/:tenant/*') }), ['routes[0].stripPrefix: "/t/:tenant" must be whole static segments at the start of the route path']);
    assert.equal(issues({ routes: routes('/ap', '/api/*') }).length, 1);
    assert.deepEqual(issues({ routes: routes('/api', '/api/*') }), []);
  });

  test('refuses a whole-request timeout not longer than the head timeout, and header names that are not tokens', () => {
    assert.deepEqual(issues({ listeners: [{ name: 'p', port: 0, requestTimeoutMs: 5000, headersTimeoutMs: 10000 }] }), ['listeners[0].requestTimeoutMs: must be 0 or more than headersTimeoutMs (10000)']);
    assert.equal(issues({ logging: { redactHeaders: ['x"y'] } }).length, 1);
    assert.equal(issues({ requestId: { header: 'request id' } }).length, 1);
  });
});

describe('timeouts, Expect and retries', () => {
  test('answers 408 when the whole request is not received within requestTimeoutMs', async () => {
    const upstream = await startUpstream();
    const config = baseConfig([upstream.url]);
    (config.listeners as any)[0] = { name: 'public', host: '127.0.0.1', port: 0, headersTimeoutMs: 200, requestTimeoutMs: 500 };
    const gw = await startGateway(config);
    try {
      const socket = connect(gw.port, '127.0.0.1');
      await new Promise((resolve) => socket.once('connect', resolve));
      let answer = '';
      socket.on('data', (data) => (answer += data.toString()));
      socket.on('error', () => {});
      socket.write('POST /x HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\nabc');
      await eventually(() => answer.includes('request.timeout'), 'a 408 problem arrives');
      assert.match(answer, /^HTTP\/1\.1 408/);
      socket.destroy();
    } finally {
      await gw.close();
      await upstream.close();
    }
  });

  test('keeps a slow but steady body flowing: the idle timer restarts with each chunk', async () => {
    const upstream = await startUpstream();
    const config = baseConfig([upstream.url]);
    (config.listeners as any)[0].bodyIdleTimeoutMs = 300;
    const gw = await startGateway(config);
    try {
      const chunks = Array.from({ length: 8 }, () => Buffer.from('x'.repeat(10)));
      const answer = parseRawResponse(await rawExchange(gw.port, ['POST /slow HTTP/1.1\r\nHost: x\r\nContent-Length: 80\r\nConnection: close\r\n\r\n', ...chunks], { gapMs: 120 }));
      assert.equal(answer.status, 200, 'about 1 s in all, but never 300 ms without data');
      assert.equal(JSON.parse(answer.body).bodyLength, 80);
    } finally {
      await gw.close();
      await upstream.close();
    }
  });

  test('answers an oversized Expect: 100-continue request with 413 and no 100, and invites a fitting one', async () => {
    const upstream = await startUpstream();
    const gw = await startGateway(baseConfig([upstream.url], { policies: { 'request-size-limit': { maxBytes: 10 } } }));
    try {
      const refused = await rawExchange(gw.port, ['POST /x HTTP/1.1\r\nHost: x\r\nExpect: 100-continue\r\nContent-Length: 11\r\n\r\n'], { timeoutMs: 1500 });
      assert.match(refused, /^HTTP\/1\.1 413/);
      assert.doesNotMatch(refused, /100 Continue/);
      const socket = connect(gw.port, '127.0.0.1');
      await new Promise((resolve) => socket.once('connect', resolve));
      let answer = '';
      socket.on('data', (data) => (answer += data.toString()));
      socket.write('POST /x HTTP/1.1\r\nHost: x\r\nExpect: 100-continue\r\nContent-Length: 5\r\nConnection: close\r\n\r\n');
      await eventually(() => answer.startsWith('HTTP/1.1 100 Continue'), 'the client is invited to send the body');
      socket.write('hello');
      await eventually(() => answer.includes('"bodyLength":5'), 'the body went through');
      socket.destroy();
    } finally {
      await gw.close();
      await upstream.close();
    }
  });

  test('refuses a declared oversized body without ever picking an upstream target', async () => {
    const upstream = await startUpstream();
    const gw = await startGateway(baseConfig([upstream.url], { policies: { 'request-size-limit': { maxBytes: 10 } } }));
    try {
      const reply = await httpRequest(`${gw.url}/x`, { method: 'POST', body: Buffer.alloc(11) });
      assertProblem(reply, 413, 'request.body_too_large');
      const line = await gw.logs.accessLine(reply.headers['x-request-id']);
      assert.equal(line.attempts, undefined, 'refused by Content-Length before the proxy');
    } finally {
      await gw.close();
      await upstream.close();
    }
  });

  test('retries neither a bodiless non-idempotent request nor an idempotent one with a body', async () => {
    const live = await startUpstream();
    const dead = `http://127.0.0.1:${await startUpstream().then(async (u) => (await u.close(), u.port))}`;
    // A fresh gateway per request, so the rotation starts at the dead target every time.
    const firstTry = async (method: string, body?: string) => {
      const gw = await startGateway(baseConfig([dead, live.url]));
      try {
        return await httpRequest(`${gw.url}/x`, { method, body });
      } finally {
        await gw.close();
      }
    };
    try {
      assertProblem(await firstTry('POST'), 502, 'upstream.unavailable');
      assertProblem(await firstTry('PUT', 'x'), 502, 'upstream.unavailable');
      assert.equal(live.requests.length, 0);
      assert.equal((await firstTry('PUT')).status, 200, 'a bodiless PUT is retried');
    } finally {
      await live.close();
    }
  });

  test('logs clientAborted when the client leaves before the upstream answers', async () => {
    const upstream = await startUpstream(() => {});
    const gw = await startGateway(baseConfig([upstream.url]));
    try {
      const socket = connect(gw.port, '127.0.0.1');
      await new Promise((resolve) => socket.once('connect', resolve));
      socket.write('GET /waiting HTTP/1.1\r\nHost: x\r\n\r\n');
      await eventually(() => upstream.requests.length === 1, 'the request reached the upstream');
      socket.destroy();
      const line = await gw.logs.waitFor((r) => r.type === 'access' && r.path === '/waiting');
      assert.equal(line.clientAborted, true);
      await eventually(() => upstream.requests[0]!.aborted, 'the upstream request is aborted');
    } finally {
      await gw.close();
      await upstream.close();
    }
  });

  test('finishes a request that was in flight across a reload on the pools it started with', async () => {
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    const upstream = await startUpstream(async (_req, res) => {
      await gate;
      res.end('late');
    });
    const config = baseConfig([upstream.url]);
    const gw = await startGateway(config);
    try {
      const pending = httpRequest(`${gw.url}/slow`);
      await eventually(() => upstream.requests.length === 1, 'in flight');
      const loaded = validateConfig({ ...config, routes: [{ name: 'new', methods: ['GET'], path: '/*', upstream: 'backend' }] }, {});
      assert.ok(loaded.ok);
      await gw.gateway.reload(loaded.config);
      await sleep(50);
      release();
      const reply = await pending;
      assert.equal(reply.status, 200);
      assert.equal(reply.text, 'late');
    } finally {
      await gw.close();
      await upstream.close();
    }
  });
});
