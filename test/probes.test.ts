/**
 * The probe listener (`probes`): `/healthz` and `/readyz` on an address a kubelet reaches, and
 * nothing else: not `/metrics`, not one admin API route (with the bootstrap token or without),
 * not which dependency is degraded. Readiness turns 503 for the whole drain.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { ADMIN_ROUTES } from '../src/admin/routes/index.js';
import { ADMIN_TOKEN, startKeyGateway } from './helpers/keys.js';
import { assertProblem, baseConfig, eventually, httpRequest, startGateway, startUpstream } from './helpers/index.js';

const PROBES_ON = { probes: { enabled: true, host: '127.0.0.1', port: 0 } };

describe('probe listener', () => {
  test('answers /healthz and /readyz, and 404 route.not_found for /metrics and every admin API route, even with the admin token', async () => {
    const upstream = await startUpstream();
    const gw = await startKeyGateway(upstream.url, PROBES_ON);
    try {
      const probes = gw.gateway.probeUrl!;
      assert.ok(probes, 'the probe listener listens');
      assert.notEqual(probes, gw.gateway.adminUrl);
      const health = await httpRequest(`${probes}/healthz`);
      assert.equal(health.status, 200);
      assert.deepEqual(health.json(), { status: 'ok' });
      const ready = await httpRequest(`${probes}/readyz`);
      assert.equal(ready.status, 200);
      assert.deepEqual(ready.json(), { status: 'ready', configRevision: 1 }, 'no degraded list: that stays on the admin listener');
      assert.equal((await httpRequest(`${probes}/readyz`, { method: 'HEAD' })).status, 200);
      assertProblem(await httpRequest(`${probes}/readyz`, { method: 'POST' }), 405, 'route.method_not_allowed');

      assertProblem(await httpRequest(`${probes}/metrics`), 404, 'route.not_found');
      assert.equal((await httpRequest(`${gw.gateway.adminUrl}/metrics`)).status, 200, 'the admin listener still serves /metrics');
      const authorization = { authorization: `Bearer ${ADMIN_TOKEN}` };
      for (const route of ADMIN_ROUTES) {
        const path = route.path.replace(/:[A-Za-z_]+/g, 'id_nowhere');
        const body = route.method === 'GET' || route.method === 'DELETE' ? undefined : '{}';
        const reply = await httpRequest(`${probes}${path}`, { method: route.method, headers: { ...authorization, ...(body ? { 'content-type': 'application/json' } : {}) }, body });
        assertProblem(reply, 404, 'route.not_found');
      }
      const consumers = await httpRequest(`${gw.gateway.adminUrl}/v1/consumers`, { headers: authorization });
      assert.equal(consumers.status, 200, 'the same route answers on the admin listener');
    } finally {
      await gw.close();
      await upstream.close();
    }
  });

  test('/readyz turns 503 "not ready" while the gateway drains, and /healthz stays 200', async () => {
    let release!: () => void;
    const held = new Promise<void>((resolve) => (release = resolve));
    let arrived = false;
    const upstream = await startUpstream(async (_req, res) => {
      arrived = true;
      await held;
      res.writeHead(200, { 'content-type': 'text/plain' }).end('late');
    });
    const gw = await startGateway(baseConfig([upstream.url], PROBES_ON));
    const probes = gw.gateway.probeUrl!;
    try {
      const inflight = httpRequest(`${gw.url}/slow`);
      await eventually(() => arrived, 'the request reached the upstream');
      const closing = gw.gateway.close(30_000);
      await eventually(async () => (await httpRequest(`${probes}/readyz`)).status === 503, '/readyz answers 503 while draining');
      assert.deepEqual((await httpRequest(`${probes}/readyz`)).json(), { status: 'not ready', configRevision: 1 });
      assert.equal((await httpRequest(`${probes}/healthz`)).status, 200, 'alive while draining');
      release();
      assert.equal((await inflight).status, 200, 'the request in flight finished');
      await closing;
      await assert.rejects(httpRequest(`${probes}/healthz`), 'the probe listener closes last');
    } finally {
      release();
      await gw.close();
      await upstream.close();
    }
  });

  test('is off by default: no probe listener unless probes.enabled', async () => {
    const upstream = await startUpstream();
    const gw = await startGateway(baseConfig([upstream.url]));
    try {
      assert.equal(gw.gateway.probeUrl, undefined);
      assert.equal(gw.gateway.config.probes.enabled, false);
      assert.equal(gw.gateway.config.probes.host, '0.0.0.0', 'once enabled, it listens where a kubelet reaches it');
    } finally {
      await gw.close();
      await upstream.close();
    }
  });
});
