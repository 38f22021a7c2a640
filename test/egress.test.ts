/**
 * Egress control on the proxy (issue 20 §1): upstream connections go only to declared
 * destinations at addresses the upstream allows, checked at connect time on the address the
 * connection then goes to (DNS rebinding), in enforce or report mode; request rules per upstream;
 * redirects never followed; Proxy-Status on the gateway's own errors. Every server is on loopback:
 * the "blocked" address is 127.0.0.2, a loopback address the upstreams here do not allow, so a
 * connection that got through would be seen by a real server.
 */
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo, LookupFunction } from 'node:net';
import { after, before, describe, test } from 'node:test';
import { validateConfig } from '../src/config/loader.js';
import { assertProblem, baseConfig, httpRequest, rawExchange, parseRawResponse, startGateway, startUpstream, type TestUpstream } from './helpers/index.js';

/** A server on `host` counting the connections it accepts. */
async function countingServer(host: string, port = 0): Promise<{ server: Server; port: number; readonly connections: number; close(): Promise<void> }> {
  let connections = 0;
  const server = createServer((_req, res) => res.writeHead(200, { connection: 'close' }).end('blocked server reached'));
  server.on('connection', () => connections++);
  await new Promise<void>((resolve, reject) => server.once('error', reject).listen(port, host, resolve));
  return {
    server,
    port: (server.address() as AddressInfo).port,
    get connections() {
      return connections;
    },
    close: () => new Promise<void>((resolve) => (server.closeAllConnections(), server.close(() => resolve()))),
  };
}

/** A resolver that answers `name` with the next address of `answers` on each call (the last one repeats), counting calls. */
function rebindingLookup(name: string, answers: string[]): LookupFunction & { calls: number } {
  const lookup = ((hostname: string, _options: object, callback: (error: NodeJS.ErrnoException | null, addresses: unknown) => void) => {
    if (hostname !== name) return process.nextTick(() => callback(Object.assign(new Error(`getaddrinfo ENOTFOUND ${hostname}`), { code: 'ENOTFOUND' }), []));
    const address = answers[Math.min(lookup.calls++, answers.length - 1)]!;
    process.nextTick(() => callback(null, [{ address, family: 4 }]));
  }) as unknown as LookupFunction & { calls: number };
  lookup.calls = 0;
  return lookup;
}

let upstream: TestUpstream;
let blocked: Awaited<ReturnType<typeof countingServer>>;

before(async () => {
  // Closes every connection, so that each request needs a new connection, and a new lookup.
  upstream = await startUpstream((_req, res) => {
    res.writeHead(200, { connection: 'close', 'content-type': 'text/plain' }).end('allowed server');
  });
  // The same port on 127.0.0.2: where a rebound name would lead.
  blocked = await countingServer('127.0.0.2', upstream.port);
});
after(async () => {
  await Promise.all([upstream.close(), blocked.close()]);
});

function rebindConfig(mode: 'enforce' | 'report'): Record<string, unknown> {
  return baseConfig([], {
    egress: { mode },
    upstreams: { partner: { targets: [`http://api.partner.test:${upstream.port}`], retries: { attempts: 0 }, egress: { allowHttp: true, allowAddresses: ['127.0.0.1/32'] } } },
    routes: [{ name: 'partner', methods: ['GET'], path: '/*', upstream: 'partner' }],
  });
}

async function egressDenials(gw: Awaited<ReturnType<typeof startGateway>>): Promise<Array<{ labels: Record<string, unknown>; value: number }>> {
  return (await gw.gateway.services.metrics.egressDenials.get()).values.map(({ labels, value }) => ({ labels, value }));
}

describe('connect-time address checks', () => {
  test('DNS rebinding: a name answering an allowed address, then a blocked one, is refused at connect with 502 upstream.egress_denied; nothing reaches the blocked address', async () => {
    const lookup = rebindingLookup('api.partner.test', ['127.0.0.1', '127.0.0.2', '169.254.169.254']);
    const before = blocked.connections;
    const gw = await startGateway(rebindConfig('enforce'), { lookup });
    try {
      const first = await httpRequest(`${gw.url}/a`);
      assert.equal(first.status, 200);
      assert.equal(first.text, 'allowed server');
      const second = await httpRequest(`${gw.url}/a`);
      assertProblem(second, 502, 'upstream.egress_denied');
      assert.equal(second.headers['proxy-status'], 'portcullis; error=destination_ip_prohibited; details="upstream.egress_denied"');
      // The metadata address is refused as fast: were a connection tried, it would hang until the connect timeout (504).
      assertProblem(await httpRequest(`${gw.url}/a`), 502, 'upstream.egress_denied');
      assert.equal(lookup.calls, 3, 'each request resolved the name anew');
      assert.equal(blocked.connections, before, 'no connection was attempted to the blocked address');
      const denied = gw.logs.records.filter((r) => r.event === 'egress.denied');
      assert.deepEqual(
        denied.map((r) => [r.reason, r.purpose, r.upstream, r.host, r.address, r.addressClass, r.mode]),
        [
          ['address_blocked', 'upstream', 'partner', 'api.partner.test', '127.0.0.2', 'loopback', 'enforce'],
          ['address_blocked', 'upstream', 'partner', 'api.partner.test', '169.254.169.254', 'linkLocal', 'enforce'],
        ],
      );
      assert.deepEqual(await egressDenials(gw), [{ labels: { upstream: 'partner', purpose: 'upstream', reason: 'address_blocked', mode: 'enforce' }, value: 2 }]);
      assert.ok(!gw.logs.records.some((r) => r.event === 'upstream.target_cooldown'), 'a denial says nothing about the target health');
    } finally {
      await gw.close();
    }
  });

  test('report mode: the same rebinding connects (the blocked server is reached) and is logged as egress.would_deny and counted', async () => {
    const lookup = rebindingLookup('api.partner.test', ['127.0.0.1', '127.0.0.2']);
    const before = blocked.connections;
    const gw = await startGateway(rebindConfig('report'), { lookup });
    try {
      assert.equal((await httpRequest(`${gw.url}/a`)).text, 'allowed server');
      const second = await httpRequest(`${gw.url}/a`);
      assert.equal(second.status, 200);
      assert.equal(second.text, 'blocked server reached');
      assert.equal(blocked.connections, before + 1);
      const reported = await gw.logs.waitFor((r) => r.event === 'egress.would_deny');
      assert.deepEqual([reported.reason, reported.address, reported.mode], ['address_blocked', '127.0.0.2', 'report']);
      assert.ok(!gw.logs.records.some((r) => r.event === 'egress.denied'));
      assert.deepEqual(await egressDenials(gw), [{ labels: { upstream: 'partner', purpose: 'upstream', reason: 'address_blocked', mode: 'report' }, value: 1 }]);
    } finally {
      await gw.close();
    }
  });

  test('a loopback literal or localhost target allows loopback for that upstream only: another upstream whose name resolves to loopback is refused', async () => {
    const lookup = rebindingLookup('public.partner.test', ['127.0.0.1']);
    const gw = await startGateway(
      baseConfig([], {
        upstreams: {
          local: { targets: [upstream.url] },
          named: { targets: [`http://localhost:${upstream.port}`] },
          public: { targets: [`https://public.partner.test:${upstream.port}`], retries: { attempts: 0 } },
        },
        routes: [
          { name: 'local', methods: ['GET'], path: '/local', upstream: 'local' },
          { name: 'named', methods: ['GET'], path: '/named', upstream: 'named' },
          { name: 'public', methods: ['GET'], path: '/public', upstream: 'public' },
        ],
      }),
      {
        lookup: ((hostname: string, options: object, callback: never) => (hostname === 'localhost' ? (callback as (e: null, a: unknown) => void)(null, [{ address: '127.0.0.1', family: 4 }]) : (lookup as unknown as (h: string, o: object, c: never) => void)(hostname, options, callback))) as unknown as LookupFunction,
      },
    );
    try {
      assert.equal((await httpRequest(`${gw.url}/local`)).status, 200);
      assert.equal((await httpRequest(`${gw.url}/named`)).status, 200);
      assertProblem(await httpRequest(`${gw.url}/public`), 502, 'upstream.egress_denied');
      const denied = await gw.logs.waitFor((r) => r.event === 'egress.denied');
      assert.deepEqual([denied.upstream, denied.reason, denied.addressClass], ['public', 'address_blocked', 'loopback']);
    } finally {
      await gw.close();
    }
  });
});

describe('declared destinations and request rules', () => {
  test("a reload puts the new config's egress rules in force: an address refused before is allowed once the upstream lists it, and refused again when it no longer does", async () => {
    const lookup = rebindingLookup('api.partner.test', ['127.0.0.1']);
    const raw = (allowAddresses: string[]) => ({
      ...rebindConfig('enforce'),
      upstreams: { partner: { targets: [`http://api.partner.test:${upstream.port}`], retries: { attempts: 0 }, egress: { allowHttp: true, allowAddresses } } },
    });
    const gw = await startGateway(raw([]), { lookup });
    const reload = async (allowAddresses: string[]) => {
      const loaded = validateConfig(raw(allowAddresses), {});
      assert.ok(loaded.ok);
      assert.equal((await gw.gateway.reload(loaded.config)).ok, true);
    };
    try {
      assertProblem(await httpRequest(`${gw.url}/a`), 502, 'upstream.egress_denied');
      await reload(['127.0.0.1/32']);
      assert.equal((await httpRequest(`${gw.url}/a`)).text, 'allowed server');
      await reload([]);
      assertProblem(await httpRequest(`${gw.url}/a`), 502, 'upstream.egress_denied');
    } finally {
      await gw.close();
    }
  });

  test('a plain http:// target on a name is a config error in enforce mode unless the upstream allows http; in report mode it is refused nowhere but reported', async () => {
    const { validateConfig } = await import('../src/config/loader.js');
    const raw = (extra: Record<string, unknown>) => baseConfig([], { upstreams: { p: { targets: ['http://api.partner.example'], ...extra } }, routes: [{ name: 'r', methods: ['GET'], path: '/r', upstream: 'p' }] });
    const refused = validateConfig(raw({}), {});
    assert.ok(!refused.ok);
    assert.match(JSON.stringify(refused.issues), /upstreams\.p\.targets\[0\].*allowHttp/);
    assert.ok(validateConfig(raw({ egress: { allowHttp: true } }), {}).ok);
    assert.ok(validateConfig({ ...raw({}), egress: { mode: 'report' } }, {}).ok);
    assert.ok(validateConfig(baseConfig(['http://10.0.0.5:8080']), {}).ok, 'a private literal is local');
    const badCidr = validateConfig(raw({ egress: { allowHttp: true, allowAddresses: ['10.0.0.0/33'] } }), {});
    assert.ok(!badCidr.ok);
    assert.match(JSON.stringify(badCidr.issues), /allowAddresses\[0\]/);
  });

  test('egress.methods and egress.pathPrefixes: a request outside them gets 502 upstream.egress_denied and nothing is sent', async () => {
    const gw = await startGateway(baseConfig([], { upstreams: { backend: { targets: [`${upstream.url}/base`], egress: { methods: ['GET'], pathPrefixes: ['/base/v2/'] } } } }));
    const sent = upstream.requests.length;
    try {
      assert.equal((await httpRequest(`${gw.url}/v2/accounts`)).status, 200);
      assert.equal(upstream.requests.at(-1)?.url, '/base/v2/accounts');
      assertProblem(await httpRequest(`${gw.url}/v1/accounts`), 502, 'upstream.egress_denied');
      assertProblem(await httpRequest(`${gw.url}/v2/accounts`, { method: 'DELETE' }), 502, 'upstream.egress_denied');
      assert.equal(upstream.requests.length, sent + 1, 'only the allowed request reached the upstream');
      assert.deepEqual(
        gw.logs.records.filter((r) => r.event === 'egress.denied').map((r) => [r.reason, r.detail]),
        [
          ['path_not_allowed', 'GET /base/v1/accounts'],
          ['method_not_allowed', 'DELETE /base/v2/accounts'],
        ],
      );
    } finally {
      await gw.close();
    }
  });

  test("redirects are never followed: an upstream's 302 goes to the client as it is, and its Location is not fetched", async () => {
    const elsewhere = await countingServer('127.0.0.1');
    const redirecting = await startUpstream((_req, res) => {
      res.writeHead(302, { location: `http://127.0.0.1:${elsewhere.port}/secret` }).end();
    });
    const gw = await startGateway(baseConfig([redirecting.url]));
    try {
      const reply = await httpRequest(`${gw.url}/go`);
      assert.equal(reply.status, 302);
      assert.equal(reply.headers.location, `http://127.0.0.1:${elsewhere.port}/secret`);
      assert.equal(reply.headers['proxy-status'], undefined, "the upstream's own answer carries no Proxy-Status");
      assert.equal(elsewhere.connections, 0);
    } finally {
      await gw.close();
      await Promise.all([redirecting.close(), elsewhere.close()]);
    }
  });
});

describe('Proxy-Status', () => {
  test('every error the gateway answers itself carries Proxy-Status with its RFC 9209 type and code, parser refusals included', async () => {
    const gw = await startGateway(baseConfig([upstream.url], { routes: [{ name: 'r', methods: ['GET'], path: '/r', upstream: 'backend' }] }));
    try {
      const missing = await httpRequest(`${gw.url}/nothing`);
      assertProblem(missing, 404, 'route.not_found');
      assert.equal(missing.headers['proxy-status'], 'portcullis; error=destination_not_found; details="route.not_found"');
      const wrongMethod = await httpRequest(`${gw.url}/r`, { method: 'DELETE' });
      assert.equal(wrongMethod.headers['proxy-status'], 'portcullis; error=http_request_denied; details="route.method_not_allowed"');
      const raw = parseRawResponse(await rawExchange(gw.port, ['GET /r HTTP/1.1\r\nHost: a\r\nHost: b\r\nConnection: close\r\n\r\n']));
      assert.equal(raw.status, 400);
      assert.equal(raw.headers['proxy-status'], 'portcullis; error=http_request_error; details="request.malformed"');
      // Refused by the HTTP parser itself (answered on the raw socket).
      const framing = parseRawResponse(await rawExchange(gw.port, ['POST /r HTTP/1.1\r\nHost: a\r\nContent-Length: 1\r\nTransfer-Encoding: chunked\r\n\r\n']));
      assert.equal(framing.status, 400);
      assert.equal(framing.headers['proxy-status'], 'portcullis; error=http_request_error; details="request.malformed"');
      const ok = await httpRequest(`${gw.url}/r`);
      assert.equal(ok.status, 200);
      assert.equal(ok.headers['proxy-status'], undefined);
    } finally {
      await gw.close();
    }
  });
});
