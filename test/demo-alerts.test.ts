import assert from 'node:assert/strict';
import { test } from 'node:test';
import { spawnCli } from './helpers/cli.js';
import { httpRequest } from './helpers/index.js';

/** Generous for a loaded machine; each wait ends as soon as its line appears. */
const ALERT_DEADLINE_MS = 30_000;

test('the demo tour: the sample upstream stopped fires upstream_down at the demo receiver (signature verified), and its return resolves it', async () => {
  // Evaluation, group interval and upstream_down's `for` at 1 s (the demo's default is 5/5/10 s).
  const demo = spawnCli(['demo', '--port', '0', '--admin-port', '0', '--json', '--alert-interval', '1']);
  try {
    const addresses = JSON.parse(await demo.waitForLine(/^\{"gateway"/)) as { gateway: string; console: string; upstream: string; keys: { full: string } };
    const full = { authorization: `Bearer ${addresses.keys.full}` };
    assert.equal((await httpRequest(`${addresses.gateway}/v1/accounts`, { headers: full })).status, 200);

    // The console refuses what is not the tour's: other paths, other methods, and an unsigned alert.
    assert.equal((await httpRequest(`${addresses.console}/elsewhere`, { method: 'POST' })).status, 404);
    assert.equal((await httpRequest(`${addresses.console}/upstream/stop`)).status, 405);
    // A web page the demo user opens cannot stop the upstream: a browser's cross-site POST carries
    // Origin (or Sec-Fetch-Site), and a DNS-rebinding page another Host.
    assert.equal((await httpRequest(`${addresses.console}/upstream/stop`, { method: 'POST', headers: { origin: 'https://evil.example' } })).status, 403);
    assert.equal((await httpRequest(`${addresses.console}/upstream/stop`, { method: 'POST', headers: { 'sec-fetch-site': 'cross-site' } })).status, 403);
    assert.equal((await httpRequest(`${addresses.console}/upstream/stop`, { method: 'POST', headers: { host: 'evil.example' } })).status, 403);
    const forged = await httpRequest(`${addresses.console}/alerts`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'webhook-id': 'msg_forged', 'webhook-timestamp': String(Math.floor(Date.now() / 1000)), 'webhook-signature': 'v1,Zm9yZ2Vk' },
      body: JSON.stringify({ data: { alerts: [{ status: 'firing', labels: { alertname: 'upstream_down', severity: 'critical' } }] } }),
    });
    assert.equal(forged.status, 401);
    await demo.waitForLine(/^ALERT refused: .*msg_forged/);

    assert.equal((await httpRequest(`${addresses.console}/upstream/stop`, { method: 'POST' })).status, 204);
    await demo.waitForLine(/^sample upstream stopped/);
    // Three failures in a row put the only target in cool-down (health.failuresBeforeCooldown).
    for (let i = 0; i < 3; i++) {
      const reply = await httpRequest(`${addresses.gateway}/v1/accounts`, { headers: full });
      assert.equal(reply.status, 502, reply.text);
    }
    const firing = await demo.waitForLine(/^ALERT firing upstream_down /, ALERT_DEADLINE_MS);
    assert.match(firing, /^ALERT firing upstream_down critical: upstream payments is down/);
    assert.doesNotMatch(demo.output(), /^ALERT resolved upstream_down /m, 'not resolved while down');

    assert.equal((await httpRequest(`${addresses.console}/upstream/start`, { method: 'POST' })).status, 204);
    // A target in cool-down is still tried when every target is (Upstream.pick): the first answer resets it.
    assert.equal((await httpRequest(`${addresses.gateway}/v1/accounts`, { headers: full })).status, 200);
    const resolved = await demo.waitForLine(/^ALERT resolved upstream_down /, ALERT_DEADLINE_MS);
    assert.match(resolved, /^ALERT resolved upstream_down critical: upstream payments is down/);
    // Delivered once each: the receiver printed one firing and one resolved line for it.
    assert.equal(demo.output().split('\n').filter((line) => /^ALERT (firing|resolved) upstream_down /.test(line)).length, 2);
    assert.doesNotMatch(demo.output(), /^ALERT refused: (?!.*msg_forged)/m, 'every notification the gateway sent verified');

    demo.child.kill('SIGTERM');
    assert.equal(await demo.exited, 0);
  } finally {
    demo.child.kill('SIGKILL');
  }
});
