/**
 * Explicit off switches for protections that are on by default (issue 12 §5): brute-force
 * protection (`bruteForce.enabled`) and the admin listener (`admin.enabled`). Off is a written
 * choice, logged at start, so a preflight can flag it; omitting the option keeps them on.
 */
import assert from 'node:assert/strict';
import { connect } from 'node:net';
import { describe, test } from 'node:test';
import { validateConfig, formatIssue } from '../src/config/loader.js';
import { assertProblem, baseConfig, eventually, freePort, httpRequest, startGateway, startUpstream } from './helpers/index.js';
import { startKeyGateway } from './helpers/keys.js';

const route = { routes: [{ name: 'accounts', methods: ['GET'], path: '/v1/accounts/*', upstream: 'backend', policies: { 'auth-apikey': {} } }] };

async function guess(url: string, times: number): Promise<number[]> {
  const statuses: number[] = [];
  for (let i = 0; i < times; i++) statuses.push((await httpRequest(`${url}/v1/accounts/a`, { headers: { 'x-api-key': `ptc_live_guess${i}` } })).status);
  return statuses;
}

describe('bruteForce.enabled', () => {
  test('on by default: a client failing maxFailures times is blocked with 429', async () => {
    const upstream = await startUpstream();
    const gw = await startKeyGateway(upstream.url, { ...route, bruteForce: { maxFailures: 3 } });
    try {
      assert.equal(gw.gateway.config.bruteForce.enabled, true);
      await guess(gw.url, 3);
      assertProblem(await httpRequest(`${gw.url}/v1/accounts/a`, { headers: { 'x-api-key': 'ptc_live_again' } }), 429, 'auth.too_many_failures');
    } finally {
      await gw.close();
      await upstream.close();
    }
  });

  test('false: failures are never blocked, a good key still passes, start says protection is off; the admin API still throttles', async () => {
    const upstream = await startUpstream();
    const gw = await startKeyGateway(upstream.url, { ...route, bruteForce: { enabled: false, maxFailures: 3 } });
    try {
      await gw.logs.waitFor((line) => line.event === 'security.brute_force_disabled' && line.level === 'warn');
      assert.deepEqual(await guess(gw.url, 10), Array(10).fill(401));
      const consumer = await gw.admin.consumer('after-guessing');
      const good = await gw.admin.key(consumer, []);
      await eventually(() => gw.gateway.services.keyIndex!.size > 0, 'indexed');
      assert.equal((await httpRequest(`${gw.url}/v1/accounts/a`, { headers: { 'x-api-key': good.key } })).status, 200);
      assert.ok(!gw.logs.records.some((line) => line.event === 'auth.client_blocked'));
      // The admin token opens everything: its guessing stays throttled whatever bruteForce says.
      const wrong = { authorization: 'Bearer not-the-token' };
      for (let i = 0; i < 3; i++) await httpRequest(`${gw.gateway.adminUrl}/v1/consumers`, { headers: wrong });
      assertProblem(await httpRequest(`${gw.gateway.adminUrl}/v1/consumers`, { headers: wrong }), 429, 'auth.too_many_failures');
    } finally {
      await gw.close();
      await upstream.close();
    }
  });
});

describe('admin.enabled', () => {
  test('false: nothing listens on the admin port, the gateway serves, start says the admin listener is off', async () => {
    const upstream = await startUpstream();
    const adminPort = await freePort();
    const gw = await startGateway(baseConfig([upstream.url], { admin: { enabled: false, host: '127.0.0.1', port: adminPort } }));
    try {
      assert.equal((await httpRequest(`${gw.url}/x`)).status, 200);
      await gw.logs.waitFor((line) => line.event === 'admin.disabled' && line.level === 'warn');
      const refused = await new Promise<string>((resolve) => {
        const socket = connect(adminPort, '127.0.0.1');
        socket.once('connect', () => {
          socket.destroy();
          resolve('connected');
        });
        socket.once('error', (error: NodeJS.ErrnoException) => resolve(error.code ?? 'error'));
      });
      assert.equal(refused, 'ECONNREFUSED');
      assert.throws(() => gw.gateway.adminUrl, /admin listener is not listening/);
    } finally {
      await gw.close();
      await upstream.close();
    }
  });

  test('on by default, and an admin token without the admin listener is a config error', () => {
    const on = validateConfig(baseConfig(['http://127.0.0.1:1']), {});
    assert.ok(on.ok && on.config.admin.enabled === true);
    const off = validateConfig(baseConfig(['http://127.0.0.1:1'], { admin: { enabled: false, token: '${env:T}' }, store: { path: ':memory:' }, apiKeys: { pepper: '${env:P}' } }), { T: 't'.repeat(30), P: 'p'.repeat(40) });
    assert.ok(!off.ok);
    assert.deepEqual(off.issues.map(formatIssue), ['admin.token: needs the admin listener, which admin.enabled: false turns off']);
  });
});
