/**
 * A copy of a node's memory holds the vault's decrypted secrets and its KEK (docs/vault.md): the
 * real `portcullis start` refuses heap-snapshot, inspector and diagnostic-report flags in
 * production (NODE_ENV=production, as the image sets), from NODE_OPTIONS or node's own command
 * line, before it reads the config; elsewhere it warns and goes on. The deployments keep such
 * flags out: the Helm chart empties NODE_OPTIONS, compose sets the core-dump limit to 0 (the
 * image's entrypoint is checked in dockerfile.test.ts). A production node ignores SIGUSR1, with
 * which Node 20 would open its inspector.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { parse } from 'yaml';
import { memoryExposingFlags } from '../src/server/memory-exposure.js';
import { CLI, spawnCli } from './helpers/cli.js';
import { startUpstream } from './helpers/index.js';

const MISSING = '/nonexistent/portcullis.yaml';
const start = (env: Record<string, string>, nodeArgs: string[] = []) =>
  spawnSync(process.execPath, [...nodeArgs, CLI, 'start', '--config', MISSING], { encoding: 'utf8', env: { PATH: process.env.PATH ?? '', ...env }, timeout: 60_000 });

describe('flags that copy the memory out', () => {
  test('in production, start refuses a heap-snapshot flag in NODE_OPTIONS or a report flag on node\'s command line, before reading the config', () => {
    const fromEnv = start({ NODE_ENV: 'production', NODE_OPTIONS: '--max-old-space-size=256 --heapsnapshot-signal=SIGUSR2' });
    assert.equal(fromEnv.status, 1);
    assert.match(fromEnv.stderr, /^portcullis: refusing to start with --heapsnapshot-signal \(in the node command line or NODE_OPTIONS\)/m);
    assert.doesNotMatch(fromEnv.stderr, /nonexistent/, 'refused before the config is read');
    const fromArgv = start({ NODE_ENV: 'production' }, ['--report-on-signal']);
    assert.equal(fromArgv.status, 1);
    assert.match(fromArgv.stderr, /refusing to start with --report-on-signal/);
  });

  test('outside production it warns and goes on; in production without such a flag it says nothing', () => {
    const dev = start({ NODE_OPTIONS: '--heapsnapshot-near-heap-limit=1' });
    assert.match(dev.stderr, /^portcullis: warning: --heapsnapshot-near-heap-limit .*with NODE_ENV=production it refuses to start/m);
    assert.match(dev.stderr, /nonexistent/, 'it went on to read the config');
    const clean = start({ NODE_ENV: 'production', NODE_OPTIONS: '--max-old-space-size=256' });
    assert.doesNotMatch(clean.stderr, /refusing|warning: --/);
    assert.match(clean.stderr, /nonexistent/);
  });

  test('a production node ignores SIGUSR1, which would open Node\'s inspector; it keeps serving', async () => {
    const upstream = await startUpstream();
    const dir = mkdtempSync(join(tmpdir(), 'portcullis-usr1-'));
    const file = join(dir, 'portcullis.json');
    writeFileSync(file, JSON.stringify({ listeners: [{ name: 'public', host: '127.0.0.1', port: 0 }], admin: { enabled: false }, upstreams: { backend: { targets: [upstream.url] } }, routes: [{ name: 'all', methods: ['GET'], path: '/*', upstream: 'backend' }] }));
    const cli = spawnCli(['start', '--config', file], { NODE_ENV: 'production', NODE_OPTIONS: '' });
    try {
      await cli.waitForLine(/"event":"gateway\.started"/);
      cli.child.kill('SIGUSR1');
      await cli.waitForLine(/SIGUSR1 ignored/);
      assert.doesNotMatch(cli.output(), /Debugger listening/);
      assert.equal(cli.child.exitCode, null, 'still running');
    } finally {
      cli.child.kill('SIGTERM');
      await cli.exited;
      await upstream.close();
    }
  });

  test('knows the inspector, snapshot and report flags in every spelling, and nothing else', () => {
    assert.deepEqual(memoryExposingFlags(['--inspect=0.0.0.0:9229', '--enable-source-maps'], '--inspect-brk --report_on_fatalerror --heapsnapshot-near-heap-limit=2 --debug-port=1'), ['--inspect', '--inspect-brk', '--report-on-fatalerror', '--heapsnapshot-near-heap-limit', '--debug-port']);
    assert.deepEqual(memoryExposingFlags(['--max-old-space-size=512', '--enable-source-maps'], '--no-warnings --heap-prof-interval=1 --inspector-unknown'), []);
  });

  test('the deployments keep them out: the Helm chart empties NODE_OPTIONS, compose turns core dumps off', () => {
    const deployment = readFileSync(new URL('../../deploy/helm/portcullis/templates/deployment.yaml', import.meta.url), 'utf8');
    assert.match(deployment, /- name: NODE_OPTIONS\n\s+value: ""/);
    const compose = parse(readFileSync(new URL('../../deploy/compose.yaml', import.meta.url), 'utf8'), { merge: true }) as { services: Record<string, { ulimits?: { core?: number } }> };
    const gateways = Object.entries(compose.services).filter(([name]) => name.startsWith('gateway-'));
    assert.ok(gateways.length > 0);
    for (const [name, service] of gateways) assert.equal(service.ulimits?.core, 0, name);
  });
});
