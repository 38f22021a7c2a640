/**
 * HTTPS listeners end to end: hardened defaults (TLS 1.2+, forward-secret AEAD suites only),
 * HSTS, certificates reloaded without dropping connections, several listeners, and a plain-HTTP
 * listener that redirects or refuses. Real handshakes from Node, curl and openssl s_client, with
 * certificates generated in the test.
 */
import assert from 'node:assert/strict';
import { copyFileSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Agent } from 'node:https';
import { after, before, describe, test } from 'node:test';
import { connect } from 'node:tls';
import { generateKeyPair, issueLeaf, privateKeyToPem } from '../src/pki/issue.js';
import { assertProblem, baseConfig, httpRequest, parseRawResponse, rawExchange, startGateway, startUpstream, type TestGateway, type TestUpstream } from './helpers/index.js';
import { makeTestPki, type TestPki } from './helpers/certs.js';
import { httpsRequest, opensslHandshake, pem, run } from './helpers/tls.js';

let pki: TestPki;
let upstream: TestUpstream;
let gw: TestGateway;

function tlsConfig(extra: Record<string, unknown> = {}) {
  return baseConfig([upstream.url], {
    listeners: [
      { name: 'public', host: '127.0.0.1', port: 0, tls: { certFile: pki.serverCert, keyFile: pki.serverKey, ...extra } },
      { name: 'internal', host: '127.0.0.1', port: 0 },
    ],
  });
}

before(async () => {
  pki = await makeTestPki();
  upstream = await startUpstream();
  gw = await startGateway(tlsConfig());
});
after(async () => {
  await gw.close();
  await upstream.close();
});

describe('HTTPS listener', () => {
  test('serves HTTPS with TLS 1.3 by default, HSTS on every response, beside a plain internal listener', async () => {
    assert.match(gw.url, /^https:\/\/127\.0\.0\.1:\d+$/);
    const reply = await httpsRequest(`${gw.url}/hello`, { ca: pki.rootCa });
    assert.equal(reply.status, 200);
    assert.equal(reply.protocol, 'TLSv1.3');
    assert.equal(reply.headers['strict-transport-security'], 'max-age=63072000; includeSubDomains');
    const problem = await httpsRequest(`${gw.url}/hello`, { ca: pki.rootCa, method: 'PATCH' });
    assertProblem(problem, 405, 'route.method_not_allowed');
    assert.equal(problem.headers['strict-transport-security'], 'max-age=63072000; includeSubDomains', 'problems carry HSTS too');
    const internal = await httpRequest(`${gw.gateway.url('internal')}/hello`);
    assert.equal(internal.status, 200);
    assert.equal(internal.headers['strict-transport-security'], undefined, 'no HSTS over plain HTTP (RFC 6797 §7.2)');
  });

  test('negotiates TLS 1.2 only with a forward-secret AEAD suite', async () => {
    const reply = await httpsRequest(`${gw.url}/`, { ca: pki.rootCa, tls: { maxVersion: 'TLSv1.2' } });
    assert.equal(reply.protocol, 'TLSv1.2');
    assert.match(reply.cipher, /^ECDHE-ECDSA-(AES256-GCM-SHA384|AES128-GCM-SHA256|CHACHA20-POLY1305)$/);
  });

  test('refuses TLS 1.0 and TLS 1.1 clients (openssl s_client)', async () => {
    for (const version of ['-tls1', '-tls1_1']) {
      // SECLEVEL=0 lets this OpenSSL offer the old protocol at all: the refusal must come from the gateway.
      const result = await opensslHandshake(gw.port, [version, '-cipher', 'DEFAULT:@SECLEVEL=0']);
      assert.notEqual(result.code, 0, `${version} handshake must fail`);
      // The refusal is the gateway's alert (RFC 8446 §6.2 protocol_version), not a local client error.
      assert.match(result.output, /alert protocol version/i, result.output);
      assert.doesNotMatch(result.output, /Cipher is (?!\(NONE\))/);
    }
  });

  test('refuses a TLS 1.1 client (Node)', async () => {
    await assert.rejects(httpsRequest(`${gw.url}/`, { ca: pki.rootCa, tls: { minVersion: 'TLSv1.1', maxVersion: 'TLSv1.1', ciphers: 'DEFAULT:@SECLEVEL=0' } }), /protocol|version|alert/i);
  });

  test('refuses weak cipher suites offered alone: CBC with or without forward secrecy, static RSA', async () => {
    for (const cipher of ['ECDHE-ECDSA-AES128-SHA', 'ECDHE-ECDSA-AES256-SHA384', 'AES128-GCM-SHA256', 'AES128-SHA']) {
      const result = await opensslHandshake(gw.port, ['-tls1_2', '-cipher', cipher]);
      assert.notEqual(result.code, 0, `${cipher} must be refused`);
      assert.match(result.output, /alert handshake failure/i, `${cipher}: ${result.output}`);
    }
    const good = await opensslHandshake(gw.port, ['-tls1_2', '-cipher', 'ECDHE-ECDSA-AES128-GCM-SHA256', '-CAfile', pki.rootCa]);
    assert.equal(good.code, 0, good.output);
    assert.match(good.output, /Verify return code: 0 \(ok\)/);
  });

  test('curl verifies the chain and sees HSTS', async () => {
    const result = await run('curl', ['-sS', '-i', '--cacert', pki.rootCa, `${gw.url}/via-curl`]);
    assert.equal(result.code, 0, result.stderr);
    assert.match(result.stdout, /^HTTP\/1\.1 200/);
    assert.match(result.stdout, /strict-transport-security: max-age=63072000; includeSubDomains/i);
    const untrusted = await run('curl', ['-sS', `${gw.url}/`]);
    assert.notEqual(untrusted.code, 0, 'curl without our CA must not trust the gateway');
  });

  test('reloads a changed certificate without dropping open connections', async () => {
    // A folder of its own: the shared gateway watches pki.dir, so inotify (one watch per folder and
    // process) would hand the copies below to this gateway's new watcher too, and the reload they
    // start, reading the old files, would be the tls.reloaded this test waits for.
    const dir = mkdtempSync(join(tmpdir(), 'portcullis-reload-'));
    const certFile = `${dir}/reload.crt`;
    const keyFile = `${dir}/reload.key`;
    copyFileSync(pki.serverCert, certFile);
    copyFileSync(pki.serverKey, keyFile);
    const own = await startGateway(baseConfig([upstream.url], { listeners: [{ name: 'public', host: '127.0.0.1', port: 0, tls: { certFile, keyFile } }] }));
    const agent = new Agent({ keepAlive: true, maxSockets: 1, ca: pem(pki.rootCa) });
    try {
      const first = await httpsRequest(`${own.url}/one`, { agent });
      assert.equal(first.status, 200);
      const serialBefore = await peerSerial(own.port);

      const keys = await generateKeyPair();
      const renewed = await issueLeaf({ subject: 'CN=localhost', publicKey: keys.publicKey, issuer: pki.intermediate, notBefore: new Date(Date.now() - 1000), notAfter: new Date(Date.now() + 30 * 86400000), usage: 'server', altNames: [{ type: 'ip', value: '127.0.0.1' }] });
      writeFileSync(keyFile, await privateKeyToPem(keys.privateKey));
      writeFileSync(certFile, `${renewed.toString('pem')}\n${pki.intermediate.certificate.toString('pem')}\n`);
      await own.logs.waitFor((record) => record.event === 'tls.reloaded');

      const serialAfter = await peerSerial(own.port);
      assert.notEqual(serialAfter, serialBefore);
      assert.equal(serialAfter.toLowerCase().replace(/^0+/, ''), renewed.serialNumber.toLowerCase().replace(/^0+/, ''));
      // The kept-alive connection from before the reload still serves.
      const second = await httpsRequest(`${own.url}/two`, { agent });
      assert.equal(second.status, 200);
      assert.equal(own.logs.records.filter((r) => r.type === 'access').length, 2);
    } finally {
      agent.destroy();
      await own.close();
    }
  });

  test('keeps serving the old certificate when the new files are broken', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'portcullis-broken-')); // its own folder: see above
    const certFile = `${dir}/broken.crt`;
    const keyFile = `${dir}/broken.key`;
    copyFileSync(pki.serverCert, certFile);
    copyFileSync(pki.serverKey, keyFile);
    const own = await startGateway(baseConfig([upstream.url], { listeners: [{ name: 'public', host: '127.0.0.1', port: 0, tls: { certFile, keyFile } }] }));
    try {
      writeFileSync(certFile, 'not a certificate');
      await own.logs.waitFor((record) => record.event === 'tls.reload_failed');
      const reply = await httpsRequest(`${own.url}/`, { ca: pki.rootCa });
      assert.equal(reply.status, 200);
    } finally {
      await own.close();
    }
  });
});

describe('HTTPS listener config', () => {
  test('a config reload swaps the certificate in; a mode change is reported as needing a restart', async () => {
    const { validateConfig } = await import('../src/config/loader.js');
    const keys = await generateKeyPair();
    const other = await issueLeaf({ subject: 'CN=reloaded', publicKey: keys.publicKey, issuer: pki.intermediate, notBefore: new Date(Date.now() - 1000), notAfter: new Date(Date.now() + 30 * 86400000), usage: 'server', altNames: [{ type: 'dns', value: 'localhost' }, { type: 'ip', value: '127.0.0.1' }] });
    const certFile = `${pki.dir}/config-reload.crt`;
    const keyFile = `${pki.dir}/config-reload.key`;
    writeFileSync(certFile, `${other.toString('pem')}\n${pki.intermediate.certificate.toString('pem')}\n`);
    writeFileSync(keyFile, await privateKeyToPem(keys.privateKey));
    const own = await startGateway(baseConfig([upstream.url], { listeners: [{ name: 'public', host: '127.0.0.1', port: 0, tls: { certFile: pki.serverCert, keyFile: pki.serverKey, hsts: { maxAgeSeconds: 0 } } }] }));
    try {
      assert.equal((await httpsRequest(`${own.url}/`, { ca: pki.rootCa })).headers['strict-transport-security'], undefined, 'maxAgeSeconds 0: no HSTS');
      const next = (tls: Record<string, unknown>) => {
        const loaded = validateConfig(baseConfig([upstream.url], { listeners: [{ name: 'public', host: '127.0.0.1', port: 0, tls }] }), {});
        assert.ok(loaded.ok);
        return loaded.config;
      };
      assert.deepEqual(await own.gateway.reload(next({ certFile, keyFile, hsts: { preload: true } })), { ok: true, revision: 2 });
      await own.logs.waitFor((record) => record.event === 'tls.reloaded');
      assert.equal(own.logs.records.some((record) => record.event === 'config.restart_required'), false);
      const serial = await peerSerial(own.port);
      assert.equal(serial.toLowerCase().replace(/^0+/, ''), other.serialNumber.toLowerCase().replace(/^0+/, ''));
      assert.equal((await httpsRequest(`${own.url}/`, { ca: pki.rootCa })).headers['strict-transport-security'], 'max-age=63072000; includeSubDomains; preload');

      await own.gateway.reload(next({ certFile, keyFile, clientCertificates: { mode: 'optional', caFiles: [pki.caBundle] } }));
      const warning = await own.logs.waitFor((record) => record.event === 'config.restart_required');
      assert.deepEqual(warning.sections, ['listeners']);
    } finally {
      await own.close();
    }
  });

  test('refuses a TLS listener without a certificate and key, or with both a file and a secret', async () => {
    const { validateConfig } = await import('../src/config/loader.js');
    const result = validateConfig(
      baseConfig([upstream.url], {
        listeners: [
          { name: 'a', host: '127.0.0.1', port: 0, tls: { certFile: 'x.crt', cert: '${env:CERT}', clientCertificates: { mode: 'required' } } },
          { name: 'b', host: '127.0.0.1', port: 0, plainHttp: 'redirect', tls: { certFile: 'x', keyFile: 'y' } },
        ],
      }),
      { CERT: 'x' },
    );
    assert.equal(result.ok, false);
    const messages = result.ok ? [] : result.issues.map((issue) => `${issue.path}: ${issue.message}`);
    for (const expected of ['listeners[0].tls.certFile: give either certFile or cert', 'listeners[0].tls.keyFile: give either keyFile or key', 'listeners[0].tls.clientCertificates.caFiles: needs at least one CA file', 'listeners[1].plainHttp: applies to listeners without tls only']) {
      assert.ok(messages.some((message) => message.startsWith(expected)), `${expected}\n${messages.join('\n')}`);
    }
  });
});

describe('plain-HTTP listener', () => {
  test('redirects to HTTPS with 308, keeping path and query', async () => {
    const own = await startGateway(baseConfig([upstream.url], { listeners: [{ name: 'web', host: '127.0.0.1', port: 0, plainHttp: 'redirect', httpsPort: 8443 }] }));
    try {
      const reply = await httpRequest(`${own.url}/v1/accounts?x=1`, { headers: { host: 'api.example.com' } });
      assert.equal(reply.status, 308);
      assert.equal(reply.headers.location, 'https://api.example.com:8443/v1/accounts?x=1');
      assert.equal(upstream.requests.some((r) => r.url === '/v1/accounts?x=1'), false, 'nothing forwarded in clear');
    } finally {
      await own.close();
    }
  });

  test('a redirecting listener refuses with 403 request.https_required what names no host, instead of serving it in clear', async () => {
    const own = await startGateway(baseConfig([upstream.url], { listeners: [{ name: 'web', host: '127.0.0.1', port: 0, plainHttp: 'redirect', httpsPort: 8443 }] }));
    try {
      // HTTP/1.0 without Host: there is nowhere to redirect it to.
      const raw = await rawExchange(own.port, ['GET /v1/no-host HTTP/1.0\r\n\r\n']);
      const reply = parseRawResponse(raw);
      assertProblem(reply, 403, 'request.https_required');
      assert.equal(upstream.requests.some((r) => r.url === '/v1/no-host'), false, 'nothing forwarded in clear');
    } finally {
      await own.close();
    }
  });

  test('refuses with 403 request.https_required', async () => {
    const own = await startGateway(baseConfig([upstream.url], { listeners: [{ name: 'web', host: '127.0.0.1', port: 0, plainHttp: 'refuse' }] }));
    try {
      assertProblem(await httpRequest(`${own.url}/v1/x`), 403, 'request.https_required');
    } finally {
      await own.close();
    }
  });
});

/** The serial of the certificate a fresh connection is served. */
function peerSerial(port: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect({ port, host: '127.0.0.1', ca: pem(pki.rootCa), servername: 'localhost' }, () => {
      const serial = socket.getPeerCertificate().serialNumber;
      socket.end();
      resolve(serial);
    });
    socket.on('error', reject);
  });
}
