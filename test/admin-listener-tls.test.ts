/**
 * The admin listener's own protection (issue 18 §5), on real sockets: `admin.tls` serves HTTPS and
 * with `clientCertificates.mode: required` refuses a request without a valid client certificate
 * before any authentication (probes included); `admin.allowlist` refuses any other client address
 * (the connection's source address, or X-Forwarded-For from a trusted proxy only); the CLI signs in
 * over HTTPS with --ca-file and a client certificate; the config refuses an admin listener off
 * loopback without HTTPS when admin users can sign in.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { request as httpRequestRaw } from 'node:http';
import { request as httpsRequestRaw } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { validateConfig } from '../src/config/loader.js';
import { makeTestPki, type TestPki } from './helpers/certs.js';
import { CLI } from './helpers/cli.js';
import { assertProblem, baseConfig, startGateway, type TestGateway } from './helpers/index.js';
import { ADMIN_TOKEN, KEY_ENV, keysConfig } from './helpers/keys.js';

interface Reply {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  text: string;
}

/** One request on a fresh connection, with the TLS and source-address options given. */
function call(url: string, options: { method?: string; headers?: Record<string, string>; body?: string; ca?: string; cert?: string; key?: string; localAddress?: string } = {}): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const https = url.startsWith('https:');
    const requestOptions = { method: options.method ?? 'GET', headers: options.headers, agent: false as const, localAddress: options.localAddress, ...(https ? { ca: options.ca, cert: options.cert, key: options.key } : {}) };
    const req = (https ? httpsRequestRaw : httpRequestRaw)(url, requestOptions, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () => resolve({ status: res.statusCode!, headers: res.headers, text: Buffer.concat(chunks).toString('utf8') }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(options.body);
  });
}

function cli(args: string[], env: NodeJS.ProcessEnv, stdin = ''): Promise<{ status: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const childEnv: NodeJS.ProcessEnv = { ...process.env, ...env };
    delete childEnv.PORTCULLIS_ADMIN_TOKEN;
    const child = spawn(process.execPath, [CLI, ...args], { env: childEnv });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (data: Buffer) => (stdout += data.toString()));
    child.stderr.on('data', (data: Buffer) => (stderr += data.toString()));
    child.once('close', (status) => resolve({ status, stdout, stderr }));
    child.stdin.end(stdin);
  });
}

describe('admin.tls with client certificates required', () => {
  let pki: TestPki;
  let gw: TestGateway;
  let ca: string;
  let client: { cert: string; key: string };

  before(async () => {
    pki = await makeTestPki();
    ca = readFileSync(pki.rootCa, 'utf8');
    client = { cert: pki.client.certPem, key: pki.client.keyPem };
    const config = keysConfig('http://127.0.0.1:9', {});
    config.admin = {
      host: '127.0.0.1',
      port: 0,
      token: '${env:PORTCULLIS_ADMIN_TOKEN}',
      tls: { certFile: pki.serverCert, keyFile: pki.serverKey, clientCertificates: { mode: 'required', caFiles: [pki.caBundle] } },
    };
    gw = await startGateway(config, { env: KEY_ENV });
  });
  after(() => gw.close());

  test('serves HTTPS with HSTS to a client with a valid certificate', async () => {
    assert.match(gw.gateway.adminUrl, /^https:\/\/127\.0\.0\.1:\d+$/);
    const health = await call(`${gw.gateway.adminUrl}/healthz`, { ca, ...client });
    assert.equal(health.status, 200);
    assert.equal(health.headers['strict-transport-security'], 'max-age=63072000; includeSubDomains');
    const consumers = await call(`${gw.gateway.adminUrl}/v1/consumers`, { ca, ...client, headers: { authorization: `Bearer ${ADMIN_TOKEN}` } });
    assert.equal(consumers.status, 200, consumers.text);
  });

  test('refuses a request without a client certificate with 401 auth.client_cert_required, before authentication, logged and counted', async () => {
    const health = await call(`${gw.gateway.adminUrl}/healthz`, { ca });
    assertProblem(health, 401, 'auth.client_cert_required');
    // The right admin token does not get past a missing certificate.
    const api = await call(`${gw.gateway.adminUrl}/v1/consumers`, { ca, headers: { authorization: `Bearer ${ADMIN_TOKEN}` } });
    assertProblem(api, 401, 'auth.client_cert_required');
    const refused = gw.logs.records.filter((line) => line.event === 'admin.request_refused');
    assert.ok(refused.some((line) => line.reason === 'client_certificate' && line.code === 'auth.client_cert_required'));
    const metrics = await call(`${gw.gateway.adminUrl}/metrics`, { ca, ...client });
    assert.match(metrics.text, /portcullis_admin_requests_refused_total\{reason="client_certificate"\} [2-9]/);
  });

  test('refuses a certificate from another CA with 401 auth.client_cert_invalid, and an expired one', async () => {
    assertProblem(await call(`${gw.gateway.adminUrl}/healthz`, { ca, cert: pki.otherCa.certPem, key: pki.otherCa.keyPem }), 401, 'auth.client_cert_invalid');
    assertProblem(await call(`${gw.gateway.adminUrl}/healthz`, { ca, cert: pki.expired.certPem, key: pki.expired.keyPem }), 401, 'auth.client_cert_invalid');
  });

  test('portcullis login and whoami work over HTTPS with --ca-file and a client certificate; without the CA the CLI refuses the server', async () => {
    const headers = { authorization: `Bearer ${ADMIN_TOKEN}`, 'content-type': 'application/json' };
    const invited = await call(`${gw.gateway.adminUrl}/v1/users`, { method: 'POST', ca, ...client, headers, body: JSON.stringify({ name: 'tess', email: 'tess@example.com', roles: ['owner'] }) });
    assert.equal(invited.status, 201, invited.text);
    const code = (JSON.parse(invited.text) as { invitation: { code: string } }).invitation.code;
    const password = 'Lantern-Quarry-7718-Saffron';
    const accepted = await call(`${gw.gateway.adminUrl}/v1/invitations/accept`, { method: 'POST', ca, ...client, headers: { 'content-type': 'application/json' }, body: JSON.stringify({ code, password }) });
    assert.equal(accepted.status, 200, accepted.text);

    const env = { PORTCULLIS_CONFIG_DIR: mkdtempSync(join(tmpdir(), 'portcullis-cli-tls-')), PORTCULLIS_ADMIN_URL: gw.gateway.adminUrl };
    const tlsFlags = ['--ca-file', pki.rootCa, '--cert-file', pki.client.cert, '--key-file', pki.client.key];
    const untrusted = await cli(['login', '--name', 'tess', '--cert-file', pki.client.cert, '--key-file', pki.client.key], env, `${password}\n`);
    assert.equal(untrusted.status, 1);
    assert.match(untrusted.stderr, /cannot reach the admin API .*(certificate|issuer)/i);
    const noClientCert = await cli(['login', '--name', 'tess', '--ca-file', pki.rootCa], env, `${password}\n`);
    assert.equal(noClientCert.status, 1);
    assert.match(noClientCert.stderr, /401 auth\.client_cert_required/);

    const login = await cli(['login', '--name', 'tess', ...tlsFlags], env, `${password}\n`);
    assert.equal(login.status, 0, login.stderr);
    // The environment works as the flags do.
    const whoami = await cli(['whoami', '--json'], { ...env, PORTCULLIS_ADMIN_CA_FILE: pki.rootCa, PORTCULLIS_ADMIN_CERT_FILE: pki.client.cert, PORTCULLIS_ADMIN_KEY_FILE: pki.client.key });
    assert.equal(whoami.status, 0, whoami.stderr);
    assert.equal(JSON.parse(whoami.stdout).name, 'tess');
  });
});

describe('admin.allowlist', () => {
  const gateways: TestGateway[] = [];
  const start = async (admin: Record<string, unknown>, extra: Record<string, unknown> = {}) => {
    const gw = await startGateway(baseConfig(['http://127.0.0.1:9'], { admin: { host: '127.0.0.1', port: 0, ...admin }, ...extra }));
    gateways.push(gw);
    return gw;
  };
  after(async () => {
    for (const gw of gateways) await gw.close();
  });

  test('refuses a connection from an address outside the allowlist with 403 network.ip_blocked, probes included, logged and counted', async () => {
    const gw = await start({ host: '0.0.0.0', allowlist: ['127.0.0.2/32'] });
    const port = new URL(gw.gateway.adminUrl).port;
    const refused = await call(`http://127.0.0.1:${port}/healthz`, { localAddress: '127.0.0.1' });
    assertProblem(refused, 403, 'network.ip_blocked');
    assertProblem(await call(`http://127.0.0.1:${port}/metrics`, { localAddress: '127.0.0.1' }), 403, 'network.ip_blocked');
    const allowed = await call(`http://127.0.0.1:${port}/healthz`, { localAddress: '127.0.0.2' });
    assert.equal(allowed.status, 200);
    assert.ok(gw.logs.records.filter((line) => line.event === 'admin.request_refused').some((line) => line.reason === 'allowlist' && line.clientIp === '127.0.0.1'));
    const metrics = await call(`http://127.0.0.1:${port}/metrics`, { localAddress: '127.0.0.2' });
    assert.match(metrics.text, /portcullis_admin_requests_refused_total\{reason="allowlist"\} 2/);
  });

  test('believes X-Forwarded-For only from a trusted proxy', async () => {
    const behindProxy = await start({ allowlist: ['10.0.0.0/8'] }, { trustedProxies: ['127.0.0.1/32'] });
    assert.equal((await call(`${behindProxy.gateway.adminUrl}/healthz`, { headers: { 'x-forwarded-for': '10.1.2.3' } })).status, 200);
    assertProblem(await call(`${behindProxy.gateway.adminUrl}/healthz`, { headers: { 'x-forwarded-for': '192.0.2.7' } }), 403, 'network.ip_blocked');
    assertProblem(await call(`${behindProxy.gateway.adminUrl}/healthz`), 403, 'network.ip_blocked');
    const noProxy = await start({ allowlist: ['10.0.0.0/8'] });
    assertProblem(await call(`${noProxy.gateway.adminUrl}/healthz`, { headers: { 'x-forwarded-for': '10.1.2.3' } }), 403, 'network.ip_blocked');
  });
});

describe('admin listener config', () => {
  const issuesOf = (admin: Record<string, unknown>) => {
    const loaded = validateConfig(keysConfig('http://127.0.0.1:9', { admin: { port: 0, token: '${env:PORTCULLIS_ADMIN_TOKEN}', ...admin } }), KEY_ENV);
    return loaded.ok ? [] : loaded.issues.map((issue) => `${issue.path}: ${issue.message}`);
  };

  test('refuses an admin listener off loopback without admin.tls when admin users can sign in', () => {
    const issues = issuesOf({ host: '0.0.0.0' });
    assert.equal(issues.length, 1, issues.join('\n'));
    assert.match(issues[0]!, /^admin\.tls: is required: the admin listener binds 0\.0\.0\.0, off loopback/);
    assert.deepEqual(issuesOf({ host: '127.0.0.1' }), []);
    assert.deepEqual(issuesOf({ host: '::1' }), []);
  });

  test('refuses an allowlist entry that is not a CIDR, and admin.tls without its key', () => {
    assert.deepEqual(issuesOf({ allowlist: ['10.0.0.0/8', 'intranet'] }), ['admin.allowlist[1]: "intranet" is not an IP address or CIDR (e.g. 10.0.0.0/8, 2001:db8::/32)']);
    assert.deepEqual(issuesOf({ tls: { certFile: '/nonexistent/cert.pem' } }), ['admin.tls.keyFile: give either keyFile or key (a secret reference), exactly one']);
  });
});
