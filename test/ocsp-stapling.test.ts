/**
 * OCSP stapling (issue 14 §4) against a real responder (`openssl ocsp`): the listener fetches its
 * certificate's status from the URL in the certificate, checks it, staples it to the handshakes
 * that ask, keeps it until nextUpdate by the injected clock, and never fails a handshake when
 * stapling fails (logged and counted). Verified from Node (requestOCSP) and openssl s_client -status.
 */
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { connect, type ConnectionOptions } from 'node:tls';
import { AsnConvert } from '@peculiar/asn1-schema';
import { BasicOCSPResponse, OCSPResponse, OCSPResponseStatus } from '@peculiar/asn1-ocsp';
import { ManualClock } from '../src/core/clock.js';
import { createCa, generateKeyPair, issueLeaf, privateKeyToPem, randomSerial } from '../src/pki/issue.js';
import { baseConfig, startGateway, startUpstream, type TestGateway, type TestUpstream } from './helpers/index.js';
import { makeTestPki, type TestPki } from './helpers/certs.js';
import { startOcspResponder, type OcspResponder } from './helpers/ocsp.js';
import { opensslHandshake, pem } from './helpers/tls.js';

const DAY = 86400000;
let pki: TestPki;
let upstream: TestUpstream;
let issuerCert: string;
let issuerKey: string;

before(async () => {
  pki = await makeTestPki();
  upstream = await startUpstream();
  issuerCert = join(pki.dir, 'ocsp-issuer.pem');
  issuerKey = join(pki.dir, 'ocsp-issuer.key');
  writeFileSync(issuerCert, pki.intermediate.certificate.toString('pem'));
  writeFileSync(issuerKey, await privateKeyToPem(pki.intermediate.privateKey));
});
after(() => upstream.close());

/** A server certificate (with the intermediate after it) naming `ocspUrl`, and the files of it. */
async function serverCertificate(serial: string, ocspUrl: string | undefined, name: string) {
  const keys = await generateKeyPair();
  const certificate = await issueLeaf({ subject: 'CN=localhost', publicKey: keys.publicKey, issuer: pki.intermediate, notBefore: new Date(Date.now() - DAY), notAfter: new Date(Date.now() + 90 * DAY), usage: 'server', serial, ocspUrl, altNames: [{ type: 'dns', value: 'localhost' }, { type: 'ip', value: '127.0.0.1' }] });
  const certFile = join(pki.dir, `${name}.crt`);
  const keyFile = join(pki.dir, `${name}.key`);
  writeFileSync(certFile, `${certificate.toString('pem')}\n${pki.intermediate.certificate.toString('pem')}\n`);
  writeFileSync(keyFile, await privateKeyToPem(keys.privateKey));
  return { certFile, keyFile, certificate };
}

/** Starts a responder for one serial (good, or revoked), then a gateway whose certificate points at it. */
async function setup(options: { revoked?: boolean; signer?: { cert: string; key: string }; clock?: ManualClock; validMinutes?: number } = {}) {
  const serial = randomSerial();
  const responder = await startOcspResponder({
    caCert: issuerCert,
    signerCert: options.signer?.cert ?? issuerCert,
    signerKey: options.signer?.key ?? issuerKey,
    entries: [{ serial, notAfter: new Date(Date.now() + 90 * DAY), subject: '/CN=localhost', revokedAt: options.revoked ? new Date(Date.now() - 1000) : undefined }],
    validMinutes: options.validMinutes,
  });
  const files = await serverCertificate(serial, responder.url, `ocsp-${serial}`);
  const gw = await startGateway(
    baseConfig([upstream.url], { listeners: [{ name: 'public', host: '127.0.0.1', port: 0, tls: { certFile: files.certFile, keyFile: files.keyFile, ocspStapling: { enabled: true } } }] }),
    { clock: options.clock },
  );
  return { gw, responder, files };
}

/** A handshake asking for the certificate status (status_request); the staple, if any, and whether it completed. */
function handshake(port: number): Promise<{ staple: Buffer | undefined; authorized: boolean }> {
  return new Promise((resolve, reject) => {
    let staple: Buffer | undefined;
    const socket = connect({ host: '127.0.0.1', port, servername: 'localhost', ca: pem(pki.rootCa), requestOCSP: true } as ConnectionOptions, () => {
      const authorized = socket.authorized;
      socket.end();
      resolve({ staple, authorized });
    });
    socket.on('OCSPResponse', (response: Buffer | null) => (staple = response && response.length > 0 ? response : undefined));
    socket.on('error', reject);
  });
}

function certStatus(staple: Buffer): string {
  const response = AsnConvert.parse(staple, OCSPResponse);
  assert.equal(response.responseStatus, OCSPResponseStatus.successful);
  const basic = AsnConvert.parse(response.responseBytes!.response, BasicOCSPResponse);
  const status = basic.tbsResponseData.responses[0]!.certStatus;
  return status.good !== undefined ? 'good' : status.revoked !== undefined ? 'revoked' : 'unknown';
}

async function metric(gw: TestGateway, result: 'ok' | 'failed'): Promise<number> {
  const text = await (await fetch(`${gw.gateway.adminUrl}/metrics`)).text();
  return Number(new RegExp(`portcullis_ocsp_staple_refresh_total\\{listener="public",result="${result}"\\} (\\d+)`).exec(text)?.[1] ?? 0);
}

describe('OCSP stapling', () => {
  let responder: OcspResponder;
  let gw: TestGateway;
  const clock = new ManualClock(Date.now());
  before(async () => ({ responder, gw } = await setup({ clock, validMinutes: 10 })));
  after(async () => {
    await gw.close();
    await responder.close();
  });

  test('staples the good response of the local responder (Node requestOCSP)', async () => {
    const { staple, authorized } = await handshake(gw.port);
    assert.equal(authorized, true);
    assert.ok(staple, 'a response is stapled');
    assert.equal(certStatus(staple), 'good');
    await gw.logs.waitFor((record) => record.event === 'ocsp.stapled' && record.listener === 'public');
    assert.equal(await metric(gw, 'ok'), 1);
  });

  test('openssl s_client -status sees the stapled response', async () => {
    const result = await opensslHandshake(gw.port, ['-status', '-CAfile', pki.rootCa]);
    assert.equal(result.code, 0, result.output);
    assert.match(result.output, /OCSP Response Status: successful/);
    assert.match(result.output, /Cert Status: good/);
  });

  let restoreClock = () => {};
  test('keeps the response until nextUpdate by the clock, then staples nothing until a refresh succeeds', async () => {
    clock.advance(9 * 60_000);
    restoreClock = () => clock.advance(-11 * 60_000);
    assert.ok((await handshake(gw.port)).staple, 'still within nextUpdate');
    clock.advance(2 * 60_000);
    const expired = await handshake(gw.port);
    assert.equal(expired.authorized, true, 'the handshake goes on');
    assert.equal(expired.staple, undefined, 'an expired response is never stapled');
    // The responder signs with the real time, which this clock has passed: the fresh response is
    // refused as expired too, and the failure is logged and counted.
    assert.equal(await gw.gateway.listenerTls('public')!.refreshOcsp(), false);
    await gw.logs.waitFor((record) => record.event === 'ocsp.staple_failed' && /expired/.test(String(record.reason)));
    assert.equal(await metric(gw, 'failed'), 1);
    restoreClock();
    restoreClock = () => {};
    assert.equal(await gw.gateway.listenerTls('public')!.refreshOcsp(), true);
    assert.ok((await handshake(gw.port)).staple);
  });

  test('a responder that went away never fails a handshake: the previous response stays stapled while current, the failure is logged and counted', async () => {
    restoreClock();
    await responder.close();
    assert.equal(await gw.gateway.listenerTls('public')!.refreshOcsp(), false);
    const line = await gw.logs.waitFor((record) => record.event === 'ocsp.staple_failed' && record.stapling === 'previous response');
    assert.equal(line.listener, 'public');
    const { staple, authorized } = await handshake(gw.port);
    assert.equal(authorized, true);
    assert.equal(certStatus(staple!), 'good');
  });
});

describe('OCSP stapling refusals', () => {
  test('does not staple a response signed by a key the issuer did not delegate to', async () => {
    const keys = await generateKeyPair();
    const rogue = await createCa({ subject: 'CN=Rogue Responder', keys, notBefore: new Date(Date.now() - DAY), notAfter: new Date(Date.now() + DAY) });
    const cert = join(pki.dir, 'rogue.pem');
    const key = join(pki.dir, 'rogue.key');
    writeFileSync(cert, rogue.toString('pem'));
    writeFileSync(key, await privateKeyToPem(keys.privateKey));
    const { gw, responder } = await setup({ signer: { cert, key } });
    try {
      const line = await gw.logs.waitFor((record) => record.event === 'ocsp.staple_failed');
      assert.match(String(line.reason), /signature does not verify/);
      const { staple, authorized } = await handshake(gw.port);
      assert.equal(authorized, true);
      assert.equal(staple, undefined);
    } finally {
      await gw.close();
      await responder.close();
    }
  });

  test('staples a revoked status (the truth) and logs it as an error', async () => {
    const { gw, responder } = await setup({ revoked: true });
    try {
      await gw.logs.waitFor((record) => record.event === 'ocsp.certificate_revoked');
      const { staple } = await handshake(gw.port);
      assert.ok(staple);
      assert.equal(certStatus(staple), 'revoked');
    } finally {
      await gw.close();
      await responder.close();
    }
  });

  test('a certificate that names no responder: logged once, handshakes without a staple', async () => {
    const files = await serverCertificate(randomSerial(), undefined, 'no-aia');
    const gw = await startGateway(baseConfig([upstream.url], { listeners: [{ name: 'public', host: '127.0.0.1', port: 0, tls: { certFile: files.certFile, keyFile: files.keyFile, ocspStapling: { enabled: true } } }] }));
    try {
      const line = await gw.logs.waitFor((record) => record.event === 'ocsp.unavailable');
      assert.match(String(line.reason), /no http\(s\) OCSP responder/);
      const { staple, authorized } = await handshake(gw.port);
      assert.equal(authorized, true);
      assert.equal(staple, undefined);
    } finally {
      await gw.close();
    }
  });
});
