/**
 * A worker process for the counter host's tests (src/ratelimit/counter-host.test.ts): forked with
 * an IPC channel, it opens a real CounterClient on `process` and carries out what the test asks
 * in `test.do` messages, answering each with `test.done`. The test process is the primary.
 */
import { CounterClient } from '../../src/ratelimit/counter-client.js';
import type { LimitSpec } from '../../src/core/rate-limit.js';

type Command =
  | { op: 'start' }
  | { op: 'consume'; spec: LimitSpec; now: number; times: number }
  | { op: 'acquire'; key: string; max: number }
  | { op: 'release'; key: string }
  | { op: 'failure'; clientIp: string; now: number }
  | { op: 'blocked'; clientIp: string; now: number }
  | { op: 'inflight'; count: number }
  | { op: 'others' }
  | { op: 'health' }
  | { op: 'foreign' };

const health: Array<{ up: boolean; reason?: string | undefined }> = [];
const failedCalls: string[] = [];
const client = new CounterClient({
  channel: process as unknown as ConstructorParameters<typeof CounterClient>[0]['channel'],
  timeoutMs: Number(process.env.COUNTER_TIMEOUT_MS ?? 2000),
  onHealth: (up, reason) => health.push({ up, reason }),
  onCallFailed: (op) => failedCalls.push(op),
});

async function run(command: Command): Promise<unknown> {
  switch (command.op) {
    case 'start':
      return client.start();
    case 'consume': {
      // All at once: they ride in one batch, as a busy worker's calls do.
      const decisions = await Promise.all(Array.from({ length: command.times }, () => client.consume([command.spec], command.now)));
      return decisions.filter((decision) => decision.allowed).length;
    }
    case 'acquire':
      return client.acquire(command.key, command.max);
    case 'release':
      client.release(command.key);
      // Answered after the release went out (it rides the next turn's batch), so the test knows.
      await new Promise((resolve) => setImmediate(resolve));
      return true;
    case 'failure':
      return client.recordFailure('data', command.clientIp, command.now);
    case 'blocked':
      return client.blockedUntilMs('data', command.clientIp, command.now);
    case 'inflight':
      client.reportInflight(command.count);
      await new Promise((resolve) => setImmediate(resolve));
      return true;
    case 'others':
      return client.othersInFlight;
    case 'health':
      return { health, failedCalls };
    case 'foreign':
      // Another owner's message on the shared channel: the host must ignore it.
      process.send!({ kind: 'portcullis.cluster.ping' });
      return true;
  }
}

process.on('message', (message: { kind?: string; seq?: number; command?: Command }) => {
  if (message.kind !== 'test.do') return;
  run(message.command!).then(
    (result) => process.send!({ kind: 'test.done', seq: message.seq, result }),
    (error: Error) => process.send!({ kind: 'test.done', seq: message.seq, error: { name: error.constructor.name, message: error.message } }),
  );
});
process.send!({ kind: 'test.ready' });
