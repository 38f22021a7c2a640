import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import type { AddressInfo, LookupFunction } from 'node:net';
import { test } from 'node:test';
import { request } from 'undici';
import { destinationOfUrl, EgressDeniedError, EgressRules, Outbound, type EgressDecision, type OutboundConnection } from './index.js';

const connection = (host: string, address: string, port = 443, protocol: 'http:' | 'https:' = 'https:'): OutboundConnection => ({ purpose: 'upstream', host, port, address, family: address.includes(':') ? 6 : 4, protocol });
const publicApi = new EgressRules([{ host: 'api.example.com', ports: [443], schemes: ['https:'], source: 'test' }]);

/** One address of every blocked range, with the class it is logged as. */
const BLOCKED: Array<[string, string]> = [
  ['127.0.0.1', 'loopback'],
  ['127.255.0.9', 'loopback'],
  ['::1', 'loopback'],
  ['10.1.2.3', 'private'],
  ['172.16.0.1', 'private'],
  ['172.31.255.254', 'private'],
  ['192.168.1.1', 'private'],
  ['169.254.169.254', 'linkLocal'],
  ['169.254.0.1', 'linkLocal'],
  ['fe80::1', 'linkLocal'],
  ['100.64.0.1', 'carrierGradeNat'],
  ['100.127.255.254', 'carrierGradeNat'],
  ['fc00::1', 'uniqueLocal'],
  ['fd12:3456::1', 'uniqueLocal'],
  ['::ffff:127.0.0.1', 'ipv4Mapped'],
  ['::ffff:8.8.8.8', 'ipv4Mapped'],
  ['::ffff:0:a00:1', 'rfc6145'],
  ['::7f00:1', 'ipv4Compatible'],
  ['::a9fe:a9fe', 'ipv4Compatible'],
  ['::a00:5', 'ipv4Compatible'],
  ['::2', 'ipv4Compatible'],
  ['64:ff9b::7f00:1', 'rfc6052'],
  ['64:ff9b::a9fe:a9fe', 'rfc6052'],
  ['2002:7f00:1::1', '6to4'],
  ['2001:0:4136:e378::1', 'teredo'],
  ['224.0.0.1', 'multicast'],
  ['239.255.255.250', 'multicast'],
  ['ff02::1', 'multicast'],
  ['0.0.0.0', 'unspecified'],
  ['0.1.2.3', 'unspecified'],
  ['::', 'unspecified'],
  ['255.255.255.255', 'broadcast'],
  ['192.0.2.10', 'reserved'],
  ['198.51.100.10', 'reserved'],
  ['203.0.113.10', 'reserved'],
  ['2001:db8::1', 'reserved'],
  ['198.18.0.1', 'reserved'],
  ['240.0.0.1', 'reserved'],
  ['192.0.0.8', 'reserved'],
  ['100::1', 'discard'],
];

test('a declared public name that resolves into any blocked range is refused with address_blocked and the range named', () => {
  for (const [address, cls] of BLOCKED) {
    assert.deepEqual(publicApi.check(connection('api.example.com', address)), { reason: 'address_blocked', detail: cls }, address);
  }
  for (const address of ['8.8.8.8', '93.184.216.34', '2606:4700:4700::1111']) assert.equal(publicApi.check(connection('api.example.com', address)), undefined, address);
});

test('a blocked range is allowed only where the destination allows its class or lists the address', () => {
  const rules = new EgressRules([
    { host: 'sidecar.test', ports: [80], schemes: ['http:'], classes: ['loopback'], source: 'a' },
    { host: 'ledger.internal', ports: [443], schemes: ['https:'], cidrs: ['10.20.0.0/16'], source: 'b' },
  ]);
  assert.equal(rules.check(connection('sidecar.test', '127.0.0.1', 80, 'http:')), undefined);
  assert.equal(rules.check(connection('sidecar.test', '10.0.0.1', 80, 'http:'))?.reason, 'address_blocked');
  assert.equal(rules.check(connection('ledger.internal', '10.20.3.4')), undefined);
  assert.equal(rules.check(connection('ledger.internal', '10.21.0.1'))?.reason, 'address_blocked');
  assert.equal(rules.check(connection('ledger.internal', '127.0.0.1'))?.reason, 'address_blocked', "one destination's allowance is not another's");
});

test('hosts match exactly or under a *. wildcard; undeclared hosts, ports and schemes are refused with their own reason', () => {
  const rules = new EgressRules([
    { host: '*.partner.example', ports: [443], schemes: ['https:'], source: 'a' },
    { host: 'API.Example.com.', ports: [8443], schemes: ['https:'], source: 'b' },
  ]);
  assert.equal(rules.check(connection('a.partner.example', '8.8.8.8')), undefined);
  assert.equal(rules.check(connection('a.b.partner.example', '8.8.8.8')), undefined);
  assert.equal(rules.check(connection('partner.example', '8.8.8.8'))?.reason, 'host_not_declared');
  assert.equal(rules.check(connection('evilpartner.example', '8.8.8.8'))?.reason, 'host_not_declared');
  assert.equal(rules.check(connection('api.example.com', '8.8.8.8', 8443)), undefined, 'case and a trailing dot do not matter');
  assert.equal(rules.check(connection('api.example.com', '8.8.8.8', 443))?.reason, 'port_not_declared');
  assert.equal(rules.check(connection('api.example.com', '8.8.8.8', 8443, 'http:'))?.reason, 'scheme_not_allowed');
  assert.equal(rules.check(connection('other.example', '8.8.8.8'))?.reason, 'host_not_declared');
  const numeric = new EgressRules([{ host: '*.8', ports: [443], schemes: ['https:'], source: 'c' }]);
  assert.equal(numeric.check(connection('8.8.8.8', '8.8.8.8'))?.reason, 'host_not_declared', 'a wildcard never matches an IP literal');
  assert.equal(numeric.check(connection('a.b.8', '8.8.8.8')), undefined);
});

test('a URL whose host is local allows its own range for itself; a name allows none', () => {
  assert.deepEqual(destinationOfUrl('http://localhost:8080/x', 's')?.classes, ['loopback']);
  assert.deepEqual(destinationOfUrl('http://10.0.0.5', 's')?.classes, ['private']);
  assert.deepEqual(destinationOfUrl('http://[::1]:9000', 's')?.classes, ['loopback']);
  assert.deepEqual(destinationOfUrl('http://169.254.169.254/latest', 's')?.classes, ['linkLocal']);
  assert.deepEqual(destinationOfUrl('https://api.example.com', 's')?.classes, []);
  assert.deepEqual(destinationOfUrl('https://api.example.com', 's')?.ports, [443]);
  assert.deepEqual(destinationOfUrl('http://127.0.0.1:81', 's')?.ports, [81]);
  assert.equal(destinationOfUrl('ftp://x.example', 's'), undefined);
});

/** A resolver answering each name with its address, in turn (the last answer repeats). */
function sequenceLookup(answers: Record<string, string[]>): LookupFunction {
  const calls = new Map<string, number>();
  return ((hostname: string, _options: object, callback: (error: Error | null, addresses: unknown) => void) => {
    const list = answers[hostname] ?? [];
    const n = calls.get(hostname) ?? 0;
    calls.set(hostname, n + 1);
    const address = list[Math.min(n, list.length - 1)]!;
    process.nextTick(() => callback(null, [{ address, family: address.includes(':') ? 6 : 4 }]));
  }) as unknown as LookupFunction;
}

test("the gateway's own fetches pass the egress rules: enforce refuses before connecting, report connects and reports, no policy allows all", async () => {
  let connections = 0;
  const server = createServer((_req, res) => res.writeHead(200, { connection: 'close' }).end('ok'));
  server.on('connection', () => connections++);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  const outbound = new Outbound({ lookup: sequenceLookup({ 'token.example': ['127.0.0.1'] }) });
  const decisions: EgressDecision[] = [];
  outbound.egress.onDecision((decision) => decisions.push(decision));
  const url = `http://token.example:${port}/token`;
  try {
    // No policy (an Outbound outside a gateway): allowed.
    assert.equal((await request(url, { dispatcher: outbound.agent('discovery') })).statusCode, 200);
    assert.equal(connections, 1);

    outbound.egress.setPolicy({ mode: 'enforce', destinations: [] });
    decisions.length = 0; // the first connection, if still open, was just closed as refused
    await assert.rejects(request(url, { dispatcher: outbound.agent('discovery') }), (error: unknown) => error instanceof EgressDeniedError && error.denial.reason === 'host_not_declared');
    outbound.egress.declare('a credential', [url], 'operator');
    await assert.rejects(request(url, { dispatcher: outbound.agent('discovery') }), (error: unknown) => error instanceof EgressDeniedError && error.denial.reason === 'address_blocked' && error.denial.detail === 'loopback');
    assert.equal(connections, 1, 'nothing connected while refused');
    assert.deepEqual(decisions.map((d) => [d.connection.purpose, d.denial.reason, d.mode]), [['discovery', 'host_not_declared', 'enforce'], ['discovery', 'address_blocked', 'enforce']]);

    outbound.egress.setPolicy({ mode: 'report', destinations: [] });
    assert.equal((await request(url, { dispatcher: outbound.agent('discovery') })).statusCode, 200);
    assert.equal(connections, 2, 'report mode connects');
    assert.deepEqual(decisions.at(-1)?.mode, 'report');

    outbound.egress.setPolicy({ mode: 'enforce', destinations: [] });
    outbound.egress.declare('a credential', [`http://127.0.0.1:${port}/token`], 'operator');
    assert.equal((await request(`http://127.0.0.1:${port}/token`, { dispatcher: outbound.agent('discovery') })).statusCode, 200, 'a loopback literal allows loopback');
  } finally {
    await outbound.close();
    server.close();
  }
});

test('a URL a remote party wrote (a discovered jwks_uri) reaches public addresses only, even when it is a local or IPv4-embedding literal; the same URL written by the operator allows its own range', () => {
  const guard = new Outbound().egress;
  guard.setPolicy({ mode: 'enforce', destinations: [] });
  const literals: Array<[string, string, string]> = [
    ['https://[64:ff9b::a00:5]/jwks', '64:ff9b::a00:5', 'rfc6052'],
    ['https://[2002:a9fe:a9fe::1]/jwks', '2002:a9fe:a9fe::1', '6to4'],
    ['https://[::ffff:a9fe:a9fe]/jwks', '::ffff:a9fe:a9fe', 'ipv4Mapped'],
    ['https://10.0.0.5/jwks', '10.0.0.5', 'private'],
    ['https://[fd00::5]/jwks', 'fd00::5', 'uniqueLocal'],
  ];
  for (const [url, address, cls] of literals) {
    guard.declare('jwks_uri of https://idp.example/.well-known/openid-configuration', [url], 'remote');
    assert.deepEqual(guard.check({ ...connection(address, address), purpose: 'jwks' }), { reason: 'address_blocked', detail: cls }, url);
    guard.declare('ocsp responder of listener public', [url], 'operator');
    assert.equal(guard.check({ ...connection(address, address), purpose: 'ocsp' }), undefined, url);
    guard.declare('ocsp responder of listener public', [], 'operator');
  }
});

test('a kept-alive connection the new rules refuse is closed when they come into force (report → enforce), so it carries no further request; one they allow stays', async () => {
  const serverSockets: Array<import('node:net').Socket> = [];
  const server = createServer((_req, res) => res.end('ok'));
  server.on('connection', (socket) => serverSockets.push(socket));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  const outbound = new Outbound({ lookup: sequenceLookup({ 'svc.example': ['127.0.0.1'] }) });
  const decisions: EgressDecision[] = [];
  outbound.egress.onDecision((decision) => decisions.push(decision));
  const pool = outbound.pool(`http://svc.example:${port}`, { maxConnections: 1 });
  const loopback = outbound.pool(`http://127.0.0.1:${port}`, { maxConnections: 1 });
  const get = async (dispatcher: typeof pool) => {
    const response = await dispatcher.request({ method: 'GET', path: '/' });
    await response.body.text();
    return response.statusCode;
  };
  try {
    outbound.egress.setPolicy({ mode: 'report', destinations: [destinationOfUrl(`http://127.0.0.1:${port}`, 'upstreams.sidecar')!] });
    assert.equal(await get(pool), 200);
    assert.equal(await get(pool), 200);
    assert.equal(await get(loopback), 200);
    assert.equal(serverSockets.length, 2, 'one kept-alive connection per pool');
    assert.deepEqual(decisions.map((d) => [d.connection.host, d.denial.reason, d.mode]), [['svc.example', 'host_not_declared', 'report']]);

    const closed = new Promise((resolve) => serverSockets[0]!.once('close', resolve));
    outbound.egress.setPolicy({ mode: 'enforce', destinations: [destinationOfUrl(`http://127.0.0.1:${port}`, 'upstreams.sidecar')!] });
    await closed;
    assert.deepEqual(decisions.at(-1) && [decisions.at(-1)!.connection.host, decisions.at(-1)!.denial.reason, decisions.at(-1)!.mode], ['svc.example', 'host_not_declared', 'enforce']);
    await assert.rejects(get(pool), (error: unknown) => error instanceof EgressDeniedError && error.denial.reason === 'host_not_declared');
    assert.equal(await get(loopback), 200);
    assert.equal(serverSockets.length, 2, 'no new connection: the refused one was not reopened, the allowed one was reused');
    assert.equal(serverSockets[1]!.destroyed, false);
  } finally {
    await Promise.all([pool.close(), loopback.close(), outbound.close()]);
    server.close();
  }
});
