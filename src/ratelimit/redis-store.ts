/**
 * Rate-limit state shared by every node through Redis. One Lua script checks and spends every
 * limit of a request atomically, in one round trip: no read-then-write race between nodes. The
 * arithmetic is gcra.ts's, step for step (a test feeds both the same inputs).
 *
 * Times come from the gateway's clock, not Redis's, so tests can drive them; nodes are expected to
 * run NTP (a node whose clock runs δ ahead can admit δ × rate extra units, see docs/rate-limits.md).
 * Keys expire when their budget is whole again, so idle keys cost nothing.
 *
 * Failures are never hidden: a command that fails (Redis down, slow, refusing) throws
 * RateLimitStoreUnavailable, the store logs the outage and its recovery (at most once per 30 s
 * each, however Redis flaps), and keeps the `portcullis_ratelimit_store_up` gauge; the policy then
 * applies its configured fallback. After a failure Redis is not asked again for RETRY_AFTER_MS
 * (a hung Redis must not cost every request the whole command timeout); then one request probes
 * it. Repeated timeouts on a connection that looks fine force a reconnect, and TCP keep-alive
 * finds a half-open connection, so shared limits resume by themselves.
 */
import { Redis } from 'ioredis';
import type { Logger } from '../observability/logger.js';
import type { Decision, LimitSpec, LimitState, RateLimitStore } from '../core/rate-limit.js';

// KEYS: one bucket per limit, each stored as "<level> <at>". ARGV[1]: now (ms); then per limit:
// limit, windowMs, burst, cost. Returns: index of the refusing limit (0: admitted), the wait in ms,
// then per limit: remaining units and ms until empty.
const GCRA_SCRIPT = `
local now = tonumber(ARGV[1])
local eps = 1e-6
local n = #KEYS
local levels, intervals, bursts, costs = {}, {}, {}, {}
local refused, retry = 0, 0
for i = 1, n do
  local b = 1 + (i - 1) * 4
  local limit, window, burst, cost = tonumber(ARGV[b + 1]), tonumber(ARGV[b + 2]), tonumber(ARGV[b + 3]), tonumber(ARGV[b + 4])
  local interval = window / limit
  local level = 0
  local stored = redis.call('GET', KEYS[i])
  if stored then
    local l, at = string.match(stored, '^(%S+) (%S+)$')
    level = math.max(0, tonumber(l) - math.max(0, now - tonumber(at)) / interval)
  end
  levels[i], intervals[i], bursts[i], costs[i] = level, interval, burst, cost
  local excess = level + cost - burst
  if excess > eps then
    local r = excess * interval
    if refused == 0 or r > retry then refused, retry = i, r end
  end
end
local out = { refused, math.ceil(retry - eps) }
for i = 1, n do
  local standing = levels[i]
  if refused == 0 then
    standing = levels[i] + costs[i]
    redis.call('SET', KEYS[i], string.format('%.17g %.17g', standing, now), 'PX', math.ceil(standing * intervals[i]) + 1)
  end
  local remaining = math.floor(bursts[i] - standing + eps)
  if remaining < 0 or refused == i then remaining = 0 end
  out[#out + 1] = remaining
  out[#out + 1] = math.ceil(standing * intervals[i] - eps)
end
return out
`;

export class RateLimitStoreUnavailable extends Error {}

export interface RedisStoreOptions {
  readonly url: string;
  readonly password: string | undefined;
  readonly keyPrefix: string;
  readonly connectTimeoutMs: number;
  readonly commandTimeoutMs: number;
  readonly logger: Logger;
  /** Told of every failure (with its message) and of every change back to reachable. */
  readonly onHealth: (up: boolean, reason?: string) => void;
}

interface GcraClient extends Redis {
  portcullisGcra(keyCount: number, ...args: Array<string | number>): Promise<number[]>;
}

/** Outage and recovery are each logged at most this often, however Redis flaps. */
const OUTAGE_LOG_INTERVAL_MS = 30_000;
/** After a failure, answer from the fallback for this long before trying Redis again. */
const RETRY_AFTER_MS = 1000;
/** Failed commands in a row on a "ready" connection after which it is torn down and reopened. */
const RECONNECT_AFTER_FAILURES = 3;

export class RedisRateLimitStore implements RateLimitStore {
  readonly #client: GcraClient;
  #up: boolean | undefined;
  #outageLoggedAt = Number.NEGATIVE_INFINITY;
  #recoveryLoggedAt = Number.NEGATIVE_INFINITY;
  /** An outage was logged and its recovery not yet. */
  #outageOpen = false;
  #retryAt = 0;
  #failuresInRow = 0;

  constructor(private readonly options: RedisStoreOptions) {
    this.#client = new Redis(options.url, {
      password: options.password,
      keyPrefix: options.keyPrefix,
      connectTimeout: options.connectTimeoutMs,
      commandTimeout: options.commandTimeoutMs,
      // A command while disconnected fails at once (the fallback answers) instead of queueing
      // until the request times out; one attempt, no retries inside a request.
      enableOfflineQueue: false,
      maxRetriesPerRequest: 0,
      keepAlive: 10_000,
      // Keep reconnecting, at most every 2 s, so shared limits resume by themselves.
      retryStrategy: (attempt) => Math.min(attempt * 100, 2000),
      lazyConnect: true,
    }) as GcraClient;
    this.#client.defineCommand('portcullisGcra', { lua: GCRA_SCRIPT });
    this.#client.on('error', (error: Error) => this.#markDown(error));
    this.#client.on('ready', () => this.#markUp());
  }

  /** Connects; a failure is logged and reported, not thrown: the fallback serves meanwhile. */
  async connect(): Promise<void> {
    await this.#client.connect().catch((error: Error) => this.#markDown(error));
  }

  get up(): boolean {
    return this.#up === true;
  }

  async consume(specs: readonly LimitSpec[], now: number): Promise<Decision> {
    if (this.#client.status !== 'ready') throw new RateLimitStoreUnavailable(`redis is ${this.#client.status}`);
    if (Date.now() < this.#retryAt) throw new RateLimitStoreUnavailable('redis failed recently; retrying shortly');
    const args: Array<string | number> = [now];
    for (const spec of specs) args.push(spec.limit, spec.windowMs, spec.burst, spec.cost);
    let reply: number[];
    try {
      reply = await this.#client.portcullisGcra(specs.length, ...specs.map((spec) => spec.key), ...args);
    } catch (error) {
      this.#retryAt = Date.now() + RETRY_AFTER_MS;
      if (++this.#failuresInRow >= RECONNECT_AFTER_FAILURES) {
        this.#failuresInRow = 0;
        this.#client.disconnect(true);
      }
      this.#markDown(error as Error);
      throw new RateLimitStoreUnavailable((error as Error).message);
    }
    this.#failuresInRow = 0;
    this.#markUp();
    const states: LimitState[] = specs.map((spec, i) => ({ name: spec.name, limit: spec.limit, windowMs: spec.windowMs, burst: spec.burst, remaining: Number(reply[2 + i * 2]), resetMs: Number(reply[3 + i * 2]) }));
    const refused = Number(reply[0]);
    if (refused === 0) return { allowed: true, states };
    return { allowed: false, states, limitName: specs[refused - 1]!.name, retryAfterMs: Number(reply[1]) };
  }

  #markDown(error: Error): void {
    const now = Date.now();
    if (now - this.#outageLoggedAt >= OUTAGE_LOG_INTERVAL_MS) {
      this.#outageLoggedAt = now;
      this.#outageOpen = true;
      this.options.logger.error({ event: 'ratelimit.store_unavailable', err: { message: error.message } }, 'Redis for rate limits is unreachable: policies apply their fallback (onStoreFailure)');
    }
    this.options.onHealth(false, error.message);
    this.#up = false;
  }

  #markUp(): void {
    if (this.#up === true) return;
    const now = Date.now();
    if (this.#outageOpen && now - this.#recoveryLoggedAt >= OUTAGE_LOG_INTERVAL_MS) {
      this.#recoveryLoggedAt = now;
      this.#outageOpen = false;
      this.options.logger.warn({ event: 'ratelimit.store_recovered' }, 'Redis for rate limits is back: shared limits resume');
    }
    this.#up = true;
    this.#retryAt = 0;
    this.options.onHealth(true);
  }

  async close(): Promise<void> {
    this.#client.removeAllListeners('error');
    this.#client.on('error', () => {});
    await this.#client.quit().catch(() => this.#client.disconnect());
  }
}
