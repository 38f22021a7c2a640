/**
 * The provider_security_regression alert ends on recovery, not on time (issue 23 §5,
 * docs/alerts.md#provider_security_regression): a whole gateway with an injected clock assesses a
 * real HTTPS upstream; the upstream turns weak (the alert fires), stays weak for days past the
 * old 24-hour window (the alert still fires), then is fixed (the next run logs
 * assess.provider_security_recovered and the alert resolves).
 */
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { ManualClock } from '../src/core/clock.js';
import { ALERT_SECRET, startAlertReceiver } from './helpers/alert-receiver.js';
import { badApi, badAuthorizationServer, goodApi, startHttpsServer } from './helpers/assess-http-servers.js';
import { makeTestPki } from './helpers/certs.js';
import { startGateway } from './helpers/index.js';
import { KEY_ENV } from './helpers/keys.js';

const cleanups: Array<() => Promise<void>> = [];
after(async () => {
  for (const cleanup of cleanups.reverse()) await cleanup();
});

const DAY_MS = 86_400_000;

test('provider_security_regression fires on a downgrade, still fires days later, and resolves when a later run recovers', async () => {
  const clock = new ManualClock(Date.now());
  const pki = await makeTestPki();
  let weak = false;
  const weakApi = badApi({ unauthenticated: 'data', securityTxt: 'missing' });
  const weakIssuer = badAuthorizationServer();
  const upstream = await startHttpsServer(pki, (req, res, origin) => {
    if (!weak) return goodApi(req, res, origin);
    return req.url === '/.well-known/openid-configuration' || req.url === '/jwks' ? weakIssuer(req, res, origin) : weakApi(req, res, origin);
  });
  const receiver = await startAlertReceiver();
  const { gateway, logs, close } = await startGateway(
    {
      listeners: [{ name: 'public', host: '127.0.0.1', port: 0 }],
      admin: { host: '127.0.0.1', port: 0 },
      apiKeys: { pepper: '${env:PORTCULLIS_KEY_PEPPER}' },
      store: { path: join(mkdtempSync(join(tmpdir(), 'portcullis-assess-resolve-')), 'store.db') },
      upstreams: { partner: { targets: [upstream.origin], tls: { caFiles: [pki.caBundle] }, assess: { intervalHours: 24, oauthIssuer: upstream.origin, timeoutMs: 5000 } } },
      routes: [{ name: 'partner', methods: ['GET'], path: '/partner/*', upstream: 'partner' }],
      alerts: { groupWaitSeconds: 0, groupIntervalSeconds: 60, sinks: { ops: { type: 'webhook', url: receiver.url, secret: '${env:ALERT_SECRET}' } } },
    },
    { env: { ALERT_SECRET, ...KEY_ENV }, clock },
  );
  cleanups.push(upstream.close, receiver.close, close);
  const firing = async () => {
    await gateway.alerts.evaluate();
    return gateway.alerts
      .alerts()
      .filter((view) => view.alert.rule === 'provider_security_regression')
      .map((view) => [view.state, view.alert.labels.upstream, view.alert.labels.reason]);
  };
  const run = async (days: number) => {
    clock.advance(days * DAY_MS);
    await gateway.assessments.tick();
    return gateway.assessments.gradeOf('partner');
  };

  const good = await run(0);
  assert.ok(good !== undefined && good !== 'F', `first grade ${good}`);
  assert.deepEqual(await firing(), []);

  weak = true;
  assert.equal(await run(1.01), 'F');
  assert.deepEqual(await firing(), [['firing', 'partner', 'grade_dropped']], 'fires on the downgrade');

  // Still weak three days on (two runs, no new drop, no new event): time does not resolve it.
  assert.equal(await run(1.01), 'F');
  assert.equal(await run(2.02), 'F');
  assert.deepEqual(await firing(), [['firing', 'partner', 'grade_dropped']], 'still firing, days after the drop');
  assert.deepEqual(logs.records.filter((record) => record.event === 'assess.provider_security_recovered'), []);

  weak = false;
  assert.equal(await run(1.01), good);
  const recovered = logs.records.filter((record) => record.event === 'assess.provider_security_recovered');
  assert.deepEqual(recovered.map((record) => [record.upstream, record.reason, record.grade, record.was]), [['partner', 'grade_dropped', good, good]]);
  assert.deepEqual(await firing(), [], 'resolved by the recovery');
});
