/**
 * TLS hardening (issue 14): key-exchange groups limited to X25519, P-256 and P-384 on listeners,
 * upstreams and the gateway's own fetches; client-initiated renegotiation refused and logged as
 * such; session tickets off by default, or rotated on a schedule by the injected clock. Real
 * handshakes from Node and openssl s_client.
 */
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import { after, before, describe, test } from 'node:test';
import { connect, type ConnectionOptions, type TLSSocket } from 'node:tls';
import { request } from 'undici';
import { ManualClock } from '../src/core/clock.js';
import { Outbound } from '../src/outbound/index.js';
import { generateKeyPair, issueLeaf, privateKeyToPem } from '../src/pki/issue.js';
import { assertProblem, baseConfig, httpRequest, startGateway, startUpstream, type TestGateway, type TestUpstream } from './helpers/index.js';
import { makeTestPki, type TestPki } from './helpers/certs.js';
import { opensslHandshake, pem, run } from './helpers/tls.js';

let pki: TestPki;
let upstream: TestUpstream;
let gw: TestGateway;

function tlsConfig(tls: Record<string, unknown> = {}) {
  return baseConfig([upstream.url], { listeners: [{ name: 'public', host: '127.0.0.1', port: 0, tls: { certFile: pki.serverCert, keyFile: pki.serverKey, ...tls } }] });
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

interface Exchange {
  status: string;
  protocol: string | null;
  group: string | undefined;
  reused: boolean;
  session: Buffer | undefined;
}

/** One TLS connection with one GET; the last session ticket received, and whether it resumed one. */
function exchange(port: number, options: ConnectionOptions = {}): Promise<Exchange> {
  return new Promise((resolve, reject) => {
    let session: Buffer | undefined;
    let data = '';
    const socket: TLSSocket = connect({ host: '127.0.0.1', port, servername: 'localhost', ca: pem(pki.rootCa), ...options }, () => {
      socket.write('GET /hello HTTP/1.1\r\nhost: localhost\r\nconnection: close\r\n\r\n');
    });
    socket.on('session', (ticket: Buffer) => (session = ticket));
    socket.on('data', (chunk: Buffer) => (data += chunk.toString('latin1')));
    socket.on('error', reject);
    socket.on('end', () => {
      resolve({ status: data.split('\r\n')[0] ?? '', protocol: socket.getProtocol(), group: groupOf(socket), reused: socket.isSessionReused(), session });
    });
  });
}

/** The key exchange's group as Node names it: an EC curve's name, or DH and the size for ffdhe. */
function groupOf(socket: TLSSocket): string | undefined {
  const info = socket.getEphemeralKeyInfo() as { type?: string; name?: string; size?: number } | null;
  return info?.name ?? (info?.type === undefined ? undefined : `${info.type}-${info.size}`);
}

describe('key-exchange groups', () => {
  test('refuses a client offering only finite-field groups (ffdhe2048, ffdhe8192) with a handshake failure', async () => {
    for (const groups of ['ffdhe2048', 'ffdhe8192', 'ffdhe2048:ffdhe3072:ffdhe4096:ffdhe6144:ffdhe8192']) {
      await assert.rejects(exchange(gw.port, { ecdhCurve: groups, minVersion: 'TLSv1.3' }), /handshake failure/i, groups);
    }
    // The same refusal seen by OpenSSL's own client.
    const result = await opensslHandshake(gw.port, ['-tls1_3', '-groups', 'ffdhe2048']);
    assert.notEqual(result.code, 0);
    assert.match(result.output, /alert handshake failure/i, result.output);
    assert.doesNotMatch(result.output, /Cipher is (?!\(NONE\))/);
  });

  test('refuses clients offering only X448 or P-521, the costlier elliptic groups', async () => {
    for (const groups of ['X448', 'P-521']) {
      await assert.rejects(exchange(gw.port, { ecdhCurve: groups }), /handshake failure/i, groups);
    }
  });

  test('accepts X25519 (preferred), P-256 and P-384, on TLS 1.3 and 1.2', async () => {
    assert.equal((await exchange(gw.port)).group, 'X25519');
    // TLS 1.2 clients must also list the curve of the server's ECDSA key (P-256) to accept it (RFC 8422 §5.1).
    for (const [groups, expected, versions] of [['P-256', 'prime256v1', ['TLSv1.3', 'TLSv1.2']], ['P-384', 'secp384r1', ['TLSv1.3']]] as const) {
      for (const maxVersion of versions) {
        const reply = await exchange(gw.port, { ecdhCurve: groups, maxVersion });
        assert.equal(reply.status, 'HTTP/1.1 200 OK');
        assert.equal(reply.group, expected);
        assert.equal(reply.protocol, maxVersion);
      }
    }
    const openssl = await opensslHandshake(gw.port, ['-tls1_3', '-groups', 'P-384']);
    assert.equal(openssl.code, 0, openssl.output);
    assert.match(openssl.output, /Server Temp Key: ECDH, secp384r1/);
  });

  test('tls.groups widens the list when an operator needs it', async () => {
    const own = await startGateway(tlsConfig({ groups: ['X25519', 'ffdhe2048'] }));
    try {
      const reply = await exchange(own.port, { ecdhCurve: 'ffdhe2048' });
      assert.equal(reply.status, 'HTTP/1.1 200 OK');
      assert.equal(reply.group, 'DH-2048');
      await assert.rejects(exchange(own.port, { ecdhCurve: 'P-256' }), /handshake failure/i, 'only the groups listed');
    } finally {
      await own.close();
    }
  });
});

describe('outbound TLS offers the same groups', () => {
  let keyPem: string;
  let certPem: string;
  const servers: Server[] = [];
  before(async () => {
    const keys = await generateKeyPair();
    const cert = await issueLeaf({ subject: 'CN=localhost', publicKey: keys.publicKey, issuer: pki.intermediate, notBefore: new Date(Date.now() - 1000), notAfter: new Date(Date.now() + 86400000), usage: 'server', altNames: [{ type: 'ip', value: '127.0.0.1' }] });
    certPem = `${cert.toString('pem')}\n${pki.intermediate.certificate.toString('pem')}`;
    keyPem = await privateKeyToPem(keys.privateKey);
  });
  after(() => Promise.all(servers.map((server) => new Promise((resolve) => server.close(resolve)))));

  /** An HTTPS server that accepts only the groups given. */
  async function serverWith(ecdhCurve: string): Promise<number> {
    const server = createServer({ cert: certPem, key: keyPem, ecdhCurve }, (_req, res) => res.end('ok'));
    servers.push(server);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    return (server.address() as AddressInfo).port;
  }

  test('upstream pools refuse a target that accepts only ffdhe groups (502) unless tls.groups allows one', async () => {
    const ffdhe = await serverWith('ffdhe2048:ffdhe8192');
    const good = await serverWith('P-384');
    const config = (port: number, tls: Record<string, unknown> = {}) =>
      baseConfig([`https://127.0.0.1:${port}`], { upstreams: { backend: { targets: [`https://127.0.0.1:${port}`], retries: { attempts: 0 }, tls: { caFiles: [pki.rootCa], ...tls } } } });
    for (const [port, tls, status] of [[ffdhe, {}, 502], [good, {}, 200], [ffdhe, { groups: ['X25519', 'ffdhe2048'] }, 200]] as const) {
      const own = await startGateway(config(port, tls));
      try {
        const reply = await httpRequest(`${own.url}/x`);
        if (status === 502) assertProblem(reply, 502, 'upstream.unavailable');
        else assert.equal(reply.status, 200, reply.text);
      } finally {
        await own.close();
      }
    }
  });

  test("the gateway's own fetches (JWKS, CRL, OCSP) refuse a server that accepts only ffdhe groups", async (t) => {
    const ffdhe = await serverWith('ffdhe2048');
    const good = await serverWith('X25519');
    const outbound = new Outbound();
    t.after(() => outbound.close());
    // The outbound agents verify against the system CAs; this test CA is not one, so the refusal
    // must come before certificate checks: a handshake failure, not a verification error.
    for (const purpose of ['jwks', 'discovery', 'crl', 'ocsp'] as const) {
      await assert.rejects(request(`https://127.0.0.1:${ffdhe}/`, { dispatcher: outbound.agent(purpose) }), (error: Error & { code?: string }) => /handshake failure/i.test(error.message));
      await assert.rejects(request(`https://127.0.0.1:${good}/`, { dispatcher: outbound.agent(purpose) }), (error: Error & { code?: string }) => error.code === 'UNABLE_TO_VERIFY_LEAF_SIGNATURE' || /certificate/i.test(error.message));
    }
  });
});

describe('renegotiation', () => {
  test('refuses a TLS 1.2 client renegotiation at once, closes the connection and logs tls.renegotiation_refused', async () => {
    const socket: TLSSocket = await new Promise((resolve, reject) => {
      const opened = connect({ host: '127.0.0.1', port: gw.port, servername: 'localhost', ca: pem(pki.rootCa), maxVersion: 'TLSv1.2' }, () => resolve(opened));
      opened.on('error', reject);
    });
    socket.on('error', () => {});
    // The server ends the connection during the renegotiation: the callback may never run, so
    // the outcome is whichever comes first, the callback or the close.
    const outcome = await new Promise<string>((resolve) => {
      socket.on('close', () => resolve('closed'));
      const started = socket.renegotiate({}, (error) => resolve(error ? 'failed' : 'renegotiated'));
      if (!started) resolve('not started');
    });
    assert.ok(outcome === 'closed' || outcome === 'failed', `the renegotiation must not complete (${outcome})`);
    if (!socket.destroyed) await new Promise((resolve) => socket.on('close', resolve));
    const line = await gw.logs.waitFor((record) => record.event === 'tls.renegotiation_refused');
    assert.equal(line.listener, 'public');
    assert.equal(line.clientIp, '127.0.0.1');
    assert.equal(gw.logs.records.some((record) => record.event === 'request.rejected_by_parser'), false, 'not logged as a malformed request');
    const metrics = await (await fetch(`${gw.gateway.adminUrl}/metrics`)).text();
    assert.match(metrics, /portcullis_tls_renegotiation_refused_total\{listener="public"\} [1-9]/);
  });

  test("refuses openssl s_client's renegotiation ('R') on TLS 1.2", async () => {
    const before = gw.logs.records.filter((record) => record.event === 'tls.renegotiation_refused').length;
    // s_client reads commands from stdin: R renegotiates; the server must end the connection.
    const result = await run('openssl', ['s_client', '-connect', `127.0.0.1:${gw.port}`, '-servername', 'localhost', '-tls1_2', '-CAfile', pki.rootCa], 'R\n');
    assert.match(result.stdout + result.stderr, /RENEGOTIATING/);
    await gw.logs.waitFor((record) => record.event === 'tls.renegotiation_refused' && gw.logs.records.filter((r) => r.event === 'tls.renegotiation_refused').length > before);
  });
});

describe('session tickets', () => {
  test('are off by default: a reconnect with a saved session does a full handshake (TLS 1.3 and 1.2)', async () => {
    for (const maxVersion of ['TLSv1.3', 'TLSv1.2'] as const) {
      const first = await exchange(gw.port, { maxVersion });
      const second = await exchange(gw.port, { maxVersion, ...(first.session ? { session: first.session } : {}) });
      assert.equal(second.status, 'HTTP/1.1 200 OK');
      assert.equal(second.reused, false, `${maxVersion}: no session is resumed`);
    }
  });

  test('when enabled, resume within keyRotationSeconds; the key rotates by the injected clock and old tickets stop working', async () => {
    const clock = new ManualClock(Date.now());
    const own = await startGateway(tlsConfig({ sessionTickets: { enabled: true, keyRotationSeconds: 3600 } }), { clock });
    try {
      const server = own.gateway.listenerServer('public') as unknown as { getTicketKeys(): Buffer };
      const firstKey = server.getTicketKeys();
      for (const maxVersion of ['TLSv1.3', 'TLSv1.2'] as const) {
        const first = await exchange(own.port, { maxVersion });
        assert.ok(first.session, `${maxVersion}: a ticket is issued`);
        assert.equal((await exchange(own.port, { maxVersion, session: first.session })).reused, true, `${maxVersion}: resumed with the ticket`);
      }
      const ticket = (await exchange(own.port)).session!;
      clock.advance(3599_000);
      assert.equal((await exchange(own.port, { session: ticket })).reused, true, 'still the same key just before its time');
      assert.deepEqual(server.getTicketKeys(), firstKey);

      clock.advance(1000);
      const after = await exchange(own.port, { session: ticket });
      assert.equal(after.status, 'HTTP/1.1 200 OK');
      assert.equal(after.reused, false, 'a ticket sealed with the old key is refused: full handshake');
      assert.notDeepEqual(server.getTicketKeys(), firstKey, 'a new key is in force');
      await own.logs.waitFor((record) => record.event === 'tls.ticket_key_rotated' && record.listener === 'public');
      assert.equal((await exchange(own.port, { session: after.session })).reused, true, 'tickets under the new key resume');

      // After a certificate reload (setSecureContext brings a context with a key of Node's own),
      // our key is in force again and keeps rotating by the clock.
      assert.equal(await own.gateway.reloadTls('public'), true);
      const reloadedKey = server.getTicketKeys();
      const fresh = await exchange(own.port);
      assert.equal((await exchange(own.port, { session: fresh.session })).reused, true);
      clock.advance(3600_000);
      assert.equal((await exchange(own.port, { session: fresh.session })).reused, false);
      assert.notDeepEqual(server.getTicketKeys(), reloadedKey);
    } finally {
      await own.close();
    }
  });
});
