/**
 * The alert engine with a store (issue 21 §3-§5): a notification queued while its sink is down
 * survives a restart and is delivered once by the next process; silences are created and ended
 * through the admin API and the CLI, each an audited change, and a silenced alert is shown as such
 * and not sent; `alerts test` sends a sample through the real path.
 */
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { ManualClock } from '../src/core/clock.js';
import { httpRequest, startUpstream } from './helpers/index.js';
import { ADMIN_TOKEN, startKeyGateway } from './helpers/keys.js';
import { runCliAsync } from './helpers/cli.js';
import { ALERT_SECRET, startAlertReceiver } from './helpers/alert-receiver.js';

const cleanups: Array<() => Promise<void>> = [];
after(async () => {
  for (const cleanup of cleanups.reverse()) await cleanup();
});

const env = { ALERT_SECRET };
const alerts = (url: string) => ({ alerts: { groupWaitSeconds: 0, rules: { route_error_ratio: { forSeconds: 0 } }, sinks: { ops: { type: 'webhook', url, secret: '${env:ALERT_SECRET}' } } } });

test('a notification queued while its sink is down survives a restart and is delivered once', async () => {
  const clock = new ManualClock(Date.UTC(2026, 6, 1, 12));
  const upstream = await startUpstream((_req, res) => {
    res.writeHead(500).end();
  });
  const receiver = await startAlertReceiver();
  cleanups.push(upstream.close, receiver.close);
  receiver.up = false;
  const store = { path: join(mkdtempSync(join(tmpdir(), 'portcullis-alerts-')), 'store.db'), pollIntervalMs: 100 };
  const first = await startKeyGateway(upstream.url, alerts(receiver.url), { clock, store, env });
  await first.gateway.alerts.evaluate();
  for (let i = 0; i < 25; i++) await httpRequest(`${first.url}/x`);
  clock.advance(15_000);
  await first.gateway.alerts.evaluate();
  assert.equal(await first.gateway.alerts.deliver(), 0);
  assert.equal(receiver.refused, 1, 'tried once, refused');
  await first.close();

  receiver.up = true;
  clock.advance(60_000);
  const second = await startKeyGateway(upstream.url, alerts(receiver.url), { clock, store, env });
  cleanups.push(second.close);
  assert.equal(await second.gateway.alerts.deliver(), 1);
  assert.equal(await second.gateway.alerts.deliver(), 0);
  const delivered = receiver.about('route_error_ratio');
  assert.equal(delivered.length, 1, 'delivered once after the restart');
  assert.equal(delivered[0]!.data.status, 'firing');
  assert.equal(delivered[0]!.data.alerts[0]!.labels.route, 'all');
});

test('silences through the admin API and the CLI: audited, shown, not sent, and ended', async () => {
  const clock = new ManualClock(Date.UTC(2026, 6, 2, 12));
  const upstream = await startUpstream((_req, res) => {
    res.writeHead(500).end();
  });
  const receiver = await startAlertReceiver();
  const gw = await startKeyGateway(upstream.url, alerts(receiver.url), { clock, env });
  cleanups.push(upstream.close, receiver.close, gw.close);
  const cliEnv = { PORTCULLIS_ADMIN_URL: gw.gateway.adminUrl, PORTCULLIS_ADMIN_TOKEN: ADMIN_TOKEN };
  const silenced = await runCliAsync(['alerts', 'silence', 'rule=route_error_ratio', 'route=all', '--for', '2h', '--reason', 'upstream maintenance', '--json'], cliEnv);
  assert.equal(silenced.status, 0, silenced.stderr);
  const silence = JSON.parse(silenced.stdout) as { id: string; author: string; reason: string; matchers: Record<string, string> };
  assert.deepEqual(silence.matchers, { rule: 'route_error_ratio', route: 'all' });
  assert.equal(silence.reason, 'upstream maintenance');
  assert.match(silence.author, /bootstrap/);

  await gw.gateway.alerts.evaluate();
  for (let i = 0; i < 25; i++) await httpRequest(`${gw.url}/x`);
  clock.advance(15_000);
  await gw.gateway.alerts.evaluate();
  await gw.gateway.alerts.deliver();
  assert.equal(receiver.about('route_error_ratio').length, 0, 'silenced: not sent');
  const listed = (await gw.admin.call('GET', '/v1/alerts')).json<{ items: Array<{ rule: string; state: string; silencedBy: string[] }> }>();
  assert.deepEqual(listed.items.map((item) => [item.rule, item.state, item.silencedBy]), [['route_error_ratio', 'firing', [silence.id]]]);
  const cliList = await runCliAsync(['alerts', 'list'], cliEnv);
  assert.equal(cliList.status, 0, cliList.stderr);
  assert.match(cliList.stdout, /route_error_ratio\s+firing\s+critical\s+.*route=all.*silenced/);

  const ended = await runCliAsync(['alerts', 'unsilence', silence.id], cliEnv);
  assert.equal(ended.status, 0, ended.stderr);
  assert.equal((await gw.admin.call('DELETE', `/v1/alerts/silences/${silence.id}`)).status, 404, 'already ended');
  clock.advance(15_000);
  await gw.gateway.alerts.evaluate();
  await gw.gateway.alerts.deliver();
  assert.equal(receiver.about('route_error_ratio').length, 1, 'sent once the silence ended');

  const audit = (await gw.admin.call('GET', '/v1/audit?action=alert_silence.create')).json<{ items: Array<{ action: string; target: { id: string } }> }>();
  assert.deepEqual(audit.items.map((record) => [record.action, record.target.id]), [['alert_silence.create', silence.id]]);
  const expired = (await gw.admin.call('GET', '/v1/audit?action=alert_silence.expire')).json<{ items: Array<{ action: string }> }>();
  assert.equal(expired.items.length, 1);

  const tested = await runCliAsync(['alerts', 'test', 'upstream_down', '--sink', 'ops'], cliEnv);
  assert.equal(tested.status, 0, tested.stderr);
  const sample = receiver.about('upstream_down');
  assert.equal(sample.length, 1);
  assert.equal(sample[0]!.data.alerts[0]!.labels.test, 'true');
  const unknown = await runCliAsync(['alerts', 'test', 'upstream_down', '--sink', 'nowhere'], cliEnv);
  assert.notEqual(unknown.status, 0);
  assert.match(unknown.stderr, /No alert sink named nowhere/);
});
