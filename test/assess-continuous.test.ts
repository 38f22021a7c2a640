/**
 * Continuous assessment (issue 23 §5) through a whole gateway on real sockets, with an injected
 * clock: an HTTPS upstream that opts in is assessed at start (requests wait refused until it has a
 * grade: minimumGrade fails closed), then, swapped to a weaker configuration, assessed again a day
 * later: the drop is stored, logged as assess.provider_security_regression, fires the
 * provider_security_regression alert at a local webhook receiver, and requests to the upstream are
 * refused with 503 upstream.assessment_below_minimum without reaching it. A certificate that now
 * expires within 7 days raises the event once more.
 */
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { assessUpstream } from '../src/assess/continuous.js';
import { ManualClock } from '../src/core/clock.js';
import type { UpstreamAssessor } from '../src/core/assessment.js';
import { listAssessmentResults } from '../src/store/assessment-results.js';
import { ALERT_SECRET, startAlertReceiver } from './helpers/alert-receiver.js';
import { badApi, badAuthorizationServer, goodApi, startHttpsServer } from './helpers/assess-http-servers.js';
import { makeTestPki } from './helpers/certs.js';
import { httpRequest, startGateway } from './helpers/index.js';
import { ADMIN_TOKEN, KEY_ENV } from './helpers/keys.js';

const cleanups: Array<() => Promise<void>> = [];
after(async () => {
  for (const cleanup of cleanups.reverse()) await cleanup();
});

const DAY_MS = 86_400_000;

test('a grade drop is stored, raises provider_security_regression at the alert receiver, and minimumGrade refuses the upstream', async () => {
  const clock = new ManualClock(Date.now());
  const pki = await makeTestPki();
  let weak = false;
  let proxied = 0;
  const weakApi = badApi({ unauthenticated: 'data', securityTxt: 'missing' });
  const weakIssuer = badAuthorizationServer();
  const upstream = await startHttpsServer(pki, (req, res, origin) => {
    if (req.url?.startsWith('/partner/')) proxied++;
    if (!weak) return goodApi(req, res, origin);
    return req.url === '/.well-known/openid-configuration' || req.url === '/jwks' ? weakIssuer(req, res, origin) : weakApi(req, res, origin);
  });
  const receiver = await startAlertReceiver();
  // The first assessment waits for the test, so a request can come before the upstream has a grade.
  let releaseFirst!: () => void;
  const firstMayRun = new Promise<void>((resolve) => (releaseFirst = resolve));
  const assessor: UpstreamAssessor = async (request) => {
    await firstMayRun;
    return assessUpstream(request);
  };
  const { gateway, url, logs, close } = await startGateway(
    {
      listeners: [{ name: 'public', host: '127.0.0.1', port: 0 }],
      admin: { host: '127.0.0.1', port: 0, token: '${env:PORTCULLIS_ADMIN_TOKEN}' },
      apiKeys: { pepper: '${env:PORTCULLIS_KEY_PEPPER}' },
      store: { path: join(mkdtempSync(join(tmpdir(), 'portcullis-assess-')), 'store.db') },
      upstreams: { partner: { targets: [upstream.origin], tls: { caFiles: [pki.caBundle] }, assess: { intervalHours: 24, oauthIssuer: upstream.origin, minimumGrade: 'E', timeoutMs: 5000 } } },
      routes: [{ name: 'partner', methods: ['GET'], path: '/partner/*', upstream: 'partner' }],
      alerts: { groupWaitSeconds: 0, groupIntervalSeconds: 60, sinks: { ops: { type: 'webhook', url: receiver.url, secret: '${env:ALERT_SECRET}' } } },
    },
    { env: { ALERT_SECRET, ...KEY_ENV }, clock, assessor },
  );
  cleanups.push(upstream.close, receiver.close, close);

  const unassessed = await httpRequest(`${url}/partner/accounts`);
  assert.equal(unassessed.status, 503);
  assert.equal(unassessed.json().code, 'upstream.assessment_below_minimum');
  assert.match(String(unassessed.json().detail), /not been assessed yet/);
  assert.equal(proxied, 0, 'nothing reached the upstream before it had a grade');

  releaseFirst();
  await gateway.assessments.tick();
  const first = gateway.assessments.gradeOf('partner');
  assert.ok(first !== undefined && first !== 'F', `first grade ${first}`);
  const passed = await httpRequest(`${url}/partner/accounts`);
  assert.notEqual(passed.status, 503, passed.text);
  assert.equal(proxied, 1, 'graded at or above the minimum: forwarded');

  weak = true;
  clock.advance(DAY_MS + 1000);
  await gateway.assessments.tick();
  assert.equal(gateway.assessments.gradeOf('partner'), 'F');
  const regression = logs.records.filter((record) => record.event === 'assess.provider_security_regression');
  assert.deepEqual(
    regression.map((record) => [record.upstream, record.reason, record.severity, record.from, record.to]),
    [['partner', 'grade_dropped', 'critical', first, 'F']],
  );
  // The event carries the diff with the previous stored run, rule ids only (assess/diff.ts, as --baseline).
  assert.ok((regression[0]!.added as string[]).includes('AS-OAUTH-011'), JSON.stringify(regression[0]));
  assert.ok((regression[0]!.added as string[]).every((id) => /^AS-[A-Z]+-\d{3}$/.test(id)) && Array.isArray(regression[0]!.fixed), 'ids only');
  const stored = await listAssessmentResults(gateway.services.store!, { upstream: 'partner', limit: 10 });
  assert.deepEqual(stored.map((result) => result.grade), ['F', first]);
  assert.ok(stored[0]!.findings.some((finding) => finding.ruleId === 'AS-OAUTH-011' && finding.status === 'found'));
  assert.ok(stored[0]!.capReasons.some((reason) => reason.includes('AS-OAUTH-011')), stored[0]!.capReasons.join('; '));

  const listed = await httpRequest(`${gateway.adminUrl}/v1/assessments?upstream=partner`, { headers: { authorization: `Bearer ${ADMIN_TOKEN}` } });
  assert.equal(listed.status, 200, listed.text);
  const items = listed.json<{ items: Array<{ grade: string; capReasons: string[]; certificateNotAfter: string | null; changes: { previousGrade: string; change: string; added: Array<{ ruleId: string }> } | null }> }>().items;
  assert.deepEqual(items.map((item) => item.grade), ['F', first]);
  assert.deepEqual([items[0]!.changes?.previousGrade, items[0]!.changes?.change, items[1]!.changes], [first, 'worse', null]);
  assert.ok(items[0]!.changes!.added.some((finding) => finding.ruleId === 'AS-OAUTH-011'));
  assert.ok(items[0]!.certificateNotAfter !== null);

  const refused = await httpRequest(`${url}/partner/accounts`);
  assert.equal(refused.status, 503);
  assert.equal(refused.json().code, 'upstream.assessment_below_minimum');
  assert.match(String(refused.json().detail), /graded F, below its minimum E/);
  assert.equal(proxied, 1, 'the refused request never reached the upstream (nor its credential)');

  await gateway.alerts.evaluate();
  await gateway.alerts.deliver();
  const alerts = receiver.about('provider_security_regression').flatMap((notification) => notification.data.alerts.filter((alert) => alert.labels.alertname === 'provider_security_regression'));
  assert.deepEqual(
    alerts.map((alert) => [alert.status, alert.labels.upstream, alert.labels.reason, alert.labels.severity]),
    [['firing', 'partner', 'grade_dropped', 'critical']],
  );

  // 84 days later the certificate (valid 90 days) has 5 to 6 left: the 7-day threshold is crossed.
  clock.advance(84 * DAY_MS);
  await gateway.assessments.tick();
  const expiring = logs.records.filter((record) => record.event === 'assess.provider_security_regression' && record.reason === 'certificate_expiring');
  assert.deepEqual(expiring.map((record) => [record.upstream, record.severity]), [['partner', 'warning']]);
});
