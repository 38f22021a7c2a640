/**
 * What the admin API shows of stored records. Every timestamp the admin API answers with is an
 * RFC 3339 / ISO 8601 UTC string (`2026-11-30T08:15:00.000Z`), whatever the entity: the store
 * keeps epoch milliseconds, and they are converted here, at the boundary, in one way.
 */
import type { Consumer } from '../store/repositories.js';
import type { RateLimitOverride } from '../store/rate-limit-overrides.js';

/** Epoch milliseconds → ISO 8601 UTC. */
export function isoTime(ms: number): string {
  return new Date(ms).toISOString();
}

export type ConsumerView = Omit<Consumer, 'createdAt' | 'updatedAt'> & { createdAt: string; updatedAt: string };

export function consumerView(consumer: Consumer): ConsumerView {
  return { ...consumer, createdAt: isoTime(consumer.createdAt), updatedAt: isoTime(consumer.updatedAt) };
}

export type OverrideView = Omit<RateLimitOverride, 'createdAt' | 'updatedAt'> & { createdAt: string; updatedAt: string };

export function overrideView(override: RateLimitOverride): OverrideView {
  return { ...override, createdAt: isoTime(override.createdAt), updatedAt: isoTime(override.updatedAt) };
}
