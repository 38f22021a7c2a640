/**
 * The messages between a worker's counter client (counter-client.ts) and the primary's counter
 * host (counter-host.ts), over node:cluster's IPC channel (or any channel with the same shape:
 * child_process.fork's). The channel is shared with the cluster code, so every message is an
 * object whose `kind` starts with `portcullis.counters.`; each side ignores every other kind
 * (the contract between the two: docs/operations.md#workers).
 *
 * Calls are batched: a worker sends the calls of one event-loop turn in one message, and the host
 * answers a batch in one message, so the IPC cost is paid per turn, not per request. Everything is
 * plain JSON (the channel's default serialization).
 */
import type { Decision, LimitSpec } from '../core/rate-limit.js';

/** The prefix of every message this protocol sends; anything else on the channel is not ours. */
export const COUNTERS_KIND_PREFIX = 'portcullis.counters.';

/** Which brute-force count a failure belongs to: the data plane's or the admin API's own. */
export type ThrottleScope = 'data' | 'admin';

/** One call inside a batch. Calls with an `id` get a reply; `release` does not. */
export type CounterCall =
  | { readonly id: number; readonly op: 'consume'; readonly specs: readonly LimitSpec[]; readonly now: number }
  | { readonly id: number; readonly op: 'acquire'; readonly key: string; readonly max: number }
  | { readonly op: 'release'; readonly key: string }
  | { readonly id: number; readonly op: 'failure'; readonly scope: ThrottleScope; readonly clientIp: string; readonly now: number };

export type CounterReply =
  | { readonly id: number; readonly decision: Decision }
  | { readonly id: number; readonly acquired: boolean }
  | { readonly id: number; readonly blockStarted: boolean };

/** A block for a client bucket (clientBucket of its IP), until a time in ms. */
export interface BlockEntry {
  readonly scope: ThrottleScope;
  readonly bucket: string;
  readonly untilMs: number;
}

export type WorkerToHost =
  /** First message of a client: the host answers with `state`. */
  | { readonly kind: 'portcullis.counters.hello' }
  /** The calls of one turn; `inflight`: this worker's requests in flight, when it changed. */
  | { readonly kind: 'portcullis.counters.batch'; readonly calls: readonly CounterCall[]; readonly inflight?: number }
  /** The worker has applied broadcast `block` number `id`. */
  | { readonly kind: 'portcullis.counters.ack'; readonly id: number };

export type HostToWorker =
  /** Blocks in force and the other workers' in-flight total, in answer to hello. */
  | { readonly kind: 'portcullis.counters.state'; readonly blocks: readonly BlockEntry[]; readonly othersInFlight: number }
  | { readonly kind: 'portcullis.counters.replies'; readonly replies: readonly CounterReply[] }
  /** A block started: every worker applies it to its replica, then acks. */
  | { readonly kind: 'portcullis.counters.block'; readonly id: number; readonly block: BlockEntry }
  /** Requests in flight on the other workers (for load shedding). */
  | { readonly kind: 'portcullis.counters.load'; readonly othersInFlight: number };

/** The channel shape both sides use: a cluster Worker or ChildProcess in the primary, `process` in a worker. */
export interface CounterChannel {
  send(message: unknown): boolean;
  on(event: 'message', listener: (message: unknown) => void): unknown;
  off(event: 'message', listener: (message: unknown) => void): unknown;
}

/** True for a message of this protocol (an object whose kind is ours). */
export function isCounterMessage(message: unknown): message is { kind: string } {
  return typeof message === 'object' && message !== null && typeof (message as { kind?: unknown }).kind === 'string' && (message as { kind: string }).kind.startsWith(COUNTERS_KIND_PREFIX);
}
