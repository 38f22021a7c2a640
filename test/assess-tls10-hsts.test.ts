/**
 * HSTS and the plain-HTTP redirect on a provider that speaks only TLS 1.0 (issue 23 §2, §6):
 * Debian's `openssl s_server -tls1` at `@SECLEVEL=0` in -HTTP mode, so the test writes the whole
 * response and chooses its Strict-Transport-Security header. The TLS 1.0 finding is there, and
 * HSTS is judged from the server's real answer: found missing when it is, not found when it is
 * sent. (The hardened outbound profile stops at TLS 1.2: with it, HSTS was never read and only
 * reported as not tested.)
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type { Assessment } from '../src/assess/run-assessment.js';
import { assessUrl } from '../src/commands/assess/run.js';
import { systemClock } from '../src/core/clock.js';
import { httpResponseFile, makeAssessPki, ONE_YEAR_HSTS, opensslServer, plainHttpServer, type AssessPki, type RunningServer } from './helpers/assess-servers.js';

const TIMEOUT_MS = 3000;
const tls10Only = () => ['-tls1', '-cipher', 'DEFAULT:@SECLEVEL=0', '-cert_chain', pki.pki.caBundle];
const of = (assessment: Assessment, prefix: string) => assessment.findings.filter((f) => f.ruleId.startsWith(prefix)).map((f) => [f.ruleId, f.status, f.message]);
const foundIds = (assessment: Assessment) => assessment.findings.filter((f) => f.status === 'found').map((f) => f.ruleId);

let pki: AssessPki;
const servers: RunningServer[] = [];
const track = <T extends RunningServer>(server: T): T => (servers.push(server), server);
before(async () => {
  pki = await makeAssessPki();
});
after(async () => {
  await Promise.all(servers.map((server) => server.close()));
});

test('a TLS 1.0-only server without HSTS, plain HTTP answering 200: AS-TLS-001, AS-HSTS-001 found and AS-HSTS-004', async () => {
  const https = track(await opensslServer(pki.good.cert, pki.good.key, tls10Only(), { api: httpResponseFile() }));
  const http = track(await plainHttpServer());
  const assessment = await assessUrl(`${https.url}api`, { timeoutMs: TIMEOUT_MS, clock: systemClock, caFile: pki.caFile, httpUrl: http.url });
  assert.ok(foundIds(assessment).includes('AS-TLS-001'), foundIds(assessment).join(', '));
  assert.deepEqual(of(assessment, 'AS-HSTS-'), [
    ['AS-HSTS-001', 'found', 'no Strict-Transport-Security header'],
    ['AS-HSTS-004', 'found', `${http.url} answered 200 instead of a redirect to https://`],
  ]);
});

test('a TLS 1.0-only server sending HSTS for a year, plain HTTP redirecting: AS-TLS-001, and no HSTS finding at all', async () => {
  const https = track(await opensslServer(pki.good.cert, pki.good.key, tls10Only(), { api: httpResponseFile({ 'Strict-Transport-Security': ONE_YEAR_HSTS }) }));
  const http = track(await plainHttpServer(`${https.url}api`));
  const assessment = await assessUrl(`${https.url}api`, { timeoutMs: TIMEOUT_MS, clock: systemClock, caFile: pki.caFile, httpUrl: http.url });
  assert.ok(foundIds(assessment).includes('AS-TLS-001'), foundIds(assessment).join(', '));
  assert.deepEqual(of(assessment, 'AS-HSTS-'), []);
  assert.ok(assessment.capReasons.some((reason) => reason.startsWith('capped at B: AS-TLS-001 TLS 1.0 offered')), assessment.capReasons.join('; '));
});

test('HSTS sent over a certificate that does not verify is not counted (RFC 6797 §8.1): AS-HSTS-001 not tested, never passed', async () => {
  const https = track(await opensslServer(pki.good.cert, pki.good.key, tls10Only(), { api: httpResponseFile({ 'Strict-Transport-Security': ONE_YEAR_HSTS }) }));
  const assessment = await assessUrl(`${https.url}api`, { timeoutMs: TIMEOUT_MS, clock: systemClock, httpUrl: 'http://127.0.0.1:9/' });
  const hsts = assessment.findings.filter((f) => f.ruleId === 'AS-HSTS-001');
  assert.deepEqual(hsts.map((f) => f.status), ['not_tested']);
});
