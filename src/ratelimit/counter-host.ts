/**
 * The counter host: with `--workers N`, the primary process keeps every in-memory limit once for
 * all workers, so no limit multiplies by N (issue #16): the memory rate-limit store, the
 * concurrency slots, the brute-force throttles (the data plane's and the admin API's) and the
 * workers' in-flight totals for load shedding. Workers reach it through counter-client.ts over the
 * IPC channel (counter-protocol.ts). Shared memory does not span node:cluster processes on Node 20,
 * so the primary's memory is the one place all workers can agree on.
 *
 * Everything here answers synchronously from memory, batch for batch; the one exception is a
 * failure that starts a block: its reply waits until every other worker has applied the block to
 * its replica (or BLOCK_ACK_TIMEOUT_MS passed), so once a client has its 401 no worker lets its
 * next attempt through. Slots held by a worker are given back when it detaches (exits).
 */
import { clientBucket } from '../net/ip-bucket.js';
import { FailureThrottle, type FailureThrottleOptions } from '../security/failure-throttle.js';
import { ConcurrencyCounter } from './concurrency.js';
import { MemoryRateLimitStore } from './memory-store.js';
import { isCounterMessage, type BlockEntry, type CounterCall, type CounterChannel, type CounterReply, type HostToWorker, type ThrottleScope, type WorkerToHost } from './counter-protocol.js';

/** A block's reply waits at most this long for the other workers' acks (a stuck worker must not hold it). */
const BLOCK_ACK_TIMEOUT_MS = 250;

export interface CounterHostOptions {
  /** The data plane's brute-force settings (config `bruteForce`; the admin API's count is always on). */
  readonly bruteForce: Omit<FailureThrottleOptions, 'maxTrackedClients'>;
  /** Most rate-limit keys kept (the memory store's LRU cap). */
  readonly maxKeys?: number;
}

interface Attached {
  readonly channel: CounterChannel;
  readonly listener: (message: unknown) => void;
  /** Concurrency slots this worker holds, by key: given back when it detaches. */
  readonly held: Map<string, number>;
  inflight: number;
  /** The other workers' total last sent to this one. */
  othersSent: number;
}

export class CounterHost {
  readonly #store: MemoryRateLimitStore;
  readonly #slots = new ConcurrencyCounter();
  readonly #throttles: Record<ThrottleScope, FailureThrottle>;
  readonly #workers = new Map<CounterChannel, Attached>();
  #nextBlockId = 1;
  /** Block broadcasts waiting for acks: id → the workers still to ack, and what to do when done. */
  readonly #awaitingAcks = new Map<number, { waiting: Set<CounterChannel>; done: () => void }>();
  #loadScheduled = false;

  constructor(options: CounterHostOptions) {
    this.#store = new MemoryRateLimitStore(options.maxKeys);
    this.#throttles = { data: new FailureThrottle(options.bruteForce), admin: new FailureThrottle({ ...options.bruteForce, enabled: true }) };
  }

  /** Serves a worker's calls (a cluster Worker, or a forked ChildProcess). Attaching twice is a no-op. */
  attach(channel: CounterChannel): void {
    if (this.#workers.has(channel)) return;
    const listener = (message: unknown) => {
      if (isCounterMessage(message)) this.#receive(attached, message as WorkerToHost);
    };
    const attached: Attached = { channel, listener, held: new Map(), inflight: 0, othersSent: 0 };
    this.#workers.set(channel, attached);
    channel.on('message', listener);
  }

  /**
   * Forgets a worker (call it when the worker exits): the concurrency slots it held are given
   * back, its requests in flight leave the total, and block broadcasts stop waiting for it.
   */
  detach(channel: CounterChannel): void {
    const attached = this.#workers.get(channel);
    if (!attached) return;
    channel.off('message', attached.listener);
    this.#workers.delete(channel);
    for (const [key, count] of attached.held) for (let i = 0; i < count; i++) this.#slots.release(key);
    attached.held.clear();
    for (const [id, pending] of this.#awaitingAcks) {
      pending.waiting.delete(channel);
      if (pending.waiting.size === 0) this.#ackComplete(id);
    }
    this.#scheduleLoad();
  }

  /** Workers attached now. */
  get workers(): number {
    return this.#workers.size;
  }

  /** Requests in flight on every worker, as last reported. */
  get inflight(): number {
    let total = 0;
    for (const worker of this.#workers.values()) total += worker.inflight;
    return total;
  }

  #receive(from: Attached, message: WorkerToHost): void {
    switch (message.kind) {
      case 'portcullis.counters.hello':
        this.#send(from, { kind: 'portcullis.counters.state', blocks: this.#activeBlocks(), othersInFlight: this.inflight - from.inflight });
        from.othersSent = this.inflight - from.inflight;
        return;
      case 'portcullis.counters.batch':
        this.#batch(from, message.calls, message.inflight);
        return;
      case 'portcullis.counters.ack': {
        const pending = this.#awaitingAcks.get(message.id);
        pending?.waiting.delete(from.channel);
        if (pending && pending.waiting.size === 0) this.#ackComplete(message.id);
        return;
      }
    }
  }

  #batch(from: Attached, calls: readonly CounterCall[], inflight: number | undefined): void {
    const replies: CounterReply[] = [];
    for (const call of calls) {
      switch (call.op) {
        case 'consume':
          replies.push({ id: call.id, decision: this.#store.consume(call.specs, call.now) });
          break;
        case 'acquire': {
          const acquired = this.#slots.tryAcquire(call.key, call.max);
          if (acquired) from.held.set(call.key, (from.held.get(call.key) ?? 0) + 1);
          replies.push({ id: call.id, acquired });
          break;
        }
        case 'release': {
          // Only what this worker holds: a confused or late release cannot free another's slot.
          const count = from.held.get(call.key) ?? 0;
          if (count === 0) break;
          if (count === 1) from.held.delete(call.key);
          else from.held.set(call.key, count - 1);
          this.#slots.release(call.key);
          break;
        }
        case 'failure':
          this.#failure(from, call);
          break;
      }
    }
    if (replies.length > 0) this.#send(from, { kind: 'portcullis.counters.replies', replies });
    if (inflight !== undefined && inflight !== from.inflight) {
      from.inflight = inflight;
      this.#scheduleLoad();
    }
  }

  /** Counts a failure; one that starts a block is answered once every worker has the block. */
  #failure(from: Attached, call: Extract<CounterCall, { op: 'failure' }>): void {
    const throttle = this.#throttles[call.scope];
    const blockStarted = throttle.recordFailure(call.clientIp, call.now);
    const reply = () => void this.#send(from, { kind: 'portcullis.counters.replies', replies: [{ id: call.id, blockStarted }] });
    if (!blockStarted) return reply();
    const id = this.#nextBlockId++;
    const block: BlockEntry = { scope: call.scope, bucket: clientBucket(call.clientIp), untilMs: throttle.blockedUntilMs(call.clientIp) };
    const waiting = new Set<CounterChannel>();
    // The recorder gets the block too, before its reply (one channel keeps order); the others ack.
    for (const worker of this.#workers.values()) {
      this.#send(worker, { kind: 'portcullis.counters.block', id, block });
      if (worker !== from) waiting.add(worker.channel);
    }
    if (waiting.size === 0) return reply();
    const timer = setTimeout(() => this.#ackComplete(id), BLOCK_ACK_TIMEOUT_MS);
    this.#awaitingAcks.set(id, {
      waiting,
      done: () => {
        clearTimeout(timer);
        reply();
      },
    });
  }

  #ackComplete(id: number): void {
    const pending = this.#awaitingAcks.get(id);
    if (!pending) return;
    this.#awaitingAcks.delete(id);
    pending.done();
  }

  #activeBlocks(): BlockEntry[] {
    const now = Date.now();
    const blocks: BlockEntry[] = [];
    for (const scope of ['data', 'admin'] as const) for (const { bucket, untilMs } of this.#throttles[scope].activeBlocks(now)) blocks.push({ scope, bucket, untilMs });
    return blocks;
  }

  /** Tells each worker the others' in-flight total when it changed, once per turn. */
  #scheduleLoad(): void {
    if (this.#loadScheduled) return;
    this.#loadScheduled = true;
    setImmediate(() => {
      this.#loadScheduled = false;
      const total = this.inflight;
      for (const worker of this.#workers.values()) {
        const others = total - worker.inflight;
        if (others === worker.othersSent) continue;
        worker.othersSent = others;
        this.#send(worker, { kind: 'portcullis.counters.load', othersInFlight: others });
      }
    });
  }

  /** False when the worker's channel is closed (it is exiting: its detach follows). */
  #send(to: Attached, message: HostToWorker): boolean {
    // A send on a closed channel would emit 'error' later, out of reach of this try.
    const channel = to.channel as CounterChannel & { connected?: boolean; isConnected?: () => boolean };
    if (channel.connected === false || channel.isConnected?.() === false) return false;
    try {
      return to.channel.send(message);
    } catch {
      return false;
    }
  }

  async close(): Promise<void> {
    for (const channel of [...this.#workers.keys()]) this.detach(channel);
    await this.#store.close();
  }
}
