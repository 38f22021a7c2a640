/**
 * Preflight's live checks against real endpoints (issue 22 §2): upstream targets over real TLS (a
 * trusted one, one whose certificate the system CAs do not trust, one whose certificate expires in
 * five days, a closed port), Redis (the real one, and a closed port), alert sinks (a local webhook
 * receiver that must receive nothing unless --send-test-alert is given, then exactly one signed
 * sample; a closed port). Each run asserts the exact findings; nothing here is mocked.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { runPreflight } from '../src/commands/preflight/runner.js';
import { ManualClock } from '../src/core/clock.js';
import { generateKeyPair, issueLeaf, privateKeyToPem } from '../src/pki/issue.js';
import { ALERT_SECRET, startAlertReceiver, type AlertReceiver } from './helpers/alert-receiver.js';
import { makeTestPki, type TestPki } from './helpers/certs.js';
import { freePort, startUpstream, type TestUpstream } from './helpers/index.js';
import { runCliAsync } from './helpers/cli.js';

const DAY = 86_400_000;
const dir = mkdtempSync(join(tmpdir(), 'portcullis-preflight-endpoints-'));
const env = { PF_WEBHOOK_SECRET: ALERT_SECRET };
let pki: TestPki;
let trusted: Server;
let expiring: Server;
let receiver: AlertReceiver;
let closedPort: number;

function listen(server: Server): Promise<number> {
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve((server.address() as AddressInfo).port)));
}

/** A config with only what the test names: public routes with a per-IP limit, so no other rule fires. */
function writeConfig(name: string, sections: string): string {
  const file = join(dir, `${name}.yaml`);
  writeFileSync(
    file,
    `listeners: [{ name: public, host: 127.0.0.1, port: 8080 }]
policies:
  ratelimit: { limits: [{ name: per-ip, limit: 10, windowSeconds: 1, by: [ip] }] }
${sections}
`,
  );
  return file;
}

const routes = (upstreams: string[]) => `routes:\n${upstreams.map((name) => `  - { name: ${name}, methods: [GET], path: /${name}, upstream: ${name}, public: true, publicReason: test }`).join('\n')}`;

async function findings(file: string, options: { sendTestAlert?: boolean } = {}) {
  const report = await runPreflight({ configPath: file, env, clock: new ManualClock(Date.now()), offline: false, resolveSecrets: true, timeoutMs: 2000, ...options });
  return report.findings.map((found) => ({ rule: found.ruleId, severity: found.severity, path: found.where.path, message: found.message }));
}

before(async () => {
  pki = await makeTestPki();
  trusted = createServer({ cert: pki.serverCertPem, key: readFileSync(pki.serverKey, 'utf8') }, (_req, res) => res.end('ok'));
  const keys = await generateKeyPair();
  const soon = await issueLeaf({ subject: 'CN=localhost', publicKey: keys.publicKey, issuer: pki.intermediate, notBefore: new Date(Date.now() - DAY), notAfter: new Date(Date.now() + 5 * DAY + 3600_000), usage: 'server', altNames: [{ type: 'dns', value: 'localhost' }] });
  expiring = createServer({ cert: `${soon.toString('pem')}\n${pki.intermediate.certificate.toString('pem')}\n`, key: await privateKeyToPem(keys.privateKey) }, (_req, res) => res.end('ok'));
  receiver = await startAlertReceiver();
  closedPort = await freePort();
});
after(async () => {
  trusted.close();
  expiring.close();
  await receiver.close();
});

describe('preflight live: upstreams', () => {
  test('a closed port is PF-UPSTREAM-001, an untrusted certificate PF-UPSTREAM-002, one expiring in 5 days PF-CERT-001 (high); a trusted one nothing', async () => {
    const [trustedPort, expiringPort] = [await listen(trusted), await listen(expiring)];
    writeFileSync(join(dir, 'ca.pem'), readFileSync(pki.caBundle, 'utf8'));
    const file = writeConfig(
      'upstreams',
      `upstreams:
  good: { targets: ["https://localhost:${trustedPort}"], tls: { caFiles: [./ca.pem] } }
  untrusted: { targets: ["https://localhost:${trustedPort}"] }
  soon: { targets: ["https://localhost:${expiringPort}"], tls: { caFiles: [./ca.pem] } }
  closed: { targets: ["http://127.0.0.1:${closedPort}"] }
${routes(['good', 'untrusted', 'soon', 'closed'])}
alerts: { enabled: true, sinks: { hook: { type: webhook, url: "${receiver.url}", secret: "\${env:PF_WEBHOOK_SECRET}" } } }`,
    );
    const found = await findings(file);
    assert.deepEqual(found.map(({ rule, severity, path }) => [rule, severity, path]), [
      ['PF-CERT-001', 'high', 'upstreams.soon.targets[0]'],
      ['PF-UPSTREAM-001', 'high', 'upstreams.closed.targets[0]'],
      ['PF-UPSTREAM-002', 'high', 'upstreams.untrusted.targets[0]'],
    ]);
    assert.match(found[0]!.message, /server certificate of upstream soon .* \(5 days left\)/);
    assert.match(found[1]!.message, /ECONNREFUSED/);
    assert.match(found[2]!.message, /UNABLE_TO_GET_ISSUER_CERT_LOCALLY|UNABLE_TO_VERIFY_LEAF_SIGNATURE/);
    // Preflight never sends an alert on its own.
    assert.equal(receiver.received.length, 0);
  });
});

describe('preflight live: Redis and alert sinks', () => {
  let upstream: TestUpstream;
  before(async () => {
    upstream = await startUpstream();
  });
  after(() => upstream.close());

  const section = (redisPort: number, sinkUrl: string) => `upstreams:
  api: { targets: ["${upstream.url}"] }
${routes(['api'])}
redis: { url: "redis://127.0.0.1:${redisPort}" }
alerts: { sinks: { hook: { type: webhook, url: "${sinkUrl}", secret: "\${env:PF_WEBHOOK_SECRET}" } } }`;

  test('Redis and the sink answering: no finding, and no alert sent', async () => {
    assert.deepEqual(await findings(writeConfig('reachable', section(6379, receiver.url))), []);
    assert.equal(receiver.received.length, 0);
  });

  test('a Redis that does not answer is PF-REDIS-003; a sink that does not is PF-ALERT-002', async () => {
    const found = await findings(writeConfig('unreachable', section(closedPort, `http://127.0.0.1:${closedPort}/alerts`)));
    assert.deepEqual(found.map(({ rule, path }) => [rule, path]), [
      ['PF-ALERT-002', 'alerts.sinks.hook'],
      ['PF-REDIS-003', 'redis.url'],
    ]);
    assert.match(found[0]!.message, /alert sink hook \(webhook\) at http:\/\/127\.0\.0\.1:\d+ does not answer/);
  });

  test('--send-test-alert sends exactly one signed sample through the sink, via the real CLI', async () => {
    const file = writeConfig('test-alert', section(6379, receiver.url));
    const result = await runCliAsync(['preflight', '--config', file, '--send-test-alert', '--format', 'json'], env);
    assert.equal(result.status, 0, result.stdout + result.stderr);
    assert.deepEqual((JSON.parse(result.stdout) as { findings: unknown[] }).findings, []);
    assert.equal(receiver.received.length, 1);
    // The alert engine's own test path: the sample of a rule, labelled as a test.
    assert.equal(receiver.received[0]!.data.alerts[0]!.labels.alertname, 'alert_sink_failing');
    assert.equal(receiver.received[0]!.data.alerts[0]!.labels.test, 'true');
  });

  test('a sink that refuses the test alert is PF-ALERT-002', async () => {
    receiver.up = false;
    try {
      const found = await findings(writeConfig('refused', section(6379, receiver.url)), { sendTestAlert: true });
      assert.deepEqual(found.map(({ rule }) => rule), ['PF-ALERT-002']);
      assert.match(found[0]!.message, /^alert sink hook \(webhook\) did not accept the test alert: .*503/);
    } finally {
      receiver.up = true;
    }
  });
});
