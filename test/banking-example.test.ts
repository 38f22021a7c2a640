/**
 * examples/banking-to-processor.yaml cannot rot: it passes `config validate`, and it runs. The
 * example file is copied with only addresses changed (ports, loopback upstreams, a trusted proxy
 * to give clients a country), next to a CA made with the real `ca` code and generated TLS files,
 * then the partner journey of docs/tls.md is played: a valid payment, refusals with their
 * problem codes (country, contract, certificate), the account list minimised (no balance, masked
 * IBANs), a revocation, the HTTP redirect.
 */
import assert from 'node:assert/strict';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { parse, stringify } from 'yaml';
import { formatIssue, loadConfigFile } from '../src/config/loader.js';
import { PrivateCa } from '../src/pki/private-ca.js';
import { Gateway } from '../src/server/gateway.js';
import { runCliAsync } from './helpers/cli.js';
import { assertProblem, httpRequest, LogCapture } from './helpers/index.js';
import { makeTestPki } from './helpers/certs.js';
import { AdminClient } from './helpers/keys.js';
import { httpsRequest, pem } from './helpers/tls.js';

const EXAMPLE = new URL('../../examples/banking-to-processor.yaml', import.meta.url);

test('examples/banking-to-processor.yaml passes config validate', async () => {
  const result = await runCliAsync(['config', 'validate', EXAMPLE.pathname, '--no-resolve-secrets']);
  assert.equal(result.status, 0, result.stderr);
  assert.match(result.stdout, /is valid: 4 routes, 2 upstreams/);
});

test('the banking-to-processor example runs: payment accepted, refusals with their codes, revoked partner refused', async () => {
  const pki = await makeTestPki();
  const root = mkdtempSync(join(tmpdir(), 'portcullis-bank-'));
  const folder = join(root, 'banking-to-processor');
  mkdirSync(join(folder, 'tls'), { recursive: true });
  copyFileSync(new URL('../../examples/banking-to-processor/payments.openapi.yaml', import.meta.url), join(folder, 'payments.openapi.yaml'));
  copyFileSync(pki.serverCert, join(folder, 'tls/api.example-bank.com.crt'));
  copyFileSync(pki.serverKey, join(folder, 'tls/api.example-bank.com.key'));
  copyFileSync(pki.rootCa, join(folder, 'tls/internal-ca.pem'));
  copyFileSync(pki.rootCa, join(folder, 'tls/processor-ca.pem'));
  copyFileSync(pki.client.cert, join(folder, 'tls/bank-client.crt'));
  const env = {
    PORTCULLIS_ADMIN_TOKEN: 'admin-token-for-the-bank-example-0123',
    PORTCULLIS_KEY_PEPPER: 'pepper-for-the-bank-example-0123456789abc',
    PROCESSOR_CLIENT_KEY: pki.client.keyPem,
    PROCESSOR_API_TOKEN: 'processor-token',
    CA_PASSPHRASE: 'a long passphrase for the test CA',
  };
  const ca = await PrivateCa.init({ dir: join(folder, 'pki'), subject: 'CN=Example Bank Partner CA, O=Example Bank', days: 365, crlDays: 7, keyPassphraseEnv: 'CA_PASSPHRASE', env, now: Date.now() });

  // Core banking and the processor: one https echo server with the test server certificate.
  const seen: Array<Record<string, unknown>> = [];
  const backend = createServer({ cert: pki.serverCertPem, key: pem(pki.serverKey) }, (req, res) => {
    seen.push({ url: req.url, headers: req.headers });
    res.writeHead(200, { 'content-type': 'application/json' });
    if (req.url === '/accounts') {
      const account = (id: string, iban: string) => ({ id, name: 'Operating', currency: 'EUR', iban, balance: { amount: '1045.20', asOf: '2026-11-30' }, owner: { taxId: '111222333' } });
      res.end(JSON.stringify({ accounts: [account('acc-1', 'NL91ABNA0417164300'), account('acc-2', 'DE89370400440532013000')] }));
      return;
    }
    res.end('{"status":"accepted"}');
  });
  await new Promise<void>((resolve) => backend.listen(0, '127.0.0.1', resolve));
  const target = `https://127.0.0.1:${(backend.address() as AddressInfo).port}`;

  const config = parse(readFileSync(EXAMPLE, 'utf8')) as Record<string, any>;
  for (const listener of config.listeners) Object.assign(listener, { host: '127.0.0.1', port: 0 });
  config.admin.port = 0;
  config.store.path = join(root, 'bank.db');
  config.upstreams['core-banking'].targets = [target];
  config.upstreams['settlement-processor'].targets = [target];
  config.upstreams['settlement-processor'].tls.servername = 'localhost';
  config.trustedProxies = ['127.0.0.1'];
  delete config.$schema;
  writeFileSync(join(root, 'bank.yaml'), stringify(config));
  const loaded = await loadConfigFile(join(root, 'bank.yaml'), env);
  assert.ok(loaded.ok, loaded.ok ? '' : loaded.issues.map(formatIssue).join('\n'));
  const logs = new LogCapture();
  const gateway = await Gateway.start({ config: loaded.config, logDestination: logs, env });
  try {
    // With a store, the certificate names a consumer that exists: create it, then issue for it.
    const acme = await new AdminClient(gateway.adminUrl, env.PORTCULLIS_ADMIN_TOKEN).consumer('acme');
    await gateway.services.followed!.follower.catchUp();
    const partner = await ca.issue({ consumerId: acme, days: 90, now: Date.now() });
    const url = gateway.url('partners');
    const netherlands = { 'x-forwarded-for': '2.16.0.1' };
    const payment = { endToEndId: 'E2E-2026-0001', amount: '125.00', currency: 'EUR', debtorAccount: 'NL91ABNA0417164300', creditor: { name: 'Acme GmbH', iban: 'DE89370400440532013000', country: 'DE' } };
    const post = (body: unknown, headers: Record<string, string>, client = true) =>
      httpsRequest(`${url}/v1/payments`, {
        method: 'POST',
        ca: pki.rootCa,
        ...(client ? { cert: partner.certificatePem, key: partner.keyPem } : {}),
        headers: { 'content-type': 'application/json', 'idempotency-key': 'idem-0123456789abcdef', ...headers },
        body: JSON.stringify(body),
      });

    const accepted = await post(payment, netherlands);
    assert.equal(accepted.status, 200, accepted.text);
    assert.equal(accepted.headers['strict-transport-security'], 'max-age=63072000; includeSubDomains');
    const upstream = seen.at(-1)!.headers as Record<string, string>;
    assert.equal(upstream['x-consumer-id'], acme);
    assert.equal(upstream['x-consumer-name'], 'acme');
    assert.equal(upstream['x-auth-method'], 'client_certificate');
    assert.equal(upstream['x-geo-country'], 'NL');

    // The partner's view of its accounts: the allowlisted fields only, the IBANs masked.
    const accounts = await httpsRequest(`${url}/v1/accounts`, { ca: pki.rootCa, cert: partner.certificatePem, key: partner.keyPem, headers: netherlands });
    assert.equal(accounts.status, 200, accounts.text);
    assert.deepEqual(accounts.json(), {
      accounts: [
        { id: 'acc-1', name: 'Operating', currency: 'EUR', iban: '**************4300' },
        { id: 'acc-2', name: 'Operating', currency: 'EUR', iban: '******************3000' },
      ],
    });
    assert.doesNotMatch(accounts.text, /balance|1045|taxId/);

    const invalid = await post({ ...payment, amount: 125 }, netherlands);
    assert.equal(invalid.status, 400, invalid.text);
    assert.match(String(invalid.json().code), /^validation\./);
    assertProblem(await post(payment, { 'x-forwarded-for': '8.8.8.8' }), 403, 'geo.country_blocked');
    assertProblem(await post(payment, netherlands, false), 401, 'auth.client_cert_required');

    await ca.revoke(partner.record.serial, Date.now());
    await gateway.listenerTls('partners')!.refreshRevocation();
    assertProblem(await post(payment, netherlands), 401, 'auth.client_cert_revoked');

    const redirect = await httpRequest(`${gateway.url('web')}/v1/payments`, { headers: { host: 'api.example-bank.com' } });
    assert.equal(redirect.status, 308);
    assert.equal(redirect.headers.location, 'https://api.example-bank.com:8443/v1/payments');
    const crl = await httpRequest(`${gateway.url('web')}/pki/ca.crl`);
    assert.equal(crl.status, 308, 'the redirecting listener sends CRL fetches to HTTPS too');

    // portcullis selftest against the partners listener: no probe fails (those that need what the
    // example does not have, a JWT route or an admin credential, say why they are skipped).
    const selftest = await runCliAsync(['selftest', '--target', url.replace('127.0.0.1', 'localhost'), '--config', join(root, 'bank.yaml'), '--ca-file', pki.rootCa, '--format', 'json', '--fail-on', 'info'], env);
    const report = JSON.parse(selftest.stdout) as { results: Array<{ probeId: string; status: string; observed: string; where: string }> };
    assert.deepEqual(report.results.filter((result) => result.status === 'fail'), []);
    assert.equal(selftest.status, 0, selftest.stderr);
    const passed = new Set(report.results.filter((result) => result.status === 'pass').map((result) => result.probeId));
    for (const id of ['ST-AUTH-001', 'ST-HDR-001', 'ST-PATH-001', 'ST-SMUG-001', 'ST-TLS-001', 'ST-TLS-002', 'ST-TLS-003', 'ST-FLOOD-001']) assert.ok(passed.has(id), `${id} passed`);
  } finally {
    await gateway.close(1000);
    await new Promise<void>((resolve) => backend.close(() => resolve()));
  }
});
