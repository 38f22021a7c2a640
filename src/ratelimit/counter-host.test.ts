import assert from 'node:assert/strict';
import { fork, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { after, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { eventually } from '../../test/helpers/index.js';
import type { LimitSpec } from '../core/rate-limit.js';
import { CounterHost } from './counter-host.js';

const WORKER = fileURLToPath(new URL('../../test/helpers/counter-worker.js', import.meta.url));
const HOUR_MS = 3_600_000;
const spec: LimitSpec = { key: 'per-hour|consumer=con_1', name: 'per-hour', limit: 100, windowMs: HOUR_MS, burst: 100, cost: 1 };
const bruteForce = { maxFailures: 3, windowSeconds: 60, blockSeconds: 300 };

interface TestWorker {
  readonly child: ChildProcess;
  run<T>(command: Record<string, unknown>): Promise<T>;
}

const children: ChildProcess[] = [];
after(() => {
  for (const child of children) child.kill();
});

/** A real worker process with an IPC channel, whose CounterClient is driven from here. */
async function forkWorker(env: Record<string, string> = {}): Promise<TestWorker> {
  const child = fork(WORKER, [], { env: { ...process.env, ...env }, stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  children.push(child);
  let seq = 0;
  const waiting = new Map<number, { resolve: (value: unknown) => void; reject: (error: Error) => void }>();
  child.on('message', (message: { kind?: string; seq?: number; result?: unknown; error?: { name: string; message: string } }) => {
    if (message.kind !== 'test.done') return;
    const entry = waiting.get(message.seq!);
    waiting.delete(message.seq!);
    if (message.error) entry?.reject(Object.assign(new Error(message.error.message), { kind: message.error.name }));
    else entry?.resolve(message.result);
  });
  await new Promise<void>((resolve) => child.on('message', (message: { kind?: string }) => message.kind === 'test.ready' && resolve()));
  return {
    child,
    run<T>(command: Record<string, unknown>) {
      const id = ++seq;
      return new Promise<T>((resolve, reject) => {
        waiting.set(id, { resolve: resolve as (value: unknown) => void, reject });
        child.send({ kind: 'test.do', seq: id, command });
      });
    },
  };
}

/** A host with these workers attached, each detached when it exits (as the cluster primary does). */
async function hostWith(count: number, env: Record<string, string> = {}): Promise<{ host: CounterHost; workers: TestWorker[] }> {
  const host = new CounterHost({ bruteForce });
  const workers = await Promise.all(Array.from({ length: count }, () => forkWorker(env)));
  for (const worker of workers) {
    host.attach(worker.child);
    worker.child.once('exit', () => host.detach(worker.child));
    assert.equal(await worker.run({ op: 'start' }), true);
  }
  return { host, workers };
}

test('with two worker processes a limit of 100 admits exactly 100, not 200', async () => {
  const { host, workers } = await hostWith(2);
  const now = Date.now();
  // Another owner's message on the same channel is ignored, and nothing breaks.
  await workers[0]!.run({ op: 'foreign' });
  // 15 rounds of 10 calls on each worker at once: 300 calls, each batch racing the other's.
  const admitted = [0, 0];
  for (let round = 0; round < 15; round++) {
    const counts = await Promise.all(workers.map((worker) => worker.run<number>({ op: 'consume', spec, now, times: 10 })));
    counts.forEach((count, i) => (admitted[i]! += count));
  }
  assert.ok(admitted[0]! > 0 && admitted[1]! > 0, `both workers were admitted some: ${admitted.join(', ')}`);
  assert.equal(admitted[0]! + admitted[1]!, 100);
  await host.close();
});

test('concurrency slots hold across workers, and a dead worker\'s slots are given back', async () => {
  const { host, workers } = await hostWith(2);
  const [a, b] = workers as [TestWorker, TestWorker];
  for (let i = 0; i < 3; i++) assert.equal(await a.run({ op: 'acquire', key: 'concurrency|r|consumer=c', max: 3 }), true);
  assert.equal(await b.run({ op: 'acquire', key: 'concurrency|r|consumer=c', max: 3 }), false);
  // A release names a slot this worker holds: B cannot free one of A's.
  await b.run({ op: 'release', key: 'concurrency|r|consumer=c' });
  assert.equal(await b.run({ op: 'acquire', key: 'concurrency|r|consumer=c', max: 3 }), false);
  await a.run({ op: 'release', key: 'concurrency|r|consumer=c' });
  assert.equal(await b.run({ op: 'acquire', key: 'concurrency|r|consumer=c', max: 3 }), true);
  assert.equal(await b.run({ op: 'acquire', key: 'concurrency|r|consumer=c', max: 3 }), false);
  a.child.kill('SIGKILL');
  await once(a.child, 'exit');
  // A's two remaining slots came back with its exit; B holds 1 of 3.
  assert.equal(await b.run({ op: 'acquire', key: 'concurrency|r|consumer=c', max: 3 }), true);
  assert.equal(await b.run({ op: 'acquire', key: 'concurrency|r|consumer=c', max: 3 }), true);
  assert.equal(await b.run({ op: 'acquire', key: 'concurrency|r|consumer=c', max: 3 }), false);
  await host.close();
});

test('failures count across workers, and a block is known to every worker before the failure that starts it is answered', async () => {
  const { host, workers } = await hostWith(2);
  const [a, b] = workers as [TestWorker, TestWorker];
  const now = Date.now();
  assert.equal(await a.run({ op: 'failure', clientIp: '203.0.113.9', now }), false);
  assert.equal(await a.run({ op: 'failure', clientIp: '203.0.113.9', now }), false);
  assert.equal(await b.run({ op: 'blocked', clientIp: '203.0.113.9', now }), 0);
  // The third failure, on the other worker, starts the block: once it is answered, A has it too.
  assert.equal(await b.run({ op: 'failure', clientIp: '203.0.113.9', now }), true);
  assert.equal(await a.run({ op: 'blocked', clientIp: '203.0.113.9', now }), now + 300_000);
  assert.equal(await b.run({ op: 'blocked', clientIp: '203.0.113.9', now }), now + 300_000);
  assert.equal(await a.run({ op: 'blocked', clientIp: '198.51.100.1', now }), 0);
  // A worker started later learns the blocks in force when it says hello.
  const late = await forkWorker();
  host.attach(late.child);
  assert.equal(await late.run({ op: 'start' }), true);
  assert.equal(await late.run({ op: 'blocked', clientIp: '203.0.113.9', now }), now + 300_000);
  await host.close();
});

test('each worker learns the others\' requests in flight, and a dead worker\'s leave the total', async () => {
  const { host, workers } = await hostWith(3);
  const [a, b, c] = workers as [TestWorker, TestWorker, TestWorker];
  await a.run({ op: 'inflight', count: 5 });
  await b.run({ op: 'inflight', count: 2 });
  await eventually(async () => (await c.run<number>({ op: 'others' })) === 7, 'c sees 7 in flight elsewhere');
  await eventually(async () => (await a.run<number>({ op: 'others' })) === 2, 'a sees 2 in flight elsewhere');
  a.child.kill('SIGKILL');
  await once(a.child, 'exit');
  await eventually(async () => (await c.run<number>({ op: 'others' })) === 2, 'c no longer counts the dead worker');
  assert.equal(host.inflight, 2);
  await host.close();
});

test('a primary that does not answer: calls fail after the timeout, then at once, and resume when it answers', async () => {
  const worker = await forkWorker({ COUNTER_TIMEOUT_MS: '200' });
  const started = Date.now();
  await assert.rejects(worker.run({ op: 'consume', spec, now: started, times: 2 }), { kind: 'CounterHostUnavailable', message: /did not answer within 200 ms/ });
  // Within the retry window the next call fails at once, without waiting for the timeout again.
  await assert.rejects(worker.run({ op: 'acquire', key: 'k', max: 1 }), { kind: 'CounterHostUnavailable', message: /failed to answer recently/ });
  const host = new CounterHost({ bruteForce });
  host.attach(worker.child);
  await eventually(async () => (await worker.run<number>({ op: 'consume', spec, now: started, times: 1 }).catch(() => -1)) === 1, 'the worker is answered again');
  const { health, failedCalls } = await worker.run<{ health: Array<{ up: boolean; reason?: string }>; failedCalls: string[] }>({ op: 'health' });
  assert.equal(health[0]!.up, false);
  assert.match(health[0]!.reason!, /did not answer within 200 ms/);
  assert.equal(health.at(-1)!.up, true);
  assert.deepEqual(failedCalls.slice(0, 3), ['consume', 'consume', 'acquire']);
  await host.close();
});
