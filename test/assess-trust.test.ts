/**
 * What `portcullis assess` trusts (issue 23, docs/assess.md#trust): `--ca-file` adds its CAs to the
 * default roots instead of replacing them. The spawned CLI gets one private root as a default root
 * through NODE_EXTRA_CA_CERTS (Node adds it to its default store) and another by --ca-file; one
 * `assess --config` run assesses a server issued under each: both chains verify. Had --ca-file
 * replaced the default store, the first server would be AS-CERT-001 (untrusted).
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import type { Assessment } from '../src/assess/run-assessment.js';
import { defaultRoots, trustedCas } from '../src/assess/tls/trust.js';
import { rootCertificates } from 'node:tls';
import { makeTestPki } from './helpers/certs.js';
import { runCliAsync } from './helpers/cli.js';
import { nodeTlsServer, ONE_YEAR_HSTS, STRONG_TLS, type RunningServer } from './helpers/assess-servers.js';

const TIMEOUT_MS = 3000;
const TRUST_RULES = ['AS-CERT-001', 'AS-CERT-002', 'AS-CERT-004'];
const servers: RunningServer[] = [];
after(async () => {
  await Promise.all(servers.map((server) => server.close()));
});

test('--ca-file adds to the default roots: a server under a NODE_EXTRA_CA_CERTS root and one under the --ca-file root both verify in one run', async () => {
  const asDefaultRoot = await makeTestPki();
  const private_ = await makeTestPki();
  const serve = async (pki: typeof asDefaultRoot) => {
    const server = await nodeTlsServer({ ...STRONG_TLS, cert: pki.serverCertPem, key: readFileSync(pki.serverKey) }, { 'strict-transport-security': ONE_YEAR_HSTS });
    servers.push(server);
    return server;
  };
  const byDefault = await serve(asDefaultRoot);
  const byCaFile = await serve(private_);
  const dir = mkdtempSync(join(tmpdir(), 'portcullis-assess-trust-'));
  const config = join(dir, 'portcullis.yaml');
  // JSON is YAML: two upstreams, neither with tls.caFiles of its own, so --ca-file applies to both.
  const upstreams = { 'by-default': { targets: [byDefault.url.replace(/\/$/, '')] }, 'by-ca-file': { targets: [byCaFile.url.replace(/\/$/, '')] } };
  const routes = Object.keys(upstreams).map((name) => ({ name, methods: ['GET'], path: `/${name}/*`, upstream: name }));
  writeFileSync(config, JSON.stringify({ listeners: [{ name: 'public', host: '127.0.0.1', port: 0 }], upstreams, routes }));

  const run = await runCliAsync(['assess', '--config', config, '--ca-file', private_.rootCa, '--format', 'json', '--timeout-ms', String(TIMEOUT_MS)], { NODE_EXTRA_CA_CERTS: asDefaultRoot.rootCa });
  assert.equal(run.stderr, '');
  const assessments = run.stdout.trim().split(/\n(?=\{)/).map((text) => JSON.parse(text) as Assessment);
  assert.deepEqual(assessments.map((assessment) => new URL(assessment.target).port).sort(), [String(byDefault.port), String(byCaFile.port)].sort());
  for (const assessment of assessments) {
    const trust = assessment.findings.filter((finding) => TRUST_RULES.includes(finding.ruleId));
    assert.deepEqual(trust, [], `${assessment.target}: ${JSON.stringify(trust)}`);
    assert.equal(assessment.grade, 'A+', `${assessment.target}: ${assessment.capReasons.join('; ')}`);
  }

  // The control: without NODE_EXTRA_CA_CERTS the first server's root is nobody's, and that is found.
  const control = await runCliAsync(['assess', byDefault.url, '--ca-file', private_.rootCa, '--format', 'json', '--timeout-ms', String(TIMEOUT_MS)], { NODE_EXTRA_CA_CERTS: '' });
  const untrusted = (JSON.parse(control.stdout) as Assessment).findings.filter((finding) => finding.ruleId === 'AS-CERT-001' && finding.status === 'found');
  assert.equal(untrusted.length, 1, control.stdout);
});

test('the trust list is the default roots (Node bundled + NODE_EXTRA_CA_CERTS) followed by the CA file; without a CA file Node keeps its own store', async () => {
  const pki = await makeTestPki();
  const extra = readFileSync(pki.caBundle, 'utf8');
  assert.deepEqual(defaultRoots({ NODE_EXTRA_CA_CERTS: pki.caBundle }), [...rootCertificates, extra]);
  assert.deepEqual(defaultRoots({}), [...rootCertificates]);
  assert.deepEqual(defaultRoots({ NODE_EXTRA_CA_CERTS: join(pki.dir, 'missing.pem') }), [...rootCertificates], 'an unreadable file is ignored, as Node does');
  const cas = trustedCas({ caFile: pki.rootCa })!;
  assert.equal(cas.at(-1), readFileSync(pki.rootCa, 'utf8'));
  assert.ok(rootCertificates.every((root) => cas.includes(root)), 'every bundled root stays trusted beside the CA file');
  assert.equal(trustedCas({}), undefined);
});
