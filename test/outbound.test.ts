/**
 * The one outbound client (issue 15 §7): every connection the gateway opens (proxied upstream,
 * issuer discovery, JWKS, CRL, OCSP) passes the connect hook with its resolved address, and a
 * refusal surfaces as each caller's own failure: 502 upstream.egress_denied on a route, 503
 * auth.issuer_unavailable for a token whose keys cannot be fetched, the CRL-source-down behaviour
 * (fail-closed here) for a CRL, a failed staple for OCSP. Real servers on 127.0.0.1 throughout.
 */
import assert from 'node:assert/strict';
import { lookup as systemLookup } from 'node:dns';
import { writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo, LookupFunction } from 'node:net';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { OutboundRefusedError, type ConnectHook, type OutboundConnection, type OutboundPurpose } from '../src/outbound/index.js';
import { generateKeyPair, issueLeaf, privateKeyToPem, randomSerial } from '../src/pki/issue.js';
import { makeTestPki, type TestPki } from './helpers/certs.js';
import { assertProblem, baseConfig, httpRequest, startGateway, startUpstream, type TestUpstream } from './helpers/index.js';
import { startIdp, type TestIdp } from './helpers/jwks.js';
import { httpsRequest } from './helpers/tls.js';

const DAY = 86_400_000;
const AUDIENCE = 'https://api.bank.example';

interface CountingServer {
  readonly url: string;
  readonly port: number;
  readonly requests: number;
  close(): Promise<void>;
}

/** A plain HTTP server answering every request with `answer()`, counting them. */
async function countingServer(answer: () => { status: number; body: string }): Promise<CountingServer> {
  let requests = 0;
  const server: Server = createServer((_req, res) => {
    requests++;
    const { status, body } = answer();
    res.writeHead(status).end(body);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    get requests() {
      return requests;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

/** A hook that records every connection and refuses those of the given purposes. */
function recordingHook(refuse: readonly OutboundPurpose[] = []): { hook: ConnectHook; seen: OutboundConnection[] } {
  const seen: OutboundConnection[] = [];
  const hook: ConnectHook = (connection) => {
    seen.push(connection);
    if (refuse.includes(connection.purpose)) throw new OutboundRefusedError(connection, `the test refuses ${connection.purpose}`);
  };
  return { hook, seen };
}

/** Resolves backend.test, crl.test and keys.test to 127.0.0.1 and everything else with the system's resolver. */
const testLookup = ((hostname: string, options: object, callback: (error: NodeJS.ErrnoException | null, address: unknown, family?: number) => void) => {
  if (!['backend.test', 'crl.test', 'keys.test'].includes(hostname)) return systemLookup(hostname, options as { all: true }, callback as never);
  process.nextTick(() => ((options as { all?: boolean }).all ? callback(null, [{ address: '127.0.0.1', family: 4 }]) : callback(null, '127.0.0.1', 4)));
}) as unknown as LookupFunction;

let pki: TestPki;
let upstream: TestUpstream;
let idp: TestIdp;
let crl: CountingServer;
let ocsp: CountingServer;
let certFile: string;
let keyFile: string;

before(async () => {
  pki = await makeTestPki();
  upstream = await startUpstream();
  idp = await startIdp();
  const crlPem = await pki.writeCrl([], { file: join(pki.dir, 'outbound.crl.pem') });
  crl = await countingServer(() => ({ status: 200, body: crlPem }));
  // Any answer will do: the hook's view of the connection is what is tested, not the staple.
  ocsp = await countingServer(() => ({ status: 500, body: '' }));
  const keys = await generateKeyPair();
  const certificate = await issueLeaf({
    subject: 'CN=localhost',
    publicKey: keys.publicKey,
    issuer: pki.intermediate,
    notBefore: new Date(Date.now() - DAY),
    notAfter: new Date(Date.now() + 90 * DAY),
    usage: 'server',
    serial: randomSerial(),
    ocspUrl: ocsp.url,
    altNames: [{ type: 'dns', value: 'localhost' }, { type: 'ip', value: '127.0.0.1' }],
  });
  certFile = join(pki.dir, 'outbound-server.crt');
  keyFile = join(pki.dir, 'outbound-server.key');
  writeFileSync(certFile, `${certificate.toString('pem')}\n${pki.intermediate.certificate.toString('pem')}\n`);
  writeFileSync(keyFile, await privateKeyToPem(keys.privateKey));
});
after(async () => {
  await Promise.all([upstream.close(), idp.close(), crl.close(), ocsp.close()]);
});

/** An HTTPS listener (OCSP stapling, client certificates checked against a CRL URL), a route open and a route behind auth-jwt. */
function config(options: { https: boolean; clientCertificates?: 'optional' | 'required'; target?: string; crlUrl?: string; egress?: unknown }): Record<string, unknown> {
  const tls = {
    certFile,
    keyFile,
    ocspStapling: { enabled: true },
    clientCertificates: { mode: options.clientCertificates ?? 'optional', caFiles: [pki.caBundle], crl: { urls: [options.crlUrl ?? `${crl.url}/ca.crl`], refreshSeconds: 3600, whenUnavailable: 'fail-closed' } },
  };
  return baseConfig([options.target ?? upstream.url], {
    ...(options.egress ? { egress: options.egress } : {}),
    listeners: [{ name: 'public', host: '127.0.0.1', port: 0, ...(options.https ? { tls } : {}) }],
    upstreams: {
      backend: {
        targets: [options.target ?? upstream.url],
        retries: { attempts: 0 },
        health: { failuresBeforeCooldown: 1, cooldownMs: 60_000 },
        // A made-up name the test's resolver points at loopback: the egress rules need both said.
        ...(options.target ? { egress: { allowHttp: true, allowAddresses: ['127.0.0.1/32'] } } : {}),
      },
    },
    routes: [
      { name: 'open', methods: ['GET'], path: '/open', upstream: 'backend' },
      { name: 'jwt', methods: ['GET'], path: '/jwt', upstream: 'backend', policies: { 'auth-jwt': { issuers: [{ issuer: idp.issuer, discoveryUrl: idp.discoveryUrl }], audiences: [AUDIENCE] } } },
    ],
  });
}

function token(): Promise<string> {
  const now = Math.floor(Date.now() / 1000);
  return idp.sign({ iss: idp.issuer, aud: AUDIENCE, sub: 'partner-42', iat: now, exp: now + 300 });
}

describe('the outbound connect hook', () => {
  test('sees every kind of outbound connection with its host, port and resolved address: upstream, discovery, JWKS, CRL, OCSP', async () => {
    const { hook, seen } = recordingHook();
    const gw = await startGateway(config({ https: true, target: `http://backend.test:${upstream.port}` }), { connectHook: hook, lookup: testLookup });
    try {
      const reply = await httpsRequest(`${gw.url}/jwt`, { ca: pki.rootCa, headers: { authorization: `Bearer ${await token()}` } });
      assert.equal(reply.status, 200, reply.text);
      const idpPort = Number(new URL(idp.url).port);
      const kinds = new Set(seen.map((c) => `${c.purpose} ${c.protocol}//${c.host}:${c.port} -> ${c.address}/${c.family}`));
      assert.deepEqual(
        [...kinds].sort(),
        [
          `crl http://127.0.0.1:${crl.port} -> 127.0.0.1/4`,
          `discovery http://127.0.0.1:${idpPort} -> 127.0.0.1/4`,
          `jwks http://127.0.0.1:${idpPort} -> 127.0.0.1/4`,
          `ocsp http://127.0.0.1:${ocsp.port} -> 127.0.0.1/4`,
          `upstream http://backend.test:${upstream.port} -> 127.0.0.1/4`,
        ],
      );
    } finally {
      await gw.close();
    }
  });

  test('a refused upstream connection answers 502 upstream.egress_denied, sends nothing and cools no target down; a refused JWKS fetch answers 503 auth.issuer_unavailable', async () => {
    const { hook, seen } = recordingHook(['upstream', 'jwks']);
    const proxied = upstream.requests.length;
    const jwksFetches = idp.jwksFetches;
    const gw = await startGateway(config({ https: false }), { connectHook: hook });
    try {
      for (let i = 0; i < 2; i++) assertProblem(await httpRequest(`${gw.url}/open`), 502, 'upstream.egress_denied');
      assert.equal(upstream.requests.length, proxied, 'the upstream received nothing');
      assert.ok(!gw.logs.records.some((r) => r.event === 'upstream.target_cooldown'), 'a refusal is not a health failure');
      assert.ok(seen.some((c) => c.purpose === 'upstream' && c.port === upstream.port));

      assertProblem(await httpRequest(`${gw.url}/jwt`, { headers: { authorization: `Bearer ${await token()}` } }), 503, 'auth.issuer_unavailable');
      const failed = await gw.logs.waitFor((r) => r.event === 'jwks.fetch_failed');
      assert.match(String(failed.error), /refused: the test refuses jwks/);
      assert.equal(idp.jwksFetches, jwksFetches, 'the JWKS server received nothing');
      assert.ok(seen.some((c) => c.purpose === 'discovery'), 'discovery was allowed and fetched');
    } finally {
      await gw.close();
    }
  });

  test('a refused CRL fetch is a CRL source down (fail-closed: certificates refused with 401 auth.client_cert_invalid); a refused OCSP fetch is a failed staple', async () => {
    const { hook } = recordingHook(['crl', 'ocsp']);
    const [crlRequests, ocspRequests] = [crl.requests, ocsp.requests];
    const gw = await startGateway(config({ https: true, clientCertificates: 'required' }), { connectHook: hook });
    try {
      const crlFailed = await gw.logs.waitFor((r) => r.event === 'crl.refresh_failed');
      assert.match(String(crlFailed.reason), /refused: the test refuses crl/);
      const stapleFailed = await gw.logs.waitFor((r) => r.event === 'ocsp.staple_failed');
      assert.match(String(stapleFailed.reason), /refused: the test refuses ocsp/);
      const problem = assertProblem(await httpsRequest(`${gw.url}/open`, { ca: pki.rootCa, cert: pki.client.certPem, key: pki.client.keyPem }), 401, 'auth.client_cert_invalid');
      assert.match(String(problem.detail), /revocation status/);
      assert.deepEqual([crl.requests, ocsp.requests], [crlRequests, ocspRequests], 'neither server received a request');
    } finally {
      await gw.close();
    }
  });
});

describe("the egress rules on the gateway's own fetches (issue 20 §1)", () => {
  test('a declared CRL URL whose name resolves to loopback is refused (a name reaches public addresses only) and the CRL source is down; egress.allow with the address lets it through', async () => {
    const crlUrl = `http://crl.test:${crl.port}/ca.crl`;
    const requests = crl.requests;
    const gw = await startGateway(config({ https: true, clientCertificates: 'required', crlUrl }), { lookup: testLookup });
    try {
      const failed = await gw.logs.waitFor((r) => r.event === 'crl.refresh_failed');
      assert.match(String(failed.reason), /egress address_blocked \(loopback\)/);
      const denied = await gw.logs.waitFor((r) => r.event === 'egress.denied' && r.purpose === 'crl');
      assert.deepEqual([denied.reason, denied.host, denied.address, denied.addressClass, denied.upstream], ['address_blocked', 'crl.test', '127.0.0.1', 'loopback', undefined]);
      assert.equal(crl.requests, requests, 'the CRL server received nothing');
    } finally {
      await gw.close();
    }
    const allowed = await startGateway(config({ https: true, clientCertificates: 'required', crlUrl, egress: { allow: [{ host: 'crl.test', schemes: ['http'], ports: [crl.port], addresses: ['127.0.0.1/32'] }] } }), { lookup: testLookup });
    try {
      await allowed.logs.waitFor((r) => r.event === 'crl.loaded');
      assert.ok(crl.requests > requests);
    } finally {
      await allowed.close();
    }
  });

  test("a jwks_uri a discovery document names is declared, but its name must not resolve to a blocked address: refused, 503 auth.issuer_unavailable", async () => {
    const idpPort = Number(new URL(idp.url).port);
    idp.rawDiscovery = JSON.stringify({ issuer: idp.issuer, jwks_uri: `https://keys.test:${idpPort}/jwks` });
    const jwksFetches = idp.jwksFetches;
    const gw = await startGateway(config({ https: false }), { lookup: testLookup });
    try {
      assertProblem(await httpRequest(`${gw.url}/jwt`, { headers: { authorization: `Bearer ${await token()}` } }), 503, 'auth.issuer_unavailable');
      const denied = await gw.logs.waitFor((r) => r.event === 'egress.denied' && r.purpose === 'jwks');
      assert.deepEqual([denied.reason, denied.host, denied.addressClass], ['address_blocked', 'keys.test', 'loopback']);
      assert.equal(idp.jwksFetches, jwksFetches, 'the JWKS server received nothing');
    } finally {
      idp.rawDiscovery = undefined;
      await gw.close();
    }
  });
});
