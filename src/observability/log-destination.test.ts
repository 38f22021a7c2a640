import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { Writable } from 'node:stream';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { eventually } from '../../test/helpers/index.js';
import { BoundedDestination } from './log-destination.js';

/** A stream whose reader takes nothing until released: what a full pipe nobody reads looks like. */
class StalledStream extends Writable {
  readonly chunks: string[] = [];
  #held: Array<() => void> = [];
  #stalled = true;
  override _write(chunk: Buffer, _encoding: BufferEncoding, callback: () => void): void {
    this.chunks.push(chunk.toString());
    if (this.#stalled) this.#held.push(callback);
    else callback();
  }
  release(): void {
    this.#stalled = false;
    for (const callback of this.#held.splice(0)) callback();
  }
  get text(): string {
    return this.chunks.join('');
  }
}

const nextTurn = () => new Promise((resolve) => setImmediate(resolve));

test('lines written in one event-loop turn reach the stream in one write, in order, on the next turn', async () => {
  const stream = new StalledStream();
  stream.release();
  const destination = new BoundedDestination({ stream });
  for (let i = 0; i < 100; i++) destination.write(`{"n":${i}}\n`);
  assert.equal(stream.chunks.length, 0, 'nothing is written on the request path');
  await nextTurn();
  assert.equal(stream.chunks.length, 1);
  assert.deepEqual(stream.text.trim().split('\n').map((line) => (JSON.parse(line) as { n: number }).n), [...Array(100).keys()]);
});

test('writes at most 4096 bytes at a time, whole lines only, and one write at a time', async () => {
  const stream = new StalledStream();
  const destination = new BoundedDestination({ stream });
  const line = `${JSON.stringify({ msg: 'é'.repeat(150) })}\n`;
  for (let i = 0; i < 200; i++) destination.write(line);
  await nextTurn();
  assert.equal(stream.chunks.length, 1, 'the next write waits for the stalled one');
  stream.release();
  await eventually(() => destination.buffered === 0, 'everything written');
  assert.equal(stream.text, line.repeat(200));
  for (const chunk of stream.chunks) {
    assert.ok(Buffer.byteLength(chunk) <= 4096, `a write of ${Buffer.byteLength(chunk)} bytes`);
    assert.ok(chunk.endsWith('\n'));
  }
});

test('two processes sharing one standard output pipe, read slowly, never tear each other\'s lines', async () => {
  const module = fileURLToPath(new URL('./log-destination.js', import.meta.url));
  // Each writes 5000 lines of ~300 bytes, 150 KB a loop turn (more than a pipe holds), then flushes and exits.
  const script = `import { BoundedDestination } from ${JSON.stringify(module)};
    const destination = new BoundedDestination({ maxBufferBytes: 64 * 1024 * 1024 });
    const pad = 'x'.repeat(250);
    for (let turn = 0; turn < 10; turn++) {
      for (let i = 0; i < 500; i++) destination.write(JSON.stringify({ pid: process.pid, n: turn * 500 + i, pad }) + '\\n');
      await new Promise((resolve) => setImmediate(resolve));
    }
    await destination.flushWithin(60000);`;
  const child = spawn('sh', ['-c', '"$NODE" --input-type=module -e "$SCRIPT" & "$NODE" --input-type=module -e "$SCRIPT"; wait'], { env: { ...process.env, NODE: process.execPath, SCRIPT: script }, stdio: ['ignore', 'pipe', 'inherit'] });
  let stdout = '';
  // Read in bursts, so the pipe is full at times and writes wait or are cut short by the kernel.
  child.stdout.on('data', (data: Buffer) => {
    stdout += data.toString();
    child.stdout.pause();
    setTimeout(() => child.stdout.resume(), 5);
  });
  const code = await new Promise((resolve) => child.once('close', resolve));
  assert.equal(code, 0);
  const lines = stdout.split('\n').filter(Boolean);
  const parsed = lines.map((text) => JSON.parse(text) as { pid: number; n: number });
  assert.equal(parsed.length, 10_000);
  const byPid = new Map<number, Array<{ n: number }>>();
  for (const record of parsed) byPid.set(record.pid, [...(byPid.get(record.pid) ?? []), record]);
  assert.equal(byPid.size, 2);
  for (const records of byPid.values()) assert.deepEqual(records.map((record) => record.n), [...Array(5000).keys()], 'each process\'s lines whole and in order');
});

test('a stalled reader holds at most maxBufferBytes: later lines are dropped and counted, then reported as soon as the reader caught up', async () => {
  const stream = new StalledStream();
  const maxBufferBytes = 65536;
  const destination = new BoundedDestination({ stream, maxBufferBytes });
  const reports: Array<{ gone: boolean; lines: number } | 'flowing'> = [];
  destination.onDrop({ dropped: (gone, lines) => reports.push({ gone, lines }), flowing: () => reports.push('flowing') });
  const line = `${JSON.stringify({ msg: 'x'.repeat(1000) })}\n`;
  for (let turn = 0; turn < 20; turn++) {
    for (let i = 0; i < 50; i++) destination.write(line);
    assert.ok(destination.buffered <= maxBufferBytes, `${destination.buffered} bytes wait`);
    await nextTurn();
  }
  const kept = Math.floor(maxBufferBytes / line.length);
  assert.equal(destination.dropped, 1000 - kept);
  assert.equal(reports.reduce((sum, report) => sum + (report === 'flowing' ? 0 : report.lines), 0), 1000 - kept);
  assert.ok(reports.every((report) => report === 'flowing' || !report.gone));

  stream.release();
  const records = () => stream.text.trim().split('\n').map((text) => JSON.parse(text) as Record<string, unknown>);
  // No further line is needed: once the reader caught up, the report comes on its own.
  await eventually(() => records().length === kept + 1, 'the reader took the buffer and the report followed');
  assert.deepEqual({ ...records()[kept], time: undefined }, { level: 'warn', time: undefined, event: 'log.lines_dropped', dropped: 1000 - kept, msg: 'the log destination did not keep up: lines were dropped' });
  assert.equal(reports.at(-1), 'flowing');
  destination.write('{"after":true}\n');
  await nextTurn();
  assert.equal(records().length, kept + 2, 'one report only');
  assert.deepEqual(records()[kept + 1], { after: true });
});

test('a reader that went away makes every line a counted drop, without an unhandled error', async () => {
  const stream = new Writable({ write: (_chunk, _encoding, callback) => callback(Object.assign(new Error('write EPIPE'), { code: 'EPIPE' })) });
  const destination = new BoundedDestination({ stream });
  const gone: boolean[] = [];
  destination.onDrop({ dropped: (isGone) => gone.push(isGone), flowing: () => {} });
  destination.write('{"first":1}\n');
  await eventually(() => stream.destroyed, 'the stream failed');
  destination.write('{"second":2}\n');
  destination.write('{"third":3}\n');
  await nextTurn();
  assert.equal(destination.dropped, 2);
  assert.ok(gone.every(Boolean));
});

test('flushWithin writes what gathered, and gives up after its timeout when the reader stalls (false) rather than blocking', async () => {
  const stream = new StalledStream();
  const destination = new BoundedDestination({ stream });
  destination.write('{"last":true}\n');
  assert.equal(await destination.flushWithin(50), false);
  assert.equal(stream.text, '{"last":true}\n', 'handed to the stream');
  stream.release();
  assert.equal(await destination.flushWithin(10_000), true);
});

test('lines gathered when the process exits without a flush (process.exit in the same turn) still reach standard output', async () => {
  const module = fileURLToPath(new URL('./log-destination.js', import.meta.url));
  const script = `import { BoundedDestination } from ${JSON.stringify(module)};
    const destination = new BoundedDestination();
    for (let i = 0; i < 3; i++) destination.write('{"line":' + i + '}\\n');
    process.exit(3);`;
  const child = spawn(process.execPath, ['--input-type=module', '-e', script], { stdio: ['ignore', 'pipe', 'inherit'] });
  let stdout = '';
  child.stdout.on('data', (data: Buffer) => (stdout += data.toString()));
  const code = await new Promise((resolve) => child.once('close', resolve));
  assert.equal(code, 3);
  assert.equal(stdout, '{"line":0}\n{"line":1}\n{"line":2}\n');
});
