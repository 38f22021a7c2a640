/**
 * Contracts compile off the serving thread (issue 16): a reload that brings a large contract
 * keeps answering requests while a worker thread compiles it, and a restart with an unchanged
 * contract takes its verdict from the contract cache.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { baseConfig, httpRequest, startGateway, startUpstream } from './helpers/index.js';
import { spawnCli } from './helpers/cli.js';
import { writeContract } from './helpers/contracts.js';

const require = createRequire(import.meta.url);
/** GitHub's REST API, 700 operations: seconds to compile whole. */
const GITHUB = require.resolve('@octokit/openapi/generated/api.github.com.json');

describe('contract compilation off the serving thread', () => {
  test('a reload bringing a 700-operation contract keeps answering requests while it compiles', async () => {
    const upstream = await startUpstream();
    const dir = mkdtempSync(join(tmpdir(), 'portcullis-compile-'));
    const file = join(dir, 'portcullis.json');
    const config = baseConfig([upstream.url], { contractCache: { enabled: false } });
    writeFileSync(file, JSON.stringify(config));
    const gw = await startGateway(config, { configPath: file });
    try {
      const route = { name: 'github', methods: ['GET', 'POST'], path: '/*', upstream: 'backend', policies: { validate: { contract: GITHUB } } };
      writeFileSync(file, JSON.stringify({ ...config, routes: [route] }));
      let settled = false;
      const reload = gw.gateway.reloadFromFile().finally(() => (settled = true));
      // One request after another while the reload is pending: were the compile on this thread,
      // none could be answered until it ended.
      let answered = 0;
      while (!settled) {
        const reply = await httpRequest(`${gw.url}/still-here`);
        if (!settled && reply.status === 200) answered++;
      }
      const result = await reload;
      assert.equal(result.ok, true);
      assert.ok(answered >= 10, `requests answered while the contract compiled: ${answered}`);
      const prepared = await gw.logs.waitFor((r) => r.event === 'contract.prepared');
      assert.equal(prepared.source, 'compiled');
      // The new config validates: a path parameter that is not a number is refused.
      assert.equal((await httpRequest(`${gw.url}/repos/octokit/rest.js/issues/abc`)).status, 400);
      assert.equal((await httpRequest(`${gw.url}/repos/octokit/rest.js/issues/42`)).status, 200);
    } finally {
      await gw.close();
      await upstream.close();
    }
  });

  test('a restart with an unchanged contract takes it from the contract cache', async () => {
    const upstream = await startUpstream();
    const dir = mkdtempSync(join(tmpdir(), 'portcullis-restart-'));
    const file = join(dir, 'portcullis.yaml');
    writeFileSync(file, JSON.stringify({
      listeners: [{ name: 'public', host: '127.0.0.1', port: 0 }],
      admin: { enabled: false },
      store: { driver: 'sqlite', path: ':memory:' },
      upstreams: { backend: { targets: [upstream.url] } },
      contractCache: { dir: join(dir, 'cache') },
      routes: [{ name: 'payments', methods: ['GET', 'POST'], path: '/*', upstream: 'backend', policies: { validate: { contract: writeContract() } } }],
    }));
    try {
      for (const expected of ['compiled', 'cache']) {
        const cli = spawnCli(['start', '--config', file]);
        try {
          const line = await cli.waitForLine(/"event":"contract\.prepared"/);
          assert.equal((JSON.parse(line) as { source: string }).source, expected);
          await cli.waitForLine(/"event":"gateway\.started"/);
        } finally {
          cli.child.kill('SIGTERM');
          await cli.exited;
        }
      }
    } finally {
      await upstream.close();
    }
  });
});
