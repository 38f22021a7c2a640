/**
 * key_age over API keys (issue 21 §1): a gateway with a store, API keys and an injected clock.
 * Keys issued under a 365-day policy are still usable when the organisation's policy is shortened
 * to 30 days (a second gateway on the same store, 40 days later): one alert per consumer whose
 * keys are past the policy, with the key ids and ages in its text and never a key; a consumer whose
 * own metadata.apiKeys.maxAgeDays (200) allows the age does not fire, nor does a young key. Rotating
 * one key and revoking the other resolves the alert. keysPastAge's edges (disabled consumer,
 * malformed override, the listing bound) are checked on its own.
 */
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { AGED_KEYS_LISTED, keysPastAge } from '../src/keys/aged-keys.js';
import { ManualClock } from '../src/core/clock.js';
import { startUpstream } from './helpers/index.js';
import { PEPPER, startKeyGateway } from './helpers/keys.js';

const DAY = 86_400_000;
const cleanups: Array<() => Promise<void>> = [];
after(async () => {
  for (const cleanup of cleanups.reverse()) await cleanup();
});

const apiKeys = (maxAgeDays: number) => ({ apiKeys: { pepper: '${env:PORTCULLIS_KEY_PEPPER}', lastUsedFlushMs: 200, maxAgeDays, warnAgeDays: Math.min(20, maxAgeDays) } });

test('key_age fires per consumer for usable API keys past the age policy, and resolves when they are rotated and revoked', async () => {
  const clock = new ManualClock(Date.UTC(2026, 2, 1, 9));
  const upstream = await startUpstream();
  cleanups.push(upstream.close);
  const store = { path: join(mkdtempSync(join(tmpdir(), 'portcullis-key-age-')), 'store.db'), pollIntervalMs: 100 };

  // Issued under a one-year policy.
  const issuing = await startKeyGateway(upstream.url, apiKeys(365), { clock, store });
  const plain = await issuing.admin.consumer('plain');
  const partnerReply = await issuing.admin.call('POST', '/v1/consumers', { name: 'partner', metadata: { apiKeys: { maxAgeDays: 200 } } });
  assert.equal(partnerReply.status, 201, partnerReply.text);
  const partner = partnerReply.json<{ id: string }>().id;
  const first = await issuing.admin.key(plain, []);
  const second = await issuing.admin.key(plain, []);
  await issuing.admin.key(partner, []);
  await issuing.close();

  // 40 days later the organisation's policy is 30 days.
  clock.advance(40 * DAY);
  const gw = await startKeyGateway(upstream.url, apiKeys(30), { clock, store });
  cleanups.push(gw.close);
  const young = await gw.admin.consumer('young');
  await gw.admin.key(young, []);

  const keyAlerts = () => gw.gateway.alerts.alerts().filter((view) => view.alert.rule === 'key_age');
  /** Evaluates until `done` holds for the key_age alerts (the change feed brings admin writes within a poll). */
  const evaluateUntil = async (done: (views: ReturnType<typeof keyAlerts>) => boolean, what: string) => {
    const deadline = Date.now() + 20_000;
    for (;;) {
      await gw.gateway.alerts.evaluate();
      if (done(keyAlerts())) return keyAlerts();
      if (Date.now() > deadline) assert.fail(`${what}: key_age alerts are ${JSON.stringify(keyAlerts().map((view) => view.alert.summary))}`);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  };

  const [firing, ...others] = await evaluateUntil((views) => views.length > 0, 'fires');
  assert.deepEqual(others, [], 'only consumer plain: partner\'s own 200-day policy allows 40 days, young\'s key is new');
  assert.equal(firing!.state, 'firing', 'for: 0 s');
  assert.deepEqual(firing!.alert.labels, { consumer: plain, node: gw.gateway.alerts.node });
  assert.equal(firing!.alert.severity, 'info');
  assert.equal(firing!.alert.summary, '2 API keys of consumer plain past the key-age policy (30 days)');
  const [older, newer] = [first.id, second.id].sort();
  assert.match(firing!.alert.description, new RegExp(`^Consumer plain \\(${plain}\\) still has usable API keys created 30 days ago or more: `));
  for (const id of [older!, newer!]) assert.ok(firing!.alert.description.includes(`${id} (40 days)`), `${id} and its age are named`);
  for (const secret of [first.key, second.key, PEPPER]) assert.ok(!JSON.stringify(firing!.alert).includes(secret), 'no key and no pepper in the alert');
  assert.ok(!gw.logs.text().includes(first.key) && !gw.logs.text().includes(second.key), 'no key in the log');
  const firingLine = gw.logs.records.find((record) => record.event === 'alerts.firing' && record.rule === 'key_age');
  assert.deepEqual(firingLine?.labels, { consumer: plain, node: gw.gateway.alerts.node });

  // Rotated: the old key is on its way out (grace period), the new one is young.
  const rotated = await gw.admin.call('POST', `/v1/keys/${first.id}/rotate`, {});
  assert.equal(rotated.status, 201, rotated.text);
  const [one] = await evaluateUntil((views) => views.length === 1 && views[0]!.alert.summary.startsWith('1 API key '), 'one key left');
  assert.equal(one!.alert.summary, '1 API key of consumer plain past the key-age policy (30 days)');
  assert.ok(one!.alert.description.includes(`${second.id} (40 days)`) && !one!.alert.description.includes(first.id));

  const revoked = await gw.admin.call('POST', `/v1/keys/${second.id}/revoke`);
  assert.equal(revoked.status, 200, revoked.text);
  await evaluateUntil((views) => views.length === 0, 'resolves');
  assert.ok(gw.logs.records.some((record) => record.event === 'alerts.resolved' && record.rule === 'key_age'), 'resolved and logged');
});

test('keysPastAge: per consumer, oldest first, bounded listing; disabled consumers left out; a malformed override falls back to the organisation policy', () => {
  const now = Date.UTC(2026, 5, 1);
  const consumers = new Map<string, { name: string; active: boolean; apiKeys?: unknown }>([
    ['con_a', { name: 'a', active: true }],
    ['con_b', { name: 'b', active: false }],
    ['con_c', { name: 'c', active: true, apiKeys: { maxAgeDays: 'ten' } }],
    ['con_d', { name: 'd', active: true, apiKeys: { maxAgeDays: 10 } }],
  ]);
  const keys = [
    ...Array.from({ length: AGED_KEYS_LISTED + 2 }, (_, i) => ({ id: `a${String(i).padStart(2, '0')}`, consumerId: 'con_a', createdAt: now - (100 + i) * DAY })),
    { id: 'a-young', consumerId: 'con_a', createdAt: now - 89 * DAY },
    { id: 'b1', consumerId: 'con_b', createdAt: now - 500 * DAY },
    { id: 'c1', consumerId: 'con_c', createdAt: now - 50 * DAY },
    { id: 'c2', consumerId: 'con_c', createdAt: now - 90 * DAY },
    { id: 'd1', consumerId: 'con_d', createdAt: now - 10 * DAY },
    { id: 'x1', consumerId: 'con_unknown', createdAt: now - 500 * DAY },
  ];
  const aged = keysPastAge(keys, { consumer: (id) => consumers.get(id) }, 90, now);
  assert.deepEqual(
    aged.map((entry) => [entry.consumerId, entry.maxAgeDays, entry.count, entry.oldest.map((key) => `${key.id}:${key.ageDays}`)]),
    [
      ['con_a', 90, AGED_KEYS_LISTED + 2, Array.from({ length: AGED_KEYS_LISTED }, (_, i) => AGED_KEYS_LISTED + 1 - i).map((i) => `a${String(i).padStart(2, '0')}:${100 + i}`)],
      ['con_c', 90, 1, ['c2:90']],
      ['con_d', 10, 1, ['d1:10']],
    ],
  );
});
