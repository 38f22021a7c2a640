/**
 * rate_limit_saturation through a real gateway (issue 21 §1): the ratelimit policy reports each
 * consumer's use of its limits, and a consumer at 90 % of a limit fires the rule with its own
 * labels; below 90 % nothing fires, and it resolves once the consumer slows down. The clock is
 * injected, so the token bucket does not refill between requests.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ManualClock } from '../src/core/clock.js';
import { httpRequest, startUpstream } from './helpers/index.js';
import { startKeyGateway } from './helpers/keys.js';
import { msUntil } from './helpers/multinode.js';

test('rate_limit_saturation fires for the consumer at 90 % of its limit, not at 80 %, and resolves when it slows down', async (t) => {
  const clock = new ManualClock(Date.UTC(2026, 5, 1, 12));
  const upstream = await startUpstream();
  t.after(upstream.close);
  const gw = await startKeyGateway(
    upstream.url,
    {
      policies: { 'auth-apikey': {}, ratelimit: { limits: [{ name: 'per-minute', limit: 10, windowSeconds: 60, by: ['consumer'] }] } },
      alerts: { groupWaitSeconds: 0, rules: { rate_limit_saturation: { forSeconds: 0 } } },
    },
    { clock },
  );
  t.after(gw.close);
  const busy = await gw.admin.consumer('busy-partner');
  const quiet = await gw.admin.consumer('quiet-partner');
  const busyKey = (await gw.admin.key(busy, [])).key;
  const quietKey = (await gw.admin.key(quiet, [])).key;
  const get = (key: string) => httpRequest(`${gw.url}/accounts`, { headers: { 'x-api-key': key } });
  // The keys reach the gateway's in-memory index through the store's change feed.
  assert.ok((await msUntil(async () => (await get(busyKey)).status === 200 && (await get(quietKey)).status === 200, 10_000)) >= 0);
  const alerts = () => gw.gateway.alerts.alerts().filter((view) => view.alert.rule === 'rate_limit_saturation');

  // 8 of 10 spent by each: 80 %.
  for (let i = 0; i < 7; i++) {
    assert.equal((await get(busyKey)).status, 200);
    assert.equal((await get(quietKey)).status, 200);
  }
  await gw.gateway.alerts.evaluate();
  assert.deepEqual(alerts(), [], 'nothing at 80 %');

  // The busy one spends its ninth: 90 %.
  assert.equal((await get(busyKey)).status, 200);
  clock.advance(15_000);
  await gw.gateway.alerts.evaluate();
  const firing = alerts();
  assert.equal(firing.length, 1);
  assert.equal(firing[0]!.state, 'firing');
  assert.deepEqual({ ...firing[0]!.alert.labels, node: undefined }, { consumer: busy, route: 'all', limit: 'per-minute', node: undefined });
  assert.ok(firing[0]!.alert.value! >= 0.9);

  // No further use: once the window (60 s, by the minute) has passed, it resolves.
  clock.advance(150_000);
  await gw.gateway.alerts.evaluate();
  assert.deepEqual(alerts(), []);
});
