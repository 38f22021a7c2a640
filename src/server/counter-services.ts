/**
 * Under `--workers`: the worker's side of the limits that hold across workers. The gateway is
 * handed the IPC channel to the primary (`GatewayOptions.sharedCounters`); this opens the counter
 * client on it and builds, from it, what the policies and the admin API count with: the rate-limit
 * store and concurrency slots (the primary's memory), and the brute-force throttles (the primary
 * counts; this worker checks a replica of the blocks). Redis, when a policy uses it, stays that
 * policy's store: it spans processes already.
 *
 * The primary's health is the dependency `counters` (DependencyHealth: logged, gauged, on
 * /readyz); each call it did not answer in time is counted in
 * `portcullis_counter_host_failed_calls_total` and answered by the documented fallback.
 */
import type { FailureThrottleOptions } from '../security/failure-throttle.js';
import { SharedFailureThrottle } from '../security/shared-failure-throttle.js';
import { ConcurrencyCounter } from '../ratelimit/concurrency.js';
import { CounterClient } from '../ratelimit/counter-client.js';
import type { CounterChannel } from '../ratelimit/counter-protocol.js';
import { HostConcurrencySlots, HostRateLimitStore } from '../ratelimit/host-stores.js';
import { MemoryRateLimitStore } from '../ratelimit/memory-store.js';
import type { DependencyHealth } from '../observability/dependency-health.js';
import type { GatewayMetrics } from '../observability/metrics.js';

export interface SharedCountersOptions {
  /** The IPC channel to the primary: `process` in a cluster worker. */
  readonly channel: CounterChannel;
  /** How long a batch of calls waits for the primary before its fallback answers (default 500 ms). */
  readonly timeoutMs?: number;
}

export interface SharedCounters {
  readonly client: CounterClient;
  readonly authFailures: SharedFailureThrottle;
  /** The admin API's own count (always on), kept apart from the data plane's. */
  readonly adminFailures: SharedFailureThrottle;
  readonly rateLimits: {
    readonly local: HostRateLimitStore;
    readonly concurrency: HostConcurrencySlots;
    readonly lastResort: { readonly store: MemoryRateLimitStore; readonly concurrency: ConcurrencyCounter };
  };
}

/**
 * This worker's IPC channel to the primary (`process`, whose `send` exists only in a forked
 * process). False only when the channel is closed: `process.send` also answers false when its
 * queue is long, yet delivers the message, which must not count as the primary's failure.
 */
export function processChannel(): CounterChannel {
  return {
    send: (message) => {
      if (!process.connected || !process.send) return false;
      // A send that fails after the check (the primary died) goes to the callback, not to an
      // 'error' event that would crash the worker: the call then times out and takes the
      // policy's onStoreFailure, logged and counted (ratelimit/counter-client.ts).
      process.send(message, undefined, {}, () => {});
      return true;
    },
    on: (event, listener) => process.on(event, listener),
    off: (event, listener) => process.off(event, listener),
  };
}

/** Opens the client and says hello; a primary that does not answer is reported, not fatal. */
export async function openSharedCounters(options: SharedCountersOptions, bruteForce: FailureThrottleOptions, health: DependencyHealth, metrics: GatewayMetrics): Promise<SharedCounters> {
  health.register('counters');
  const client = new CounterClient({
    channel: options.channel,
    timeoutMs: options.timeoutMs,
    onHealth: (up, reason) => (up ? health.up('counters') : health.down('counters', reason ?? 'no answer')),
    onCallFailed: (call) => metrics.counterCallsFailed.inc({ call }),
  });
  await client.start();
  return {
    client,
    authFailures: new SharedFailureThrottle(client, 'data', bruteForce),
    adminFailures: new SharedFailureThrottle(client, 'admin', { ...bruteForce, enabled: true }),
    rateLimits: {
      local: new HostRateLimitStore(client),
      concurrency: new HostConcurrencySlots(client),
      lastResort: { store: new MemoryRateLimitStore(), concurrency: new ConcurrencyCounter() },
    },
  };
}
