/**
 * A newcomer's first hour (issue 12 §5): the built bin runs from a shell, and a command that
 * cannot listen (a busy port, an address not on this machine) says so in one line and exits 1,
 * whichever listener it is and whichever command opened it, without leaving anything running.
 */
import assert from 'node:assert/strict';
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, statSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { CLI } from './helpers/cli.js';
import { freePort } from './helpers/index.js';

const dir = mkdtempSync(join(tmpdir(), 'portcullis-listen-'));

/** Runs the CLI without blocking this process; a process still running after 20 s is killed (status null). */
function runCliAsync(args: string[]): Promise<{ status: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [CLI, ...args]);
    let stdout = '';
    let stderr = '';
    const timer = setTimeout(() => child.kill('SIGKILL'), 60_000);
    child.stdout.on('data', (data: Buffer) => (stdout += data.toString()));
    child.stderr.on('data', (data: Buffer) => (stderr += data.toString()));
    child.once('close', (status) => {
      clearTimeout(timer);
      resolve({ status, stdout, stderr });
    });
  });
}

function assertOneLine(result: { status: number | null; stdout: string; stderr: string }, pattern: RegExp): void {
  assert.equal(result.status, 1, `exit 1 (a hang or crash is not): ${result.stderr}`);
  const lines = result.stderr.trim().split('\n');
  assert.equal(lines.length, 1, `one line, no stack trace:\n${result.stderr}`);
  assert.match(lines[0]!, pattern);
  assert.doesNotMatch(result.stderr, /\n\s+at /);
}

describe('the built bin', () => {
  test('is executable and runs from a real shell, as `npx portcullis` runs it', () => {
    assert.notEqual(statSync(CLI).mode & 0o111, 0, 'the build marks the bin executable');
    // Through /bin/sh, not `node main.js`: the kernel reads the shebang and needs the execute bit.
    const version = execFileSync('/bin/sh', ['-c', `"${CLI}" --version`], { encoding: 'utf8' });
    assert.match(version.trim(), /^\d+\.\d+\.\d+$/);
  });
});

describe('a command that cannot listen', () => {
  let busy: Server;
  let busyPort: number;
  before(async () => {
    busy = createServer();
    await new Promise<void>((resolve) => busy.listen(0, '127.0.0.1', resolve));
    busyPort = (busy.address() as AddressInfo).port;
  });
  after(() => new Promise<void>((resolve) => busy.close(() => resolve())));

  const startConfig = (listener: Record<string, unknown>, admin: Record<string, unknown>) => {
    const file = join(dir, `start-${Math.random().toString(36).slice(2)}.json`);
    writeFileSync(
      file,
      JSON.stringify({
        listeners: [{ name: 'first', host: '127.0.0.1', port: 0 }, { name: 'public', ...listener }],
        admin,
        lifecycle: { watchConfigFile: false },
        upstreams: { u: { targets: ['http://127.0.0.1:9'] } },
        routes: [{ name: 'a', methods: ['GET'], path: '/a', upstream: 'u' }],
      }),
    );
    return file;
  };

  test('start: a busy listener port is one line naming the listener, the address and the reason; the process exits', async () => {
    const result = await runCliAsync(['start', '--config', startConfig({ host: '127.0.0.1', port: busyPort }, { port: 0 })]);
    assertOneLine(result, new RegExp(`^portcullis: could not start: listener "public" cannot listen on 127\\.0\\.0\\.1:${busyPort}: the port is already in use .*\\[EADDRINUSE\\]$`));
  });

  test('start: a busy admin port is one line too, and the listeners already bound are closed (the process exits)', async () => {
    const result = await runCliAsync(['start', '--config', startConfig({ host: '127.0.0.1', port: 0 }, { host: '127.0.0.1', port: busyPort })]);
    assertOneLine(result, new RegExp(`could not start: the admin listener cannot listen on 127\\.0\\.0\\.1:${busyPort}: the port is already in use`));
  });

  test('start: an address that is not on this machine is one line (any listen error, not only a busy port)', async () => {
    const result = await runCliAsync(['start', '--config', startConfig({ host: '192.0.2.1', port: 0 }, { port: 0 })]);
    assertOneLine(result, /could not start: listener "public" cannot listen on 192\.0\.2\.1:0: the address is not one of this machine's .*\[EADDRNOTAVAIL\]$/);
  });

  test('demo --port <busy> is one line naming the port, and exits 1', async () => {
    const result = await runCliAsync(['demo', '--port', String(busyPort), '--admin-port', '0']);
    assertOneLine(result, new RegExp(`^portcullis: could not start: listener "public" cannot listen on 127\\.0\\.0\\.1:${busyPort}: the port is already in use`));
  });

  test('demo --admin-port <busy> is one line naming the admin listener, and exits 1', async () => {
    const result = await runCliAsync(['demo', '--port', '0', '--admin-port', String(busyPort)]);
    assertOneLine(result, new RegExp(`^portcullis: could not start: the admin listener cannot listen on 127\\.0\\.0\\.1:${busyPort}`));
  });

  test('demo --port with something that is not a port is refused before anything starts', async () => {
    for (const value of ['abc', '70000', '-1', '80.5']) {
      const result = spawnSync(process.execPath, [CLI, 'demo', '--port', value], { encoding: 'utf8', timeout: 60_000 });
      assert.equal(result.status, 1, value);
      assert.match(result.stderr, /--port must be a port number from 0 to 65535/, value);
    }
  });

  test('a port freed again can be used (the failed start released it)', async () => {
    const port = await freePort();
    const file = startConfig({ host: '127.0.0.1', port }, { host: '127.0.0.1', port: busyPort });
    assertOneLine(await runCliAsync(['start', '--config', file]), /admin listener/);
    const probe = createServer();
    await new Promise<void>((resolve, reject) => probe.once('error', reject).listen(port, '127.0.0.1', resolve));
    await new Promise<void>((resolve) => probe.close(() => resolve()));
  });
});
