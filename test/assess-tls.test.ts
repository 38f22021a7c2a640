/**
 * `portcullis assess` against local servers with known properties (issue 23 §6): each weakness is
 * found with its id, and a strong server gets A+. The weak servers are Debian's `openssl s_server`
 * where Node would not serve the weakness (TLS 1.0, static RSA, NULL, a 1024-bit DH group).
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { after, before, describe, test } from 'node:test';
import { assessUrl } from '../src/commands/assess/run.js';
import { systemClock } from '../src/core/clock.js';
import type { Assessment } from '../src/assess/run-assessment.js';
import { runCliAsync } from './helpers/cli.js';
import { makeAssessPki, nodeTlsServer, ONE_YEAR_HSTS, opensslServer, plainHttpServer, STRONG_TLS, type AssessPki, type RunningServer } from './helpers/assess-servers.js';

const TIMEOUT_MS = 3000;
const foundIds = (assessment: Assessment) => [...new Set(assessment.findings.filter((f) => f.status === 'found').map((f) => f.ruleId))].sort();
const message = (assessment: Assessment, id: string) => assessment.findings.find((f) => f.ruleId === id && f.status === 'found')?.message ?? '';

let pki: AssessPki;
const servers: RunningServer[] = [];
const track = <T extends RunningServer>(server: T): T => (servers.push(server), server);
const read = (path: string) => readFileSync(path);

before(async () => {
  pki = await makeAssessPki();
});
after(async () => {
  await Promise.all(servers.map((server) => server.close()));
});

describe('assess grades local servers with known properties', () => {
  test('a strong server (TLS 1.2+1.3, ECDHE AEAD, its own order, HSTS a year, http redirects) gets A+ and no capping finding', async () => {
    const https = track(await nodeTlsServer({ ...STRONG_TLS, cert: read(pki.good.cert), key: read(pki.good.key) }, { 'strict-transport-security': ONE_YEAR_HSTS }));
    const http = track(await plainHttpServer(https.url));
    const assessment = await assessUrl(https.url, { timeoutMs: TIMEOUT_MS, clock: systemClock, caFile: pki.caFile, httpUrl: http.url });
    assert.equal(assessment.grade, 'A+', assessment.capReasons.join('; '));
    // Only notes: TLS 1.3 offered, the groups, no OCSP stapling and no SCTs (a private CA's certificate has none).
    assert.deepEqual(foundIds(assessment), ['AS-CERT-009', 'AS-CERT-010', 'AS-TLS-013', 'AS-TLS-015']);
    assert.match(assessment.findings.find((f) => f.ruleId === 'AS-TLS-015')!.message, /X25519.*P-256/);
    assert.ok(assessment.findings.some((f) => f.ruleId === 'AS-TLS-004' && f.status === 'not_tested'), 'SSLv3 is said to be not tested');
    assert.ok(assessment.findings.some((f) => f.ruleId === 'AS-TLS-009' && f.status === 'not_tested'), '3DES/RC4/export are said to be not tested');
  });

  test('TLS 1.0 only, at a lowered security level (openssl s_server -tls1): AS-TLS-001, AS-TLS-014 (no TLS 1.2/1.3), no TLS 1.3, client order, capped at C', async () => {
    const server = track(await opensslServer(pki.good.cert, pki.good.key, ['-tls1', '-cipher', 'DEFAULT@SECLEVEL=0']));
    const assessment = await assessUrl(server.url, { timeoutMs: TIMEOUT_MS, clock: systemClock, caFile: pki.caFile });
    const ids = foundIds(assessment);
    for (const id of ['AS-TLS-001', 'AS-TLS-003', 'AS-TLS-006', 'AS-TLS-010', 'AS-TLS-014']) assert.ok(ids.includes(id), `${id} in ${ids.join(', ')}`);
    assert.ok(!ids.includes('AS-TLS-002') && !ids.includes('AS-TLS-013'), 'only TLS 1.0 is offered');
    assert.equal(assessment.grade, 'C');
    assert.ok(assessment.capReasons.some((reason) => reason.startsWith('capped at C: AS-TLS-014')), assessment.capReasons.join('; '));
    assert.ok(assessment.capReasons.some((reason) => reason.startsWith('capped at B: AS-TLS-001 TLS 1.0 offered')), assessment.capReasons.join('; '));
  });

  test('a suite without forward secrecy (static RSA, AES128-SHA): AS-TLS-005 and AS-TLS-006 name it', async () => {
    const server = track(await opensslServer(pki.rsa.cert, pki.rsa.key, ['-tls1_2', '-cipher', 'AES128-SHA']));
    const assessment = await assessUrl(server.url, { timeoutMs: TIMEOUT_MS, clock: systemClock, caFile: pki.rsa.cert });
    assert.equal(message(assessment, 'AS-TLS-005'), 'TLS_RSA_WITH_AES_128_CBC_SHA');
    assert.equal(message(assessment, 'AS-TLS-006'), 'TLS_RSA_WITH_AES_128_CBC_SHA');
    assert.equal(assessment.grade, 'B');
  });

  test('a NULL suite (no encryption): AS-TLS-007, grade F', async () => {
    const server = track(await opensslServer(pki.good.cert, pki.good.key, ['-tls1_2', '-cipher', 'ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-ECDSA-NULL-SHA@SECLEVEL=0']));
    const assessment = await assessUrl(server.url, { timeoutMs: TIMEOUT_MS, clock: systemClock, caFile: pki.caFile });
    assert.equal(message(assessment, 'AS-TLS-007'), 'TLS_ECDHE_ECDSA_WITH_NULL_SHA');
    assert.equal(assessment.grade, 'F');
  });

  test('a 1024-bit DH group: AS-TLS-011 with its size', async () => {
    const server = track(await opensslServer(pki.rsa.cert, pki.rsa.key, ['-tls1_2', '-cipher', 'DHE-RSA-AES128-GCM-SHA256@SECLEVEL=0', '-dhparam', pki.dh1024]));
    const assessment = await assessUrl(server.url, { timeoutMs: TIMEOUT_MS, clock: systemClock, caFile: pki.rsa.cert });
    assert.equal(message(assessment, 'AS-TLS-011'), 'TLS_DHE_RSA_WITH_AES_128_GCM_SHA256 (DH 1024 bits)');
    assert.ok(!foundIds(assessment).includes('AS-TLS-005'), 'DHE is forward secret');
  });

  const certificateCases: Array<[string, keyof AssessPki, string, string]> = [
    ['an expired certificate', 'expired', 'AS-CERT-003', 'F'],
    ['a self-signed certificate', 'selfSigned', 'AS-CERT-002', 'F'],
    ['a chain without its intermediate', 'leafOnly', 'AS-CERT-004', 'B'],
    ['a certificate for another host', 'wrongHost', 'AS-CERT-005', 'F'],
  ];
  for (const [name, files, id, grade] of certificateCases) {
    test(`${name}: ${id}, grade ${grade}`, async () => {
      const { cert, key } = pki[files] as { cert: string; key: string };
      const server = track(await nodeTlsServer({ ...STRONG_TLS, cert: read(cert), key: read(key) }, { 'strict-transport-security': ONE_YEAR_HSTS }));
      const assessment = await assessUrl(server.url, { timeoutMs: TIMEOUT_MS, clock: systemClock, caFile: pki.caFile });
      assert.ok(foundIds(assessment).includes(id), `${id} in ${foundIds(assessment).join(', ')}`);
      assert.equal(assessment.grade, grade, assessment.capReasons.join('; '));
    });
  }

  test('a certificate that expires within 30 days (by the clock): AS-CERT-008', async () => {
    const server = track(await nodeTlsServer({ ...STRONG_TLS, cert: read(pki.good.cert), key: read(pki.good.key) }, { 'strict-transport-security': ONE_YEAR_HSTS }));
    const in190Days = { now: () => Date.now() + 190 * 86_400_000 };
    const assessment = await assessUrl(server.url, { timeoutMs: TIMEOUT_MS, clock: in190Days, caFile: pki.caFile });
    assert.match(message(assessment, 'AS-CERT-008'), /^expires in (9|10) days/);
    assert.equal(assessment.findings.find((f) => f.ruleId === 'AS-CERT-008')?.severity, 'medium');
  });

  test('no HSTS and plain HTTP answering 200: AS-HSTS-001 and AS-HSTS-004, kept from A+', async () => {
    const https = track(await nodeTlsServer({ ...STRONG_TLS, cert: read(pki.good.cert), key: read(pki.good.key) }));
    const http = track(await plainHttpServer());
    const assessment = await assessUrl(https.url, { timeoutMs: TIMEOUT_MS, clock: systemClock, caFile: pki.caFile, httpUrl: http.url });
    assert.ok(foundIds(assessment).includes('AS-HSTS-001'));
    assert.match(message(assessment, 'AS-HSTS-004'), /answered 200 instead of a redirect/);
    assert.equal(assessment.grade, 'A');
  });

  test('HSTS shorter than a year without includeSubDomains: AS-HSTS-002 and AS-HSTS-003', async () => {
    const https = track(await nodeTlsServer({ ...STRONG_TLS, cert: read(pki.good.cert), key: read(pki.good.key) }, { 'strict-transport-security': 'max-age=86400' }));
    const assessment = await assessUrl(https.url, { timeoutMs: TIMEOUT_MS, clock: systemClock, caFile: pki.caFile });
    assert.equal(message(assessment, 'AS-HSTS-002'), 'max-age=86400 (at least 31536000 wanted)');
    assert.ok(foundIds(assessment).includes('AS-HSTS-003'));
  });
});

describe('the assess command', () => {
  test('exit 0 on a strong server, 1 at --fail-on, 2 when nothing answers; json feeds --baseline', async () => {
    const strong = track(await nodeTlsServer({ ...STRONG_TLS, cert: read(pki.good.cert), key: read(pki.good.key) }, { 'strict-transport-security': ONE_YEAR_HSTS }));
    const ok = await runCliAsync(['assess', strong.url, '--ca-file', pki.caFile, '--format', 'json', '--timeout-ms', String(TIMEOUT_MS)]);
    assert.equal(ok.status, 0, ok.stderr);
    const baseline = JSON.parse(ok.stdout) as Assessment;
    assert.equal(baseline.grade, 'A+');
    const strict = await runCliAsync(['assess', strong.url, '--ca-file', pki.caFile, '--fail-on', 'info', '--timeout-ms', String(TIMEOUT_MS)]);
    assert.equal(strict.status, 1, 'info findings fail --fail-on info');
    assert.match(strict.stdout, /^Grade: A\+$/m);

    const { writeFileSync, mkdtempSync } = await import('node:fs');
    const { join } = await import('node:path');
    const { tmpdir } = await import('node:os');
    const baselineFile = join(mkdtempSync(join(tmpdir(), 'portcullis-assess-')), 'baseline.json');
    writeFileSync(baselineFile, ok.stdout);
    const weak = track(await opensslServer(pki.good.cert, pki.good.key, ['-tls1', '-cipher', 'DEFAULT@SECLEVEL=0']));
    const worse = await runCliAsync(['assess', weak.url, '--ca-file', pki.caFile, '--baseline', baselineFile, '--timeout-ms', String(TIMEOUT_MS)]);
    assert.equal(worse.status, 1, 'TLS 1.0 is a high finding');
    assert.match(worse.stdout, /Since the baseline: grade A\+ -> C \(worse\)/);
    assert.match(worse.stdout, /\+ AS-TLS-001 {2}TLS 1\.0 offered/);

    await weak.close();
    const gone = await runCliAsync(['assess', `https://127.0.0.1:${weak.port}/`, '--timeout-ms', '500']);
    assert.equal(gone.status, 2, gone.stdout + gone.stderr);
    assert.match(gone.stdout, /AS-RUN-001/);
  });

  test('--format sarif and md', async () => {
    const strong = track(await nodeTlsServer({ ...STRONG_TLS, cert: read(pki.good.cert), key: read(pki.good.key) }));
    const sarif = await runCliAsync(['assess', strong.url, '--ca-file', pki.caFile, '--format', 'sarif', '--timeout-ms', String(TIMEOUT_MS)]);
    const log = JSON.parse(sarif.stdout) as { version: string; runs: Array<{ results: Array<{ ruleId: string }>; properties: { grade: string } }> };
    assert.equal(log.version, '2.1.0');
    assert.ok(log.runs[0]!.results.some((result) => result.ruleId === 'AS-HSTS-001'));
    assert.equal(log.runs[0]!.properties.grade, 'A');
    const md = await runCliAsync(['assess', strong.url, '--ca-file', pki.caFile, '--format', 'md', '--timeout-ms', String(TIMEOUT_MS)]);
    assert.match(md.stdout, /^\*\*Grade: A\*\*$/m);
    assert.match(md.stdout, /\| medium \| AS-HSTS-001 No Strict-Transport-Security header \|/);
  });
});
