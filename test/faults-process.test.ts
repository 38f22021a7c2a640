/**
 * Fault injection, the process itself (issue 13): the log reader stalls or goes away, the database
 * is down at start, an exception nobody handled. Each runs the real `portcullis start` as a child
 * process, because what is at stake is the process: whether it stays up, whether it exits, how
 * fast, and what it writes.
 */
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, constants, mkdtempSync, openSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { CLI } from './helpers/cli.js';
import { freePort, httpRequest, sleep, startUpstream, type TestUpstream } from './helpers/index.js';
import { KEY_ENV, PEPPER, ADMIN_TOKEN } from './helpers/keys.js';
import { metricValue, msUntil } from './helpers/load.js';
import { createPostgresSchema, POSTGRES_URL, skipWithoutPostgres } from './helpers/services.js';

const dir = mkdtempSync(join(tmpdir(), 'portcullis-faults-'));

function writeConfig(name: string, config: Record<string, unknown>): string {
  const file = join(dir, `${name}.json`);
  writeFileSync(file, JSON.stringify({ lifecycle: { watchConfigFile: false }, ...config }));
  return file;
}

/** A pipe whose reader never reads (a stalled log collector); close `reader` to make it go away. */
async function makeFifo(name: string): Promise<{ reader: number; writer: number }> {
  const fifo = join(dir, `${name}.fifo`);
  await new Promise<void>((resolve, reject) => spawn('mkfifo', [fifo]).once('exit', (code) => (code === 0 ? resolve() : reject(new Error('mkfifo failed')))));
  const reader = openSync(fifo, constants.O_RDONLY | constants.O_NONBLOCK);
  const writer = openSync(fifo, constants.O_WRONLY);
  return { reader, writer };
}

/**
 * Resolves once the child has exited AND its stdout and stderr have been read to the end: 'exit'
 * can come before the last output is read (a crash line written just before exit 70 was missing
 * from stdout in one CI run), so a test that checks the output must wait for the streams too.
 */
async function exited(child: ChildProcess): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
  const streams = [child.stdout, child.stderr].filter((stream): stream is NonNullable<typeof stream> => stream !== null);
  if (child.exitCode === null && child.signalCode === null) await new Promise((resolve) => child.once('exit', resolve));
  await Promise.all(streams.map((stream) => (stream.destroyed || stream.readableEnded ? undefined : new Promise((resolve) => stream.once('close', resolve)))));
  return { code: child.exitCode, signal: child.signalCode };
}

/** A process that hangs never exits; one that exits within this bound did not hang, however loaded the machine. */
const EXIT_BOUND_MS = 30_000;

describe('process faults', { timeout: 300_000 }, () => {
  let upstream: TestUpstream;
  // Every gateway child this suite starts: a test that fails before its own cleanup (a start-up
  // that timed out, say) must not leave a gateway running that holds the test run open.
  const children = new Set<ChildProcess>();
  const track = <C extends ChildProcess>(child: C): C => {
    children.add(child);
    child.once('exit', () => children.delete(child));
    return child;
  };
  before(async () => {
    upstream = await startUpstream();
  });
  after(async () => {
    for (const child of children) child.kill('SIGKILL');
    await upstream.close();
  });

  /** Starts a gateway whose standard output is `stdout` (a file descriptor, or a pipe to read); waits until it is ready. */
  async function startWithStdout(stdout: number | 'pipe', extra: Record<string, unknown> = {}) {
    const port = await freePort();
    const adminPort = await freePort();
    const file = writeConfig(`node-${port}`, {
      listeners: [{ name: 'public', host: '127.0.0.1', port }],
      admin: { host: '127.0.0.1', port: adminPort },
      upstreams: { backend: { targets: [upstream.url] } },
      routes: [{ name: 'all', methods: ['GET'], path: '/*', upstream: 'backend' }],
      logging: { maxBufferBytes: 65536 },
      ...extra,
    });
    const child = track(spawn(process.execPath, [CLI, 'start', '--config', file], { stdio: ['ignore', stdout, 'pipe'] }));
    let stderr = '';
    child.stderr!.on('data', (data: Buffer) => (stderr += data.toString()));
    const admin = `http://127.0.0.1:${adminPort}`;
    await msUntil(async () => (await httpRequest(`${admin}/readyz`).catch(() => undefined))?.status === 200, 'the gateway is ready', 60_000);
    return { child, url: `http://127.0.0.1:${port}`, admin, stderr: () => stderr };
  }

  test('a stalled log reader costs neither requests nor memory nor shutdown: lines past the buffer are dropped and counted, SIGTERM exits within the drain deadline plus the bounded flush', async (t) => {
    const { reader, writer } = await makeFifo('stalled');
    const gw = await startWithStdout(writer, { lifecycle: { watchConfigFile: false, drainTimeoutMs: 500 } });
    closeSync(writer);
    try {
      const statuses = new Map<number, number>();
      // Each access line is a few hundred bytes: 1500 requests are several times pipe + buffer.
      const started = Date.now();
      for (let i = 0; i < 1500; i++) {
        const { status } = await httpRequest(`${gw.url}/load/${i}?padding=${'x'.repeat(200)}`);
        statuses.set(status, (statuses.get(status) ?? 0) + 1);
      }
      const loadMs = Date.now() - started;
      assert.deepEqual(Object.fromEntries(statuses), { 200: 1500 });
      const metrics = (await httpRequest(`${gw.admin}/metrics`)).text;
      const dropped = metricValue(metrics, 'portcullis_log_lines_dropped_total');
      assert.ok(dropped > 0, 'lines were dropped and counted');
      assert.equal(metricValue(metrics, 'portcullis_dependency_up', { dependency: 'log' }), 0);
      const ready = await httpRequest(`${gw.admin}/readyz`);
      assert.equal(ready.status, 200, 'still ready: the data plane serves');
      assert.ok(ready.json<{ degraded: Array<{ dependency: string }> }>().degraded.some((d) => d.dependency === 'log'));
      const rss = metricValue(metrics, 'portcullis_process_resident_memory_bytes');
      const stopAt = Date.now();
      gw.child.kill('SIGTERM');
      const { code } = await exited(gw.child);
      const stopMs = Date.now() - stopAt;
      assert.equal(code, 0, gw.stderr());
      // drainTimeoutMs 500 + LOG_FLUSH_MS 2000 on a quiet machine. Without the bounded flush the
      // process never exits (the reader is stalled), so a bound far above that only tells a hang
      // from a loaded machine's scheduling, and cannot fail a good run.
      assert.ok(stopMs < EXIT_BOUND_MS, `SIGTERM took ${stopMs} ms`);
      t.diagnostic(`stalled log: 1500 requests in ${loadMs} ms, ${dropped} lines dropped, rss ${Math.round(rss / 1048576)} MiB, SIGTERM exit in ${stopMs} ms`);
    } finally {
      gw.child.kill('SIGKILL');
      closeSync(reader);
    }
  });

  test('with standard output stalled, concurrent requests are all answered and at most maxBufferBytes of log waits; read again, one line says how many lines were dropped', async (t) => {
    const gw = await startWithStdout('pipe');
    // Nobody reads: the pipe and the reader's own buffer fill, then the gateway's writes wait.
    const out = gw.child.stdout!;
    try {
      const statuses = new Map<number, number>();
      const padding = 'x'.repeat(1000);
      let next = 0;
      // 20 at a time, 2000 in all: about 2.5 MB of access lines, far past pipe + 64 KiB buffer.
      await Promise.all(
        Array.from({ length: 20 }, async () => {
          while (next < 2000) {
            const { status } = await httpRequest(`${gw.url}/stalled/${next++}?padding=${padding}`);
            statuses.set(status, (statuses.get(status) ?? 0) + 1);
          }
        }),
      );
      assert.deepEqual(Object.fromEntries(statuses), { 200: 2000 }, 'the event loop never waited for the log');
      const metrics = (await httpRequest(`${gw.admin}/metrics`)).text;
      const dropped = metricValue(metrics, 'portcullis_log_lines_dropped_total');
      const buffered = metricValue(metrics, 'portcullis_log_buffered_bytes');
      assert.ok(dropped > 0, 'lines were dropped and counted');
      assert.ok(buffered <= 65536, `${buffered} bytes wait, more than logging.maxBufferBytes`);

      let stdout = '';
      out.on('data', (data: Buffer) => (stdout += data.toString()));
      await msUntil(async () => metricValue((await httpRequest(`${gw.admin}/metrics`)).text, 'portcullis_log_buffered_bytes') === 0, 'the log drained', 60_000);
      const after = await httpRequest(`${gw.url}/after-stall`);
      const lines = () => stdout.split('\n').filter(Boolean).map((line) => JSON.parse(line) as Record<string, unknown>);
      await msUntil(() => lines().some((record) => record.requestId === after.headers['x-request-id']), 'the next access line arrived', 60_000);
      const report = lines().filter((record) => record.event === 'log.lines_dropped');
      assert.equal(report.length, 1, 'one report of the drops');
      assert.equal(report[0]!.dropped, dropped, 'it counts every dropped line');
      t.diagnostic(`stalled stdout: 2000 requests answered, ${dropped} lines dropped, ${buffered} bytes waiting at most`);
    } finally {
      gw.child.kill('SIGKILL');
    }
  });

  test('after SIGTERM, the access line of the last request answered is in the output before the process exits', async () => {
    const gw = await startWithStdout('pipe');
    let stdout = '';
    gw.child.stdout!.on('data', (data: Buffer) => (stdout += data.toString()));
    const ended = new Promise((resolve) => gw.child.stdout!.once('end', resolve));
    const reply = await httpRequest(`${gw.url}/last-before-stop`);
    gw.child.kill('SIGTERM');
    assert.equal((await exited(gw.child)).code, 0, gw.stderr());
    await ended;
    const records = stdout.split('\n').filter(Boolean).map((line) => JSON.parse(line) as Record<string, unknown>);
    const access = records.findIndex((record) => record.type === 'access' && record.requestId === reply.headers['x-request-id']);
    assert.ok(access >= 0, `the last access line is there; stdout:\n${stdout}`);
    assert.ok(records.findIndex((record) => record.event === 'gateway.stopped') > access);
  });

  test('after an exception nobody handled, the access lines written before it and the crash line are in the output, in that order', async () => {
    const injector = join(dir, 'throw-injector.mjs');
    writeFileSync(injector, `process.on('SIGUSR2', () => setImmediate(() => { throw new Error('injected'); }));\n`);
    const port = await freePort();
    const adminPort = await freePort();
    const file = writeConfig('crash-flush', {
      listeners: [{ name: 'public', host: '127.0.0.1', port }],
      admin: { host: '127.0.0.1', port: adminPort },
      upstreams: { backend: { targets: [upstream.url] } },
      routes: [{ name: 'all', methods: ['GET'], path: '/*', upstream: 'backend' }],
    });
    const child = track(spawn(process.execPath, ['--import', injector, CLI, 'start', '--config', file], { stdio: ['ignore', 'pipe', 'pipe'] }));
    let stdout = '';
    child.stdout.on('data', (data: Buffer) => (stdout += data.toString()));
    const ended = new Promise((resolve) => child.stdout.once('end', resolve));
    await msUntil(async () => (await httpRequest(`http://127.0.0.1:${adminPort}/readyz`).catch(() => undefined))?.status === 200, 'the gateway is ready', 60_000);
    const ids: unknown[] = [];
    for (let i = 0; i < 5; i++) ids.push((await httpRequest(`http://127.0.0.1:${port}/before-crash/${i}`)).headers['x-request-id']);
    child.kill('SIGUSR2');
    assert.equal((await exited(child)).code, 70);
    await ended;
    const records = stdout.split('\n').filter(Boolean).map((line) => JSON.parse(line) as Record<string, unknown>);
    const crash = records.findIndex((record) => record.event === 'process.crashed');
    assert.ok(crash >= 0, `the crash line is there; stdout:\n${stdout}`);
    for (const id of ids) {
      const access = records.findIndex((record) => record.type === 'access' && record.requestId === id);
      assert.ok(access >= 0 && access < crash, `the access line of ${String(id)} is there, before the crash line`);
    }
  });

  test('a log reader that went away (EPIPE) does not end the process: requests keep being served, SIGTERM exits promptly', async (t) => {
    const { reader, writer } = await makeFifo('gone');
    const gw = await startWithStdout(writer);
    closeSync(writer);
    try {
      closeSync(reader);
      for (let i = 0; i < 200; i++) assert.equal((await httpRequest(`${gw.url}/after-reader-left/${i}`)).status, 200);
      const metrics = (await httpRequest(`${gw.admin}/metrics`)).text;
      assert.ok(metricValue(metrics, 'portcullis_log_lines_dropped_total') > 0);
      const stopAt = Date.now();
      gw.child.kill('SIGTERM');
      const { code } = await exited(gw.child);
      const stopMs = Date.now() - stopAt;
      assert.equal(code, 0, gw.stderr());
      assert.ok(stopMs < EXIT_BOUND_MS, `SIGTERM took ${stopMs} ms`);
      t.diagnostic(`reader gone: SIGTERM exit in ${stopMs} ms`);
    } finally {
      gw.child.kill('SIGKILL');
    }
  });

  test('with the database down at start, says so in one line without a stack trace or the password, and exits 1', async () => {
    const port = await freePort();
    const file = writeConfig('db-down', {
      listeners: [{ name: 'public', host: '127.0.0.1', port: 0 }],
      admin: { host: '127.0.0.1', port: 0, token: '${env:PORTCULLIS_ADMIN_TOKEN}' },
      upstreams: { backend: { targets: [upstream.url] } },
      routes: [{ name: 'all', methods: ['GET'], path: '/*', upstream: 'backend' }],
      store: { driver: 'postgres', url: '${env:PORTCULLIS_DATABASE_URL}', connectTimeoutMs: 500 },
      apiKeys: { pepper: '${env:PORTCULLIS_KEY_PEPPER}' },
    });
    const password = 'db-password-that-must-not-leak';
    const child = track(spawn(process.execPath, [CLI, 'start', '--config', file], { env: { ...process.env, ...KEY_ENV, PORTCULLIS_DATABASE_URL: `postgres://gw:${password}@127.0.0.1:${port}/portcullis` } }));
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (data: Buffer) => (stdout += data.toString()));
    child.stderr.on('data', (data: Buffer) => (stderr += data.toString()));
    const { code } = await exited(child);
    await sleep(20);
    assert.equal(code, 1);
    const lines = stderr.trim().split('\n');
    assert.equal(lines.length, 1, `one line on standard error, got:\n${stderr}`);
    assert.match(lines[0]!, /^portcullis: could not start: the store \(postgres\) did not answer: .*ECONNREFUSED.*; start it, or check store\.url$/);
    // Standard output is the JSON log: the outage is there as a record, nothing else.
    for (const line of stdout.trim().split('\n').filter(Boolean)) assert.equal((JSON.parse(line) as { event: string }).event, 'dependency.unavailable');
    assert.doesNotMatch(stdout + stderr, /\n\s+at /);
    assert.equal((stdout + stderr).includes(password), false);
  });

  test('an exception nobody handled is one redacted JSON line (no secret, no object dump), then exit 70 after a bounded drain', { skip: skipWithoutPostgres }, async () => {
    const password = 'crash-db-password-0123';
    const postgres = await createPostgresSchema();
    after(() => postgres.drop());
    const databaseUrl = new URL(POSTGRES_URL);
    databaseUrl.password = password;
    // A schema of its own, like every PostgreSQL test: what other runs left in the database's
    // default schema (migrations from another branch, say) must not decide this test.
    databaseUrl.searchParams.set('options', `-c search_path=${postgres.schema}`);
    const apiKey = 'ptc_live_AbCdEfGh0123456789abcdefghijklmn_Zx9Yw8';
    const bearer = 'eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ4In0.c2lnbmF0dXJl';
    // Injected into the real process before its entry point: after start, throws an error that
    // carries every secret in its message and (as a pg error does) in properties of its own.
    const injector = join(dir, 'crash-injector.mjs');
    writeFileSync(
      injector,
      `process.on('SIGUSR2', () => setImmediate(() => {
        const error = new Error('lost ' + process.env.PORTCULLIS_DATABASE_URL + ' pepper=' + process.env.PORTCULLIS_KEY_PEPPER + ' admin ' + process.env.PORTCULLIS_ADMIN_TOKEN + ' key ${apiKey} Authorization: Bearer ${bearer}');
        error.code = 'ECRASH';
        error.client = { connectionParameters: { password: ${JSON.stringify(password)}, connectionString: process.env.PORTCULLIS_DATABASE_URL }, pepper: process.env.PORTCULLIS_KEY_PEPPER };
        throw error;
      }));\n`,
    );
    const port = await freePort();
    const adminPort = await freePort();
    const file = writeConfig('crash', {
      listeners: [{ name: 'public', host: '127.0.0.1', port }],
      admin: { host: '127.0.0.1', port: adminPort, token: '${env:PORTCULLIS_ADMIN_TOKEN}' },
      upstreams: { backend: { targets: [upstream.url] } },
      routes: [{ name: 'all', methods: ['GET'], path: '/*', upstream: 'backend' }],
      store: { driver: 'postgres', url: '${env:PORTCULLIS_DATABASE_URL}' },
      apiKeys: { pepper: '${env:PORTCULLIS_KEY_PEPPER}' },
    });
    const child = track(
      spawn(process.execPath, ['--import', injector, CLI, 'start', '--config', file], {
        env: { ...process.env, ...KEY_ENV, PORTCULLIS_DATABASE_URL: databaseUrl.toString() },
      }),
    );
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (data: Buffer) => (stdout += data.toString()));
    child.stderr.on('data', (data: Buffer) => (stderr += data.toString()));
    await msUntil(async () => (await httpRequest(`http://127.0.0.1:${adminPort}/readyz`).catch(() => undefined))?.status === 200, 'the gateway is ready', 60_000);
    child.kill('SIGUSR2');
    const { code } = await exited(child);
    assert.equal(code, 70, `exit code; stderr:\n${stderr}`);
    const crashes = stdout.split('\n').filter((line) => line.includes('process.crashed'));
    assert.equal(crashes.length, 1, `one crash line; stdout:\n${stdout}`);
    const record = JSON.parse(crashes[0]!) as { level: string; kind: string; error: { code: string; message: string }; stack: string[] };
    assert.equal(record.level, 'fatal');
    assert.equal(record.kind, 'uncaughtException');
    assert.equal(record.error.code, 'ECRASH');
    assert.equal(record.error.message, 'lost [REDACTED] pepper=[REDACTED] admin [REDACTED] key [REDACTED] Authorization: Bearer [REDACTED]');
    assert.ok(Array.isArray(record.stack));
    assert.ok(stdout.includes('gateway.stopped'), 'the gateway drained and stopped before exiting');
    for (const secret of [password, PEPPER, ADMIN_TOKEN, apiKey, bearer, 'connectionParameters']) {
      assert.equal(stdout.includes(secret) || stderr.includes(secret), false, `${secret} leaked`);
    }
  });
});
