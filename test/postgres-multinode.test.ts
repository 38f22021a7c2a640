/**
 * Two gateway processes sharing one PostgreSQL: a key revoked through one node's admin API stops
 * working on the other within a second. Runs in CI against the real PostgreSQL service.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { spawnCli, type CliProcess } from './helpers/cli.js';
import { freePort, httpRequest, startUpstream } from './helpers/index.js';
import { AdminClient, ADMIN_TOKEN, KEY_ENV } from './helpers/keys.js';
import { createPostgresSchema, POSTGRES_URL, skipWithoutPostgres } from './helpers/services.js';


test('a revocation on one node stops the key on another node within a second', { skip: skipWithoutPostgres }, async () => {
  const { schema, drop } = await createPostgresSchema();
  const upstream = await startUpstream();
  const nodes: CliProcess[] = [];
  try {
    const url = new URL(POSTGRES_URL);
    url.searchParams.set('options', `-c search_path=${schema}`);
    const dir = mkdtempSync(join(tmpdir(), 'portcullis-multinode-'));
    const ports = await Promise.all([freePort(), freePort(), freePort(), freePort()]);
    for (const i of [0, 1]) {
      const file = join(dir, `node${i}.json`);
      writeFileSync(
        file,
        JSON.stringify({
          listeners: [{ name: 'public', host: '127.0.0.1', port: ports[i * 2] }],
          admin: { host: '127.0.0.1', port: ports[i * 2 + 1], token: '${env:PORTCULLIS_ADMIN_TOKEN}' },
          store: { driver: 'postgres', url: '${env:PORTCULLIS_DATABASE_URL}', pollIntervalMs: 250 },
          apiKeys: { pepper: '${env:PORTCULLIS_KEY_PEPPER}' },
          lifecycle: { watchConfigFile: false },
          upstreams: { backend: { targets: [upstream.url] } },
          routes: [{ name: 'accounts', methods: ['GET'], path: '/accounts', upstream: 'backend', policies: { 'auth-apikey': {} } }],
        }),
      );
      const node = spawnCli(['start', '--config', file], { ...KEY_ENV, PORTCULLIS_DATABASE_URL: url.toString() });
      nodes.push(node);
      await node.waitForLine(/gateway\.started/, 20000);
    }
    const adminA = new AdminClient(`http://127.0.0.1:${ports[1]}`, ADMIN_TOKEN);
    const consumer = await adminA.consumer('shared-partner');
    const { key, id } = await adminA.key(consumer, []);
    const nodeB = `http://127.0.0.1:${ports[2]}/accounts`;
    const auth = { headers: { authorization: `Bearer ${key}` } };
    let status = 0;
    for (let i = 0; i < 40 && status !== 200; i++) {
      status = (await httpRequest(nodeB, auth)).status;
      if (status !== 200) await new Promise((resolve) => setTimeout(resolve, 50));
    }
    assert.equal(status, 200, 'node B learned of the key created on node A');

    assert.equal((await adminA.call('POST', `/v1/keys/${id}/revoke`)).status, 200);
    const revokedAt = Date.now();
    let stoppedAfter = -1;
    while (Date.now() - revokedAt < 3000) {
      if ((await httpRequest(nodeB, auth)).status === 401) {
        stoppedAfter = Date.now() - revokedAt;
        break;
      }
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    assert.ok(stoppedAfter >= 0, 'node B refuses the revoked key');
    assert.ok(stoppedAfter < 1000, `node B refused it after ${stoppedAfter} ms`);
  } finally {
    for (const node of nodes) node.child.kill('SIGKILL');
    await upstream.close();
    await drop();
  }
});
