/**
 * A worker's end of the counter host (counter-host.ts): it sends the calls of one event-loop turn
 * in one IPC message (so a busy worker pays one message per turn, not one per request), matches
 * the host's replies to their calls, keeps a replica of the brute-force blocks in force (so the
 * check on every authenticated request stays in memory) and the other workers' in-flight total
 * (for load shedding).
 *
 * The primary may not answer (stuck, or gone): each batch has a timeout (`timeoutMs`); its calls
 * then fail with CounterHostUnavailable and the caller applies its documented fallback (the
 * ratelimit policy's `onStoreFailure`; this worker's own brute-force count). After a failure the
 * host is not asked again for RETRY_AFTER_MS, so a stuck primary costs each request nothing more;
 * then the next batch probes it. Outage and recovery are reported through `onHealth`
 * (DependencyHealth "counters": logged, counted, on /readyz), and each failed call through
 * `onCallFailed` (a metric).
 */
import type { Decision, LimitSpec } from '../core/rate-limit.js';
import { clientBucket } from '../net/ip-bucket.js';
import { isCounterMessage, type BlockEntry, type CounterCall, type CounterChannel, type CounterReply, type HostToWorker, type ThrottleScope } from './counter-protocol.js';

/** After a failed batch, calls fail at once for this long before the host is asked again. */
export const RETRY_AFTER_MS = 1000;
/** The default wait for the primary's answer to a batch. */
export const DEFAULT_COUNTER_TIMEOUT_MS = 500;
/** Most acquires whose late answers are still watched for (a late granted slot is given back). */
const MAX_ABANDONED = 10_000;
/** Most blocks kept in the replica (the host's own throttle has its own cap). */
const MAX_REPLICA_BLOCKS = 100_000;

export class CounterHostUnavailable extends Error {}

export type CounterOp = 'consume' | 'acquire' | 'failure';

export interface CounterClientOptions {
  /** `process` in a cluster worker. */
  readonly channel: CounterChannel;
  readonly timeoutMs?: number;
  /** Told of every failure (with its reason) and of every answer after one. */
  readonly onHealth?: (up: boolean, reason?: string) => void;
  /** Told of each call that failed: its caller answered from a fallback. */
  readonly onCallFailed?: (op: CounterOp) => void;
}

interface Pending {
  readonly op: CounterOp;
  readonly resolve: (reply: CounterReply) => void;
  readonly reject: (error: Error) => void;
  /** For an acquire: its key, so a slot granted after the timeout can be given back. */
  readonly key?: string;
}

export class CounterClient {
  readonly #channel: CounterChannel;
  readonly #timeoutMs: number;
  readonly #pending = new Map<number, Pending>();
  readonly #abandoned = new Map<number, string>();
  #queue: CounterCall[] = [];
  #flushScheduled = false;
  #nextId = 1;
  #retryAt = 0;
  #up = true;
  #inflight = 0;
  #inflightSent = 0;
  #inflightStep = 1;
  #othersInFlight = 0;
  readonly #blocks: Record<ThrottleScope, Map<string, number>> = { data: new Map(), admin: new Map() };
  readonly #listener = (message: unknown) => {
    if (isCounterMessage(message)) this.#receive(message as HostToWorker);
  };
  #ready: { promise: Promise<boolean>; resolve: (ok: boolean) => void };

  constructor(private readonly options: CounterClientOptions) {
    this.#channel = options.channel;
    this.#timeoutMs = options.timeoutMs ?? DEFAULT_COUNTER_TIMEOUT_MS;
    let resolve!: (ok: boolean) => void;
    this.#ready = { promise: new Promise<boolean>((r) => (resolve = r)), resolve };
    this.#channel.on('message', this.#listener);
  }

  /**
   * Says hello and waits (at most timeoutMs) for the blocks in force and the others' load, so a
   * new worker starts with what the others know. False when the host did not answer (the worker
   * serves anyway; its calls fall back until the host answers).
   */
  async start(): Promise<boolean> {
    if (!this.#sendNow({ kind: 'portcullis.counters.hello' })) return false;
    const timer = setTimeout(() => this.#ready.resolve(false), this.#timeoutMs);
    const ok = await this.#ready.promise;
    clearTimeout(timer);
    if (!ok) this.#failed('the primary did not answer hello');
    return ok;
  }

  consume(specs: readonly LimitSpec[], now: number): Promise<Decision> {
    return this.#call('consume', (id) => ({ id, op: 'consume', specs, now })).then((reply) => (reply as { decision: Decision }).decision);
  }

  acquire(key: string, max: number): Promise<boolean> {
    return this.#call('acquire', (id) => ({ id, op: 'acquire', key, max }), key).then((reply) => (reply as { acquired: boolean }).acquired);
  }

  release(key: string): void {
    this.#enqueue({ op: 'release', key });
  }

  /** Counts a failure at the host; resolves once every worker knows of a block it starts. */
  recordFailure(scope: ThrottleScope, clientIp: string, now: number): Promise<boolean> {
    return this.#call('failure', (id) => ({ id, op: 'failure', scope, clientIp, now })).then((reply) => (reply as { blockStarted: boolean }).blockStarted);
  }

  /** When a block known to this worker ends for the client's bucket, in ms (0: not blocked). */
  blockedUntilMs(scope: ThrottleScope, clientIp: string, now: number): number {
    const blocks = this.#blocks[scope];
    if (blocks.size === 0) return 0;
    const bucket = clientBucket(clientIp);
    const until = blocks.get(bucket) ?? 0;
    if (until > 0 && until <= now) blocks.delete(bucket);
    return until > now ? until : 0;
  }

  /**
   * This worker's requests in flight; sent with the next batch once it moved `step` or more from
   * what the primary last heard (a step of 1% of the limit keeps the total within 1% per worker
   * while a steady load sends nothing).
   */
  reportInflight(count: number, step = 1): void {
    this.#inflight = count;
    this.#inflightStep = step;
    if (Math.abs(count - this.#inflightSent) >= step) this.#scheduleFlush();
  }

  /** Requests in flight on the other workers, as last told (0 while the host does not answer). */
  get othersInFlight(): number {
    return this.#up ? this.#othersInFlight : 0;
  }

  get up(): boolean {
    return this.#up;
  }

  close(): void {
    this.#channel.off('message', this.#listener);
    for (const pending of this.#pending.values()) pending.reject(new CounterHostUnavailable('the gateway is closing'));
    this.#pending.clear();
  }

  #call(op: CounterOp, build: (id: number) => CounterCall, key?: string): Promise<CounterReply> {
    if (Date.now() < this.#retryAt) {
      this.options.onCallFailed?.(op);
      return Promise.reject(new CounterHostUnavailable('the primary failed to answer recently; retrying shortly'));
    }
    const id = this.#nextId++;
    return new Promise<CounterReply>((resolve, reject) => {
      this.#pending.set(id, { op, resolve, reject, key });
      this.#enqueue(build(id));
    });
  }

  #enqueue(call: CounterCall): void {
    this.#queue.push(call);
    this.#scheduleFlush();
  }

  #scheduleFlush(): void {
    if (this.#flushScheduled) return;
    this.#flushScheduled = true;
    // After this turn's I/O callbacks: every request read in this turn rides in one message.
    setImmediate(() => this.#flush());
  }

  #flush(): void {
    this.#flushScheduled = false;
    const calls = this.#queue;
    this.#queue = [];
    const inflight = Math.abs(this.#inflight - this.#inflightSent) >= this.#inflightStep ? this.#inflight : undefined;
    if (calls.length === 0 && inflight === undefined) return;
    if (inflight !== undefined) this.#inflightSent = inflight;
    const ids = calls.flatMap((call) => ('id' in call ? [call.id] : []));
    if (!this.#sendNow({ kind: 'portcullis.counters.batch', calls, ...(inflight === undefined ? {} : { inflight }) })) {
      this.#fail(ids, 'the IPC channel to the primary is closed');
      return;
    }
    if (ids.length === 0) return;
    // One timer per batch, not per call.
    setTimeout(() => {
      const late = ids.filter((id) => this.#pending.has(id));
      if (late.length > 0) this.#fail(late, `the primary did not answer within ${this.#timeoutMs} ms`);
    }, this.#timeoutMs).unref();
  }

  /** Fails these calls: their callers take their fallback; the host rests for RETRY_AFTER_MS. */
  #fail(ids: readonly number[], reason: string): void {
    for (const id of ids) {
      const pending = this.#pending.get(id);
      if (!pending) continue;
      this.#pending.delete(id);
      if (pending.key !== undefined) this.#abandon(id, pending.key);
      this.options.onCallFailed?.(pending.op);
      pending.reject(new CounterHostUnavailable(reason));
    }
    this.#failed(reason);
  }

  #failed(reason: string): void {
    this.#retryAt = Date.now() + RETRY_AFTER_MS;
    this.#up = false;
    this.options.onHealth?.(false, reason);
  }

  #abandon(id: number, key: string): void {
    this.#abandoned.set(id, key);
    if (this.#abandoned.size > MAX_ABANDONED) this.#abandoned.delete(this.#abandoned.keys().next().value!);
  }

  #sendNow(message: object): boolean {
    try {
      return this.#channel.send(message);
    } catch {
      return false;
    }
  }

  #receive(message: HostToWorker): void {
    switch (message.kind) {
      case 'portcullis.counters.state':
        for (const block of message.blocks) this.#applyBlock(block);
        this.#othersInFlight = message.othersInFlight;
        this.#answered();
        this.#ready.resolve(true);
        return;
      case 'portcullis.counters.replies':
        this.#answered();
        for (const reply of message.replies) this.#settle(reply);
        return;
      case 'portcullis.counters.block':
        this.#applyBlock(message.block);
        this.#sendNow({ kind: 'portcullis.counters.ack', id: message.id });
        return;
      case 'portcullis.counters.load':
        this.#othersInFlight = message.othersInFlight;
        return;
    }
  }

  #settle(reply: CounterReply): void {
    const pending = this.#pending.get(reply.id);
    if (pending) {
      this.#pending.delete(reply.id);
      pending.resolve(reply);
      return;
    }
    // Answered after its timeout: the caller took a fallback, so a slot granted now is given back.
    const key = this.#abandoned.get(reply.id);
    if (key === undefined) return;
    this.#abandoned.delete(reply.id);
    if ('acquired' in reply && reply.acquired) this.release(key);
  }

  #answered(): void {
    if (this.#up) return;
    this.#up = true;
    this.#retryAt = 0;
    this.options.onHealth?.(true);
  }

  #applyBlock(block: BlockEntry): void {
    const blocks = this.#blocks[block.scope];
    blocks.delete(block.bucket);
    blocks.set(block.bucket, block.untilMs);
    if (blocks.size > MAX_REPLICA_BLOCKS) blocks.delete(blocks.keys().next().value!);
  }
}
