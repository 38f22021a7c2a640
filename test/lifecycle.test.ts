import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { validateConfig } from '../src/config/loader.js';
import { spawnCli } from './helpers/cli.js';
import { assertProblem, baseConfig, eventually, freePort, httpRequest, sleep, startGateway, startUpstream } from './helpers/index.js';


function writeConfig(path: string, config: Record<string, unknown>): void {
  writeFileSync(path, JSON.stringify(config, null, 2));
}

describe('lifecycle', () => {
  test('answers /healthz and /readyz on the admin listener, bound to loopback by default', async () => {
    const upstream = await startUpstream();
    const gw = await startGateway(baseConfig([upstream.url]));
    try {
      assert.match(gw.gateway.adminUrl, /^http:\/\/127\.0\.0\.1:/);
      assert.equal((await httpRequest(`${gw.gateway.adminUrl}/healthz`)).status, 200);
      const ready = await httpRequest(`${gw.gateway.adminUrl}/readyz`);
      assert.equal(ready.status, 200);
      assert.equal(ready.json().configRevision, 1);
      assertProblem(await httpRequest(`${gw.gateway.adminUrl}/nothing`), 404, 'route.not_found');
      await httpRequest(`${gw.url}/counted`);
      const metrics = await httpRequest(`${gw.gateway.adminUrl}/metrics`);
      assert.match(String(metrics.headers['content-type']), /^text\/plain/);
      assert.match(metrics.text, /portcullis_requests_total\{route="all",status="2xx"\} 1/);
      assert.match(metrics.text, /portcullis_process_cpu_seconds_total/);
    } finally {
      await gw.close();
      await upstream.close();
    }
  });

  test('keeps serving the old config when a reload brings an invalid one', async () => {
    const upstream = await startUpstream();
    const dir = mkdtempSync(join(tmpdir(), 'portcullis-reload-'));
    const file = join(dir, 'portcullis.json');
    const config = baseConfig([upstream.url]);
    writeConfig(file, config);
    const gw = await startGateway(config, { configPath: file });
    try {
      writeConfig(file, { ...config, routes: [{ name: 'x', methods: ['GET'], path: '/x', upstream: 'nowhere' }] });
      const result = await gw.gateway.reloadFromFile();
      assert.equal(result.ok, false);
      const rejected = await gw.logs.waitFor((r) => r.event === 'config.reload_rejected');
      assert.deepEqual(rejected.errors, ['routes[0].upstream: unknown upstream "nowhere"']);
      assert.equal(rejected.level, 'error');
      assert.equal((await httpRequest(`${gw.url}/still-here`)).status, 200, 'the old routes still serve');
      assert.equal((await httpRequest(`${gw.gateway.adminUrl}/readyz`)).json().configRevision, 1);
    } finally {
      await gw.close();
      await upstream.close();
    }
  });

  test('swaps in a valid config when the file changes, without dropping requests', async () => {
    const upstream = await startUpstream();
    const dir = mkdtempSync(join(tmpdir(), 'portcullis-watch-'));
    const file = join(dir, 'portcullis.json');
    const config = baseConfig([upstream.url]);
    writeConfig(file, config);
    const gw = await startGateway(config, { configPath: file });
    gw.gateway.watchConfigFile();
    try {
      assert.equal((await httpRequest(`${gw.url}/anything`)).status, 200);
      writeConfig(file, { ...config, routes: [{ name: 'only-v2', methods: ['GET'], path: '/v2/*', upstream: 'backend' }] });
      await gw.logs.waitFor((r) => r.event === 'config.reloaded');
      assertProblem(await httpRequest(`${gw.url}/anything`), 404, 'route.not_found');
      assert.equal((await httpRequest(`${gw.url}/v2/x`)).status, 200);
      assert.equal((await httpRequest(`${gw.gateway.adminUrl}/readyz`)).json().configRevision, 2);
    } finally {
      await gw.close();
      await upstream.close();
    }
  });

  test('reloads on SIGHUP and drains in-flight requests on SIGTERM before exiting 0', async () => {
    let release!: () => void;
    const released = new Promise<void>((resolve) => (release = resolve));
    const upstream = await startUpstream(async (_req, res) => {
      await released;
      res.end('finished late');
    });
    const dir = mkdtempSync(join(tmpdir(), 'portcullis-signals-'));
    const file = join(dir, 'portcullis.json');
    const port = await freePort();
    const config = { ...baseConfig([upstream.url]), listeners: [{ name: 'public', host: '127.0.0.1', port }], lifecycle: { watchConfigFile: false, drainTimeoutMs: 5000 } };
    assert.ok(validateConfig(config, {}).ok);
    writeConfig(file, config);
    const cli = spawnCli(['start', '--config', file]);
    try {
      await cli.waitForLine(/gateway\.started/);

      writeConfig(file, { ...config, routes: [{ name: 'v2', methods: ['GET'], path: '/v2/*', upstream: 'backend' }] });
      cli.child.kill('SIGHUP');
      await cli.waitForLine(/config\.reloaded/);

      const slow = httpRequest(`http://127.0.0.1:${port}/v2/slow`);
      await eventually(() => upstream.requests.length === 1, 'the slow request reached the upstream');
      cli.child.kill('SIGTERM');
      await cli.waitForLine(/gateway\.draining/);
      await assert.rejects(httpRequest(`http://127.0.0.1:${port}/v2/new`), 'no new connections while draining');
      await sleep(100);
      release();
      const reply = await slow;
      assert.equal(reply.status, 200);
      assert.equal(reply.text, 'finished late');
      assert.equal(await cli.exited, 0);
      assert.match(cli.output(), /gateway\.stopped/);
    } finally {
      release();
      cli.child.kill('SIGKILL');
      await upstream.close();
    }
  });
});
