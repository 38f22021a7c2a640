import assert from 'node:assert/strict';
import { createServer as createHttpServer, type Server } from 'node:http';
import { readFileSync } from 'node:fs';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo, LookupFunction } from 'node:net';
import type { TLSSocket } from 'node:tls';
import { after, before, test } from 'node:test';
import { request } from 'undici';
import { makeTestPki, type TestPki } from '../../test/helpers/certs.js';
import { refuseLocalAddress } from '../jwt/key-url.js';
import { createOutboundDispatcher, DEFAULT_OUTBOUND_TLS, Outbound, OutboundRefusedError, type OutboundConnection } from './index.js';

/** Resolves each name of `table` to its addresses, in order; any other name is not found. */
function fixedLookup(table: Record<string, string[]>): LookupFunction {
  return ((hostname: string, _options: object, callback: (error: NodeJS.ErrnoException | null, addresses: unknown) => void) => {
    const addresses = table[hostname];
    process.nextTick(() =>
      addresses ? callback(null, addresses.map((address) => ({ address, family: address.includes(':') ? 6 : 4 }))) : callback(Object.assign(new Error(`getaddrinfo ENOTFOUND ${hostname}`), { code: 'ENOTFOUND' }), []),
    );
  }) as unknown as LookupFunction;
}

let pki: TestPki;
let http: Server;
let httpPort: number;
let connections = 0;
let hostHeader: string | undefined;

before(async () => {
  pki = await makeTestPki();
  http = createHttpServer((req, res) => {
    hostHeader = req.headers.host;
    res.end('ok');
  });
  http.on('connection', () => connections++);
  await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
  httpPort = (http.address() as AddressInfo).port;
});
after(() => new Promise<void>((resolve) => http.close(() => resolve())));

test('the hook sees the name and each address tried; after a refused address the next one is tried, and the request carries the name', async () => {
  const seen: OutboundConnection[] = [];
  // Nothing listens on 127.0.0.2 (loopback, so the refusal is immediate): the second address serves.
  const pool = createOutboundDispatcher({ purpose: 'upstream', origin: `http://two.test:${httpPort}`, hook: (c) => void seen.push(c), lookup: fixedLookup({ 'two.test': ['127.0.0.2', '127.0.0.1'] }) });
  try {
    const response = await request(`http://two.test:${httpPort}/`, { dispatcher: pool });
    assert.equal(await response.body.text(), 'ok');
    assert.equal(hostHeader, `two.test:${httpPort}`);
    assert.deepEqual(
      seen.map((c) => [c.purpose, c.host, c.port, c.address, c.family, c.protocol]),
      [
        ['upstream', 'two.test', httpPort, '127.0.0.2', 4, 'http:'],
        ['upstream', 'two.test', httpPort, '127.0.0.1', 4, 'http:'],
      ],
    );
  } finally {
    await pool.close();
  }
});

test("an https connection to a resolved address is verified against the URL's name (SNI too), not the address", async () => {
  let servername: string | false | null | undefined;
  const server = createHttpsServer({ cert: pki.serverCertPem, key: readFileSync(pki.serverKey, 'utf8') }, (req, res) => {
    servername = (req.socket as TLSSocket).servername;
    res.end('ok');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  // The certificate names localhost and 127.0.0.1: were the address checked, wrong.test would pass.
  const lookup = fixedLookup({ 'wrong.test': ['127.0.0.1'], localhost: ['127.0.0.1'] });
  const agent = createOutboundDispatcher({ purpose: 'upstream', lookup, tls: { ...DEFAULT_OUTBOUND_TLS, ca: [readFileSync(pki.rootCa, 'utf8')] } });
  try {
    await assert.rejects(request(`https://wrong.test:${port}/`, { dispatcher: agent }), (error: Error & { code?: string }) => error.code === 'ERR_TLS_CERT_ALTNAME_INVALID');
    const response = await request(`https://localhost:${port}/`, { dispatcher: agent });
    assert.equal(await response.body.text(), 'ok');
    assert.equal(servername, 'localhost');
  } finally {
    await agent.close();
    server.close();
  }
});

test('a key URL a remote discovery document chose cannot reach a local address: the connection is refused before it is made', async () => {
  const outbound = new Outbound({ lookup: fixedLookup({ 'keys.example.net': ['127.0.0.1'] }) });
  const before = connections;
  try {
    await assert.rejects(request(`http://keys.example.net:${httpPort}/jwks`, { dispatcher: outbound.agent('jwks', refuseLocalAddress) }), (error: unknown) => {
      assert.ok(error instanceof OutboundRefusedError);
      assert.equal(error.code, 'EOUTBOUNDREFUSED');
      assert.deepEqual([error.connection.purpose, error.connection.host, error.connection.address], ['jwks', 'keys.example.net', '127.0.0.1']);
      return true;
    });
    assert.equal(connections, before, 'no connection reached the server');
    // The same agent purpose without the check connects.
    const response = await request(`http://keys.example.net:${httpPort}/jwks`, { dispatcher: outbound.agent('jwks') });
    assert.equal(await response.body.text(), 'ok');
  } finally {
    await outbound.close();
  }
});

test('name resolution counts against the connect timeout (undici ConnectTimeoutError)', async () => {
  const never = (() => {}) as unknown as LookupFunction;
  const agent = createOutboundDispatcher({ purpose: 'crl', lookup: never, connectTimeoutMs: 100 });
  try {
    await assert.rejects(request(`http://stuck.test:${httpPort}/`, { dispatcher: agent }), (error: Error & { code?: string }) => error.code === 'UND_ERR_CONNECT_TIMEOUT');
  } finally {
    await agent.close();
  }
});
