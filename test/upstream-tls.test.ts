/**
 * TLS towards upstreams: the server certificate verified against the upstream's CA bundle (never
 * skipped), SNI and the name checked, a minimum TLS version, a client certificate for upstreams
 * that require mTLS, and the server certificate recorded for the expiry watch.
 */
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import type { TLSSocket } from 'node:tls';
import { after, before, test } from 'node:test';
import { generateKeyPair, issueLeaf, privateKeyToPem } from '../src/pki/issue.js';
import { assertProblem, baseConfig, httpRequest, startGateway } from './helpers/index.js';
import { makeTestPki, type TestPki } from './helpers/certs.js';
import { pem } from './helpers/tls.js';

let pki: TestPki;
let server: Server;
let port = 0;
const seen: Array<{ authorized: boolean; subject: unknown; servername: string | false }> = [];

before(async () => {
  pki = await makeTestPki();
  const keys = await generateKeyPair();
  // Named only upstream.internal: reaching it by IP works only with the servername option.
  const cert = await issueLeaf({ subject: 'CN=upstream.internal', publicKey: keys.publicKey, issuer: pki.intermediate, notBefore: new Date(Date.now() - 1000), notAfter: new Date(Date.now() + 20 * 86400000), usage: 'server', altNames: [{ type: 'dns', value: 'upstream.internal' }] });
  server = createServer(
    { cert: `${cert.toString('pem')}\n${pki.intermediate.certificate.toString('pem')}`, key: await privateKeyToPem(keys.privateKey), ca: pem(pki.caBundle), requestCert: true, rejectUnauthorized: false, maxVersion: 'TLSv1.2' },
    (req, res) => {
      const socket = req.socket as TLSSocket;
      seen.push({ authorized: socket.authorized, subject: socket.getPeerCertificate()?.subject?.CN, servername: (socket as TLSSocket & { servername: string | false }).servername });
      res.writeHead(200, { 'content-type': 'text/plain' });
      res.end('ok');
    },
  );
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  port = (server.address() as AddressInfo).port;
});
after(() => new Promise<void>((resolve) => server.close(() => resolve())));

function config(tls: Record<string, unknown> | undefined) {
  return baseConfig([`https://127.0.0.1:${port}`], { upstreams: { backend: { targets: [`https://127.0.0.1:${port}`], retries: { attempts: 0 }, ...(tls ? { tls } : {}) } } });
}

test('verifies the upstream against its CA bundle, sends SNI and a client certificate', async () => {
  const gw = await startGateway(config({ caFiles: [pki.rootCa], servername: 'upstream.internal', certFile: pki.client.cert, keyFile: pki.client.key }));
  try {
    const reply = await httpRequest(`${gw.url}/x`);
    assert.equal(reply.status, 200, reply.text);
    assert.deepEqual(seen.at(-1), { authorized: true, subject: 'acme-payments', servername: 'upstream.internal' });
    const findings = gw.gateway.checkCertificateExpiry();
    const server = findings.find((finding) => finding.kind === 'upstream_server');
    assert.equal(server?.subject, 'CN=upstream.internal');
    assert.equal(server?.state, 'expiring');
    assert.ok(findings.some((finding) => finding.kind === 'upstream_client' && finding.subject === 'CN=acme-payments, O=Partner'));
    await gw.logs.waitFor((record) => record.event === 'certificate.expiring' && record.kind === 'upstream_server');
  } finally {
    await gw.close();
  }
});

test('refuses an upstream whose certificate does not chain to the configured CAs (502)', async () => {
  const gw = await startGateway(config({ caFiles: [pki.otherCa.cert], servername: 'upstream.internal' }));
  try {
    assertProblem(await httpRequest(`${gw.url}/x`), 502, 'upstream.unavailable');
  } finally {
    await gw.close();
  }
});

test('refuses an upstream whose certificate does not name the host (502)', async () => {
  const gw = await startGateway(config({ caFiles: [pki.rootCa] }));
  try {
    assertProblem(await httpRequest(`${gw.url}/x`), 502, 'upstream.unavailable');
  } finally {
    await gw.close();
  }
});

test('refuses an upstream below the minimum TLS version (502)', async () => {
  const gw = await startGateway(config({ caFiles: [pki.rootCa], servername: 'upstream.internal', minVersion: 'TLSv1.3' }));
  try {
    assertProblem(await httpRequest(`${gw.url}/x`), 502, 'upstream.unavailable');
  } finally {
    await gw.close();
  }
});

test('warns at start about a listener certificate close to expiry', async () => {
  const keys = await generateKeyPair();
  const soon = await issueLeaf({ subject: 'CN=localhost', publicKey: keys.publicKey, issuer: pki.intermediate, notBefore: new Date(Date.now() - 1000), notAfter: new Date(Date.now() + 5 * 86400000), usage: 'server', altNames: [{ type: 'ip', value: '127.0.0.1' }] });
  const gw = await startGateway(
    baseConfig([`https://127.0.0.1:${port}`], { listeners: [{ name: 'public', host: '127.0.0.1', port: 0, tls: { cert: '${env:CERT}', key: '${env:KEY}' } }] }),
    { env: { CERT: soon.toString('pem'), KEY: await privateKeyToPem(keys.privateKey) } },
  );
  try {
    const warning = await gw.logs.waitFor((record) => record.event === 'certificate.expiring' && record.kind === 'listener');
    assert.equal(warning.name, 'public');
    assert.equal(warning.daysLeft, 4);
    const metrics = await (await fetch(`${gw.gateway.adminUrl}/metrics`)).text();
    assert.match(metrics, /portcullis_certificate_expiry_seconds\{kind="listener",name="public",subject="CN=localhost",serial="[0-9a-f]+"\} \d+/);
  } finally {
    await gw.close();
  }
});
