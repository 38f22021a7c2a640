/**
 * Continuous assessment's own connections (issue 23 §5, docs/assess.md#continuous-mode), through a
 * whole gateway on real sockets:
 * - every check passes the gateway's egress rules, the TLS and certificate probes included (they
 *   open their own connections): an upstream whose name resolves to an address its declaration
 *   does not allow is not contacted at all (TCP connections counted at the server), and the
 *   assess.failed line says the egress rules refused it;
 * - the TLS checks trust every file of the upstream's tls.caFiles, as its pool does: a chain that
 *   only the second file verifies is trusted (no AS-CERT-001).
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:https';
import type { AddressInfo, LookupFunction } from 'node:net';
import { after, test } from 'node:test';
import { ManualClock } from '../src/core/clock.js';
import { listAssessmentResults } from '../src/store/assessment-results.js';
import { goodApi } from './helpers/assess-http-servers.js';
import { makeTestPki, type TestPki } from './helpers/certs.js';
import { httpRequest, startGateway } from './helpers/index.js';
import { KEY_ENV } from './helpers/keys.js';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const cleanups: Array<() => Promise<void>> = [];
after(async () => {
  for (const cleanup of cleanups.reverse()) await cleanup();
});

/** The test PKI's HTTPS server on 127.0.0.1, a careful API, counting TCP connections. */
async function countingApi(pki: TestPki): Promise<{ port: number; readonly connections: number; close(): Promise<void> }> {
  let connections = 0;
  const server: Server = createServer({ key: readFileSync(pki.serverKey), cert: pki.serverCertPem });
  server.on('connection', () => connections++);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  server.on('request', (req, res) => goodApi(req, res, `https://127.0.0.1:${port}`));
  return {
    port,
    get connections() {
      return connections;
    },
    close: () => new Promise<void>((resolve) => (server.closeAllConnections(), server.close(() => resolve()))),
  };
}

/** Resolves `name` to 127.0.0.1 (any other name: ENOTFOUND). */
function resolverOf(name: string): LookupFunction {
  return ((hostname: string, _options: object, callback: (error: NodeJS.ErrnoException | null, addresses: unknown) => void) => {
    if (hostname !== name) return process.nextTick(() => callback(Object.assign(new Error(`getaddrinfo ENOTFOUND ${hostname}`), { code: 'ENOTFOUND' }), []));
    process.nextTick(() => callback(null, [{ address: '127.0.0.1', family: 4 }]));
  }) as unknown as LookupFunction;
}

const storeConfig = () => ({ path: join(mkdtempSync(join(tmpdir(), 'portcullis-assess-egress-')), 'store.db') });

/** A gateway whose upstream `partner` is api.partner.test (resolved to 127.0.0.1 by its resolver), egress in `mode`. */
async function gatewayFor(api: { port: number }, pki: TestPki, mode: 'enforce' | 'report') {
  const origin = `https://api.partner.test:${api.port}`;
  const gw = await startGateway(
    {
      listeners: [{ name: 'public', host: '127.0.0.1', port: 0 }],
      admin: { host: '127.0.0.1', port: 0 },
      apiKeys: { pepper: '${env:PORTCULLIS_KEY_PEPPER}' },
      store: storeConfig(),
      egress: { mode },
      upstreams: { partner: { targets: [origin], tls: { caFiles: [pki.caBundle] }, assess: { intervalHours: 24, oauthIssuer: origin, minimumGrade: 'B', timeoutMs: 5000 } } },
      routes: [{ name: 'partner', methods: ['GET'], path: '/partner/*', upstream: 'partner' }],
    },
    { env: KEY_ENV, clock: new ManualClock(Date.now()), lookup: resolverOf('api.partner.test') },
  );
  cleanups.push(gw.close);
  return gw;
}

test('an upstream the egress rules refuse is not contacted by any check, and assess.failed says the egress rules refused it', async () => {
  const pki = await makeTestPki();
  const api = await countingApi(pki);
  cleanups.push(api.close);
  // api.partner.test is declared by the upstream, but it resolves to loopback, which a declared
  // name reaches only when allowed (docs/outbound.md): every connection to it is refused.
  const { gateway, logs } = await gatewayFor(api, pki, 'enforce');
  await gateway.assessments.tick();
  assert.equal(api.connections, 0, 'no check opened a connection to the refused upstream');
  assert.equal(gateway.assessments.gradeOf('partner'), undefined, 'not graded');
  const failed = logs.records.filter((record) => record.event === 'assess.failed');
  assert.deepEqual(failed.map((record) => [record.upstream, record.reason]), [['partner', 'egress_denied']]);
  assert.match(String(failed[0]!.err), /egress address_blocked \(loopback\)/);
  assert.ok(logs.records.some((record) => record.event === 'egress.denied' && record.purpose === 'assess'), 'each refusal is reported as an egress denial');
  assert.deepEqual(await listAssessmentResults(gateway.services.store!, { upstream: 'partner', limit: 10 }), [], 'nothing stored');
  const refused = await httpRequest(`${gateway.listeners[0]!.url}/partner/x`);
  assert.equal(refused.status, 503);
  assert.equal(refused.json().code, 'upstream.assessment_below_minimum');
  assert.equal(api.connections, 0);

  // The same upstream with the rules in report mode: the probes connect (through the gateway's
  // resolver, the only one that knows api.partner.test), each connection reported.
  const reported = await gatewayFor(api, pki, 'report');
  await reported.gateway.assessments.tick();
  assert.ok(api.connections > 0, 'report mode: the checks connected');
  assert.notEqual(reported.gateway.assessments.gradeOf('partner'), undefined, JSON.stringify(reported.logs.records.filter((r) => r.event === 'assess.failed')));
  const wouldDeny = reported.logs.records.filter((record) => record.event === 'egress.would_deny' && record.purpose === 'assess');
  assert.ok(wouldDeny.length > 1, `every probe passed the rules (${wouldDeny.length} reported)`);
});

test('the TLS checks trust every file of tls.caFiles: a chain only the second file verifies is trusted', async () => {
  const pki = await makeTestPki();
  const stranger = await makeTestPki();
  const api = await countingApi(pki);
  cleanups.push(api.close);
  const origin = `https://127.0.0.1:${api.port}`;
  const { gateway, close } = await startGateway(
    {
      listeners: [{ name: 'public', host: '127.0.0.1', port: 0 }],
      admin: { host: '127.0.0.1', port: 0 },
      apiKeys: { pepper: '${env:PORTCULLIS_KEY_PEPPER}' },
      store: storeConfig(),
      upstreams: { partner: { targets: [origin], tls: { caFiles: [stranger.rootCa, pki.rootCa] }, assess: { intervalHours: 24, oauthIssuer: origin, timeoutMs: 5000 } } },
      routes: [{ name: 'partner', methods: ['GET'], path: '/partner/*', upstream: 'partner' }],
    },
    { env: KEY_ENV, clock: new ManualClock(Date.now()) },
  );
  cleanups.push(close);

  await gateway.assessments.tick();
  const [result] = await listAssessmentResults(gateway.services.store!, { upstream: 'partner', limit: 1 });
  assert.ok(result, 'assessed');
  const certificateFindings = result.findings.filter((finding) => finding.ruleId.startsWith('AS-CERT-') && finding.status === 'found').map((finding) => finding.ruleId);
  // What remains is the test certificate's: no OCSP staple, no SCTs (info only).
  assert.deepEqual(certificateFindings.sort(), ['AS-CERT-009', 'AS-CERT-010']);
  assert.ok(!result.capReasons.some((reason) => reason.includes('AS-CERT-001')), result.capReasons.join('; '));
});
