/**
 * `portcullis start` runs preflight's critical offline rules through the same Check code
 * (commands/preflight/start-gate.ts): an expired listener certificate refuses the start with its
 * rule id, exactly as `portcullis preflight` reports it; a certificate merely close to its end does
 * not (preflight reports it, medium). A partner certificate that expired locks out that partner
 * only: it is high, never critical, so it never stops the gateway.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { expiryFinding } from '../src/commands/preflight/checks/certificates.js';
import { START_CHECKS, startRefusals } from '../src/commands/preflight/start-gate.js';
import { loadConfigFile } from '../src/config/loader.js';
import { ManualClock } from '../src/core/clock.js';
import { createCa, generateKeyPair, issueLeaf, privateKeyToPem } from '../src/pki/issue.js';
import { makeTestPki } from './helpers/certs.js';
import { runCliAsync } from './helpers/cli.js';

const DAY = 86_400_000;
const dir = mkdtempSync(join(tmpdir(), 'portcullis-preflight-start-'));

/** A config whose one listener serves a certificate valid until `notAfter`. */
async function configWithListenerCertificate(name: string, notAfter: number): Promise<string> {
  const pki = await makeTestPki();
  const keys = await generateKeyPair();
  const leaf = await issueLeaf({ subject: 'CN=localhost', publicKey: keys.publicKey, issuer: pki.intermediate, notBefore: new Date(notAfter - 30 * DAY), notAfter: new Date(notAfter), usage: 'server', altNames: [{ type: 'dns', value: 'localhost' }] });
  writeFileSync(join(dir, `${name}.crt`), `${leaf.toString('pem')}\n`);
  writeFileSync(join(dir, `${name}.key`), await privateKeyToPem(keys.privateKey));
  const file = join(dir, `${name}.yaml`);
  writeFileSync(
    file,
    `listeners: [{ name: public, host: 127.0.0.1, port: 0, tls: { certFile: ./${name}.crt, keyFile: ./${name}.key } }]
admin: { enabled: false }
upstreams: { api: { targets: [http://127.0.0.1:4010] } }
routes: [{ name: ping, methods: [GET], path: /ping, upstream: api, public: true, publicReason: test }]
`,
  );
  return file;
}

describe('start runs the critical offline rules of preflight', () => {
  test('the certificates check is the one marked to run at start', () => {
    assert.deepEqual(START_CHECKS.map((check) => check.name), ['certificates']);
  });

  test('an expired listener certificate refuses the start with PF-CERT-001 (exit 1, before anything listens)', async () => {
    const file = await configWithListenerCertificate('expired', Date.now() - DAY);
    const result = await runCliAsync(['start', '--config', file]);
    assert.equal(result.status, 1, result.stdout + result.stderr);
    assert.match(result.stderr, /cannot serve as it is \(portcullis preflight reports the same\):\n {2}PF-CERT-001 listeners\[0\]\.tls\.certFile: the certificate of listener public \(CN=localhost\) expired on /);
    const preflight = await runCliAsync(['preflight', '--config', file, '--offline', '--format', 'json']);
    const findings = (JSON.parse(preflight.stdout) as { findings: Array<{ ruleId: string; severity: string }> }).findings;
    assert.deepEqual(findings.filter((found) => found.ruleId === 'PF-CERT-001').map((found) => found.severity), ['critical']);
  });

  test('a listener certificate with 10 days left does not refuse the start (preflight reports it, medium)', async () => {
    const file = await configWithListenerCertificate('soon', Date.now() + 10 * DAY);
    const loaded = await loadConfigFile(file);
    assert.ok(loaded.ok);
    assert.deepEqual(await startRefusals(loaded.config, { configPath: file, env: {}, clock: new ManualClock(Date.now()) }), { refusals: [], failed: [] });
    // The same certificate an hour after it expired: refused.
    const later = await startRefusals(loaded.config, { configPath: file, env: {}, clock: new ManualClock(Date.now() + 10 * DAY + 3600_000) });
    assert.deepEqual(later.refusals.map((found) => [found.ruleId, found.severity]), [['PF-CERT-001', 'critical']]);
  });

  test('an expired partner certificate is high, never critical', () => {
    const now = Date.now();
    const partner = expiryFinding({ what: 'the partner certificate 01 of consumer acme', path: 'pki.caDir', subject: 'CN=acme', notAfter: now - DAY, partner: true }, now, 30);
    const own = expiryFinding({ what: 'our private CA', path: 'pki.caDir', subject: 'CN=ca', notAfter: now - DAY }, now, 30);
    assert.deepEqual([partner?.severity, own?.severity], ['high', 'critical']);
  });
});

describe('an expired CA in a trust set that still holds a valid one does not stop a start', () => {
  /** A listener with client CAs `cas` (PEM files written here) and an upstream trusting the same files. */
  async function configWithCas(name: string, cas: Array<{ subject: string; notAfter: number }>): Promise<string> {
    const pki = await makeTestPki();
    const files: string[] = [];
    for (const [index, ca] of cas.entries()) {
      const certificate = await createCa({ subject: ca.subject, keys: await generateKeyPair(), notBefore: new Date(ca.notAfter - 400 * DAY), notAfter: new Date(ca.notAfter) });
      const file = join(dir, `${name}-ca${index}.pem`);
      writeFileSync(file, `${certificate.toString('pem')}\n`);
      files.push(file);
    }
    const file = join(dir, `${name}.yaml`);
    writeFileSync(
      file,
      `listeners: [{ name: public, host: 127.0.0.1, port: 0, tls: { certFile: ${pki.serverCert}, keyFile: ${pki.serverKey}, clientCertificates: { mode: optional, caFiles: ${JSON.stringify(files)} } } }]
admin: { enabled: false }
upstreams: { api: { targets: [https://127.0.0.1:4010], tls: { caFiles: ${JSON.stringify(files)} } } }
routes: [{ name: ping, methods: [GET], path: /ping, upstream: api, public: true, publicReason: test }]
`,
    );
    return file;
  }
  const refusalsOf = async (file: string) => {
    const loaded = await loadConfigFile(file);
    assert.ok(loaded.ok, JSON.stringify(!loaded.ok && loaded.issues));
    return startRefusals(loaded.config, { configPath: file, env: {}, clock: new ManualClock(Date.now()) });
  };

  test('an old CA expired beside its valid successor (a rollover): high, the start goes on', async () => {
    const file = await configWithCas('rollover', [{ subject: 'CN=Old CA', notAfter: Date.now() - DAY }, { subject: 'CN=New CA', notAfter: Date.now() + 3650 * DAY }]);
    assert.deepEqual(await refusalsOf(file), { refusals: [], failed: [] });
    const preflight = await runCliAsync(['preflight', '--config', file, '--offline', '--format', 'json']);
    const findings = (JSON.parse(preflight.stdout) as { findings: Array<{ ruleId: string; severity: string; message: string }> }).findings.filter((found) => found.ruleId === 'PF-CERT-001');
    assert.deepEqual(findings.map((found) => found.severity), ['high', 'high']);
    assert.ok(findings.every((found) => found.message.includes('(CN=Old CA) expired on') && found.message.endsWith('(another CA of the same set is still valid)')), JSON.stringify(findings));
  });

  test('every CA of the set expired: critical for the client CAs and the upstream CAs alike', async () => {
    const file = await configWithCas('all-expired', [{ subject: 'CN=Old CA', notAfter: Date.now() - DAY }]);
    const { refusals } = await refusalsOf(file);
    assert.deepEqual(refusals.map((found) => [found.ruleId, found.where.path]), [
      ['PF-CERT-001', 'listeners[0].tls.clientCertificates.caFiles[0]'],
      ['PF-CERT-001', 'upstreams.api.tls.caFiles[0]'],
    ]);
  });
});
