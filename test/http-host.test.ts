/**
 * The host a request names, and the credentials it carries, read once and unambiguously: the
 * authority a route was matched on is the one the upstream is told of (Host with preserveHost,
 * X-Forwarded-Host, Forwarded host=); Host values that are not `uri-host [":" port]` are refused;
 * a trailing dot and letter case do not change the route; a credential header named twice is
 * refused. Exact bytes on raw sockets, since Node's client would normalise them.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { assertProblem, baseConfig, eventually, httpRequest, parseRawResponse, rawExchange, startGateway, startUpstream, type TestGateway, type TestUpstream } from './helpers/index.js';
import { startKeyGateway, type AdminClient } from './helpers/keys.js';

interface Echo {
  url: string;
  headers: Record<string, string | undefined>;
}

/** One request of exact bytes; the head lines are joined with CRLF. */
async function send(port: number, requestLine: string, headerLines: string[]): Promise<{ status: number; headers: Record<string, string>; body: string; echo(): Echo }> {
  const text = await rawExchange(port, [`${requestLine}\r\n${[...headerLines, 'Connection: close'].join('\r\n')}\r\n\r\n`]);
  const reply = parseRawResponse(text);
  return { ...reply, echo: () => JSON.parse(reply.body) as Echo };
}

describe('one authority for routing and forwarding', () => {
  let upstream: TestUpstream;
  let gw: TestGateway;
  before(async () => {
    upstream = await startUpstream();
    gw = await startGateway(
      baseConfig([upstream.url], {
        upstreams: { backend: { targets: [upstream.url] }, keep_host: { targets: [upstream.url], preserveHost: true } },
        routes: [
          { name: 'admin', methods: ['GET'], path: '/*', host: 'Admin.Example.com', upstream: 'keep_host', rewrite: '/admin/*' },
          { name: 'tenant', methods: ['GET'], path: '/*', host: '*.tenant.example', upstream: 'keep_host', rewrite: '/tenant/*' },
          { name: 'all', methods: ['GET', 'POST'], path: '/*', upstream: 'backend' },
        ],
      }),
    );
  });
  after(async () => {
    await gw.close();
    await upstream.close();
  });

  test('routes and forwards an absolute-form target by its authority, whatever Host says (RFC 9112 §3.2.2)', async () => {
    const echo = (await send(gw.port, 'GET http://admin.example.com/x HTTP/1.1', ['Host: b.example'])).echo();
    assert.equal(echo.url, '/admin/x');
    assert.equal(echo.headers.host, 'admin.example.com', 'preserveHost sends the routed authority');
    assert.equal(echo.headers['x-forwarded-host'], 'admin.example.com');
    assert.equal(echo.headers.forwarded, 'for=127.0.0.1;host="admin.example.com";proto=http');

    const other = (await send(gw.port, 'GET http://b.example/x HTTP/1.1', ['Host: admin.example.com'])).echo();
    assert.equal(other.url, '/x', 'Host does not pick the admin route');
    assert.equal(other.headers['x-forwarded-host'], 'b.example');
    assert.equal(other.headers.forwarded, 'for=127.0.0.1;host="b.example";proto=http');
  });

  test('canonicalises the absolute-form authority as it routes on it: case, trailing dot, port kept', async () => {
    const echo = (await send(gw.port, 'GET HTTP://ADMIN.Example.COM.:8443/x?q=1 HTTP/1.1', ['Host: b.example'])).echo();
    assert.equal(echo.url, '/admin/x?q=1');
    assert.equal(echo.headers.host, 'admin.example.com:8443');
    assert.equal(echo.headers['x-forwarded-host'], 'admin.example.com:8443');
    const bare = (await send(gw.port, 'GET http://b.example?q=1 HTTP/1.1', ['Host: admin.example.com'])).echo();
    assert.equal(bare.url, '/?q=1', 'an authority followed by the query has the path /');
    assert.equal(bare.headers['x-forwarded-host'], 'b.example');
  });

  test('refuses an absolute-form target whose authority is not a host and port with 400', async () => {
    const before = upstream.requests.length;
    for (const target of ['http://user@admin.example.com/x', 'http://admin.example.com\\@b.example/x', 'http:///x', 'http://a,b.example/x', 'http://admin.example.com:x/x', 'http://0x7f.1%2e/x', 'http://[::1/x']) {
      assertProblem(await send(gw.port, `GET ${target} HTTP/1.1`, ['Host: b.example']), 400, 'request.malformed');
    }
    assert.equal(upstream.requests.length, before);
  });

  test('refuses Host values that are not uri-host [":" port] with 400 request.malformed', async () => {
    const before = upstream.requests.length;
    const hosts = ['a@b.example', 'user:pw@admin.example.com', 'a.example/x', 'a.example/', 'a b', 'a,b', '"a.example"', "a'b", 'a;b', 'a.example:x', 'a.example:', 'a.example:65536', 'a.example:80:80',
      'a.example:-1', 'a..example', '.', '.a.example', 'a%2eexample', 'a\\b', '[::1', '[::1]x', '[fe80::1%25eth0]', '[v1.x]', '[1.2.3.4]', `${'a'.repeat(64)}.example`, `${'a.'.repeat(127)}aa`, 'ex\u00e1mple.com'];
    for (const host of hosts) {
      const reply = await send(gw.port, 'GET /x HTTP/1.1', [`Host: ${host}`]);
      assertProblem(reply, 400, 'request.malformed');
    }
    assert.equal(upstream.requests.length, before, 'no refused Host reached the upstream or X-Forwarded-Host');
  });

  test('forwards valid hosts in canonical form: lower-case, no trailing dot, port and IP literals kept', async () => {
    const cases: Array<[string, string]> = [
      ['API.Example.COM:8080', 'api.example.com:8080'],
      ['[::1]:8080', '[::1]:8080'],
      ['[2001:DB8::1]', '[2001:db8::1]'],
      ['10.0.0.1', '10.0.0.1'],
      ['under_score.internal.', 'under_score.internal'],
      ['localhost:0', 'localhost:0'],
    ];
    for (const [host, forwarded] of cases) {
      const echo = (await send(gw.port, 'GET /x HTTP/1.1', [`Host: ${host}`])).echo();
      assert.equal(echo.headers['x-forwarded-host'], forwarded, host);
      assert.equal(echo.headers.forwarded, `for=127.0.0.1;host="${forwarded}";proto=http`);
    }
  });

  test('matches a host with a trailing dot or other case to its route, exact and wildcard alike', async () => {
    for (const host of ['admin.example.com.', 'ADMIN.EXAMPLE.COM', 'Admin.Example.Com.:80']) {
      const echo = (await send(gw.port, 'GET /x HTTP/1.1', [`Host: ${host}`])).echo();
      assert.equal(echo.url, '/admin/x', `${host} never falls through to the catch-all`);
      assert.equal(echo.headers.host, host.toLowerCase().replace(/\.(?=:|$)/, ''));
    }
    for (const host of ['a.tenant.example.', 'B.Tenant.Example']) {
      assert.equal((await send(gw.port, 'GET /x HTTP/1.1', [`Host: ${host}`])).echo().url, '/tenant/x', host);
    }
    assert.equal((await send(gw.port, 'GET /x HTTP/1.1', ['Host: a.b.tenant.example.'])).echo().url, '/x', 'still one label deep');
  });

  test('needs exactly one Host on HTTP/1.1; serves an empty Host and an HTTP/1.0 request without one on host-less routes', async () => {
    assertProblem(await send(gw.port, 'GET /x HTTP/1.1', []), 400, 'request.malformed');
    assertProblem(await send(gw.port, 'GET /x HTTP/1.1', ['Host: b.example', 'Host: b.example']), 400, 'request.malformed');
    assertProblem(await send(gw.port, 'GET /x HTTP/1.1', ['Host: admin.example.com', 'Host: b.example']), 400, 'request.malformed');
    const empty = (await send(gw.port, 'GET /x HTTP/1.1', ['Host:'])).echo();
    assert.equal(empty.url, '/x');
    assert.equal(empty.headers['x-forwarded-host'], undefined);
    assert.equal(empty.headers.forwarded, 'for=127.0.0.1;proto=http');
    const old = (await send(gw.port, 'GET /x HTTP/1.0', [])).echo();
    assert.equal(old.url, '/x');
    assert.equal(old.headers['x-forwarded-host'], undefined);
  });
});

describe('X-Forwarded-Host from a trusted proxy', () => {
  let upstream: TestUpstream;
  let gw: TestGateway;
  before(async () => {
    upstream = await startUpstream();
    gw = await startGateway(baseConfig([upstream.url], { trustedProxies: ['127.0.0.1/32'] }));
  });
  after(async () => {
    await gw.close();
    await upstream.close();
  });

  test('passes valid ones on and refuses any that is not a host and port with 400', async () => {
    const echo = (await send(gw.port, 'GET /x HTTP/1.1', ['Host: gw.example', 'X-Forwarded-Host: shop.example, edge.example:8443'])).echo();
    assert.equal(echo.headers['x-forwarded-host'], 'shop.example, edge.example:8443');
    const before = upstream.requests.length;
    for (const value of ['a@b.example', 'a.example/x', '"a.example"', 'a.example:x', 'a b', 'a.example,']) {
      assertProblem(await send(gw.port, 'GET /x HTTP/1.1', ['Host: gw.example', `X-Forwarded-Host: ${value}`]), 400, 'request.malformed');
    }
    assert.equal(upstream.requests.length, before);
  });
});

describe('credentials named once', () => {
  let upstream: TestUpstream;
  let gw: TestGateway & { admin: AdminClient };
  let key: string;
  before(async () => {
    upstream = await startUpstream();
    gw = await startKeyGateway(upstream.url, {
      routes: [
        { name: 'keyed', methods: ['GET'], path: '/keyed', upstream: 'backend', policies: { 'auth-apikey': { sources: [{ header: 'authorization', scheme: 'Bearer' }, { header: 'X-Partner-Key' }], queryParam: 'api_key' } } },
        { name: 'open', methods: ['GET'], path: '/open', upstream: 'backend' },
      ],
    });
    key = (await gw.admin.key(await gw.admin.consumer('partner'), [])).key;
    await eventually(() => gw.gateway.services.keyIndex!.size >= 1, 'the new key reaches the index');
  });
  after(async () => {
    await gw.close();
    await upstream.close();
  });

  test('serves one key in each place', async () => {
    assert.equal((await send(gw.port, 'GET /keyed HTTP/1.1', ['Host: x', `Authorization: Bearer ${key}`])).status, 200);
    assert.equal((await send(gw.port, 'GET /keyed HTTP/1.1', ['Host: x', `X-Partner-Key: ${key}`])).status, 200);
    assert.equal((await send(gw.port, `GET /keyed?api_key=${key} HTTP/1.1`, ['Host: x'])).status, 200);
  });

  test('refuses a credential header sent twice with 400 request.malformed, even when the first is valid', async () => {
    const before = upstream.requests.length;
    const twice: string[][] = [
      [`Authorization: Bearer ${key}`, 'Authorization: Bearer other'],
      [`Authorization: Bearer ${key}`, `authorization: Bearer ${key}`],
      [`X-Partner-Key: ${key}`, 'X-Partner-Key: other'],
      [`X-Partner-Key: ${key}`, `x-partner-key: ${key}`],
      [`X-Partner-Key: ${key}`, 'X_Partner_Key: other'],
      [`Authorization: Bearer ${key}`, 'Proxy-Authorization: Basic a', 'Proxy-Authorization: Basic b'],
    ];
    for (const lines of twice) {
      const reply = await send(gw.port, 'GET /keyed HTTP/1.1', ['Host: x', ...lines]);
      const problem = assertProblem(reply, 400, 'request.malformed');
      assert.doesNotMatch(String(problem.detail), new RegExp(key), 'the problem never repeats the key');
    }
    // On any route: a request naming a credential twice is refused before routing.
    assertProblem(await send(gw.port, 'GET /open HTTP/1.1', ['Host: x', 'Authorization: Bearer a', 'Authorization: Bearer b']), 400, 'request.malformed');
    assert.equal(upstream.requests.length, before);
  });

  test('refuses a query key named twice with 400', async () => {
    for (const query of [`api_key=${key}&api_key=other`, `api_key=${key}&api%5Fkey=${key}`]) {
      assertProblem(await send(gw.port, `GET /keyed?${query} HTTP/1.1`, ['Host: x']), 400, 'request.malformed');
    }
  });

  test('refuses two Authorization headers on the admin API with 400', async () => {
    const url = new URL(gw.gateway.adminUrl);
    const reply = parseRawResponse(await rawExchange(Number(url.port), [`GET /v1/consumers HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${gw.admin.token}\r\nAuthorization: Bearer wrong\r\nConnection: close\r\n\r\n`]));
    assertProblem(reply, 400, 'request.malformed');
    assert.equal((await httpRequest(`${gw.gateway.adminUrl}/v1/consumers`, { headers: { authorization: `Bearer ${gw.admin.token}` } })).status, 200);
  });
});
