/**
 * The rate-limit services a gateway opens (services.ts): the memory store (under --workers, the
 * primary's, shared by every worker), Redis when configured, the concurrency counter, and the
 * metrics every refusal, fallback and usage reading is counted in.
 */
import type { RateLimitServices } from '../core/services.js';
import type { GatewayConfig } from '../config/schema.js';
import type { Logger } from '../observability/logger.js';
import type { GatewayMetrics } from '../observability/metrics.js';
import type { DependencyHealth } from '../observability/dependency-health.js';
import { ConcurrencyCounter } from '../ratelimit/concurrency.js';
import { MemoryRateLimitStore } from '../ratelimit/memory-store.js';
import type { RedisRateLimitStore } from '../ratelimit/redis-store.js';
import type { SharedCounters } from './counter-services.js';

/**
 * The rate-limit stores: memory always (the memory store and the local fallback), Redis when
 * configured. An unreachable Redis at start is not fatal: it is logged and the policies' fallback
 * serves until it answers.
 */
export async function openRateLimits(config: GatewayConfig, logger: Logger, metrics: GatewayMetrics, health: DependencyHealth, counters: SharedCounters | undefined): Promise<RateLimitServices & { close(): Promise<void> }> {
  // Under --workers, this node's memory is the primary's (shared by every worker).
  const local = counters?.rateLimits.local ?? new MemoryRateLimitStore();
  let shared: RedisRateLimitStore | undefined;
  if (config.redis) {
    metrics.rateLimitStoreUp.set(0);
    // Loaded only when Redis is configured: ioredis costs ~0.1 s of start-up CPU (issue 16).
    const { RedisRateLimitStore } = await import('../ratelimit/redis-store.js');
    shared = new RedisRateLimitStore({
      url: config.redis.url,
      password: config.redis.password?.reveal(),
      keyPrefix: config.redis.keyPrefix,
      connectTimeoutMs: config.redis.connectTimeoutMs,
      commandTimeoutMs: config.redis.commandTimeoutMs,
      logger,
      onHealth: (up, reason) => {
        metrics.rateLimitStoreUp.set(up ? 1 : 0);
        if (up) health.up('redis');
        else health.down('redis', reason ?? 'failed');
      },
    });
    await shared.connect();
  }
  return {
    local,
    shared,
    overrides: undefined,
    concurrency: counters?.rateLimits.concurrency ?? new ConcurrencyCounter(),
    ...(counters ? { lastResort: counters.rateLimits.lastResort } : {}),
    fallbackUsed: (route, mode) => metrics.rateLimitFallbacks.inc({ route, mode }),
    refused: (route, limit) => metrics.rateLimited.inc({ route, limit }),
    usage: (route, limit, consumer, used) => metrics.limitUsage(route, limit, consumer, used),
    async close() {
      await shared?.close();
      await local.close();
      counters?.client.close();
    },
  };
}
