/**
 * Stored consumers that no rate limit counts: routes are checked for a limit (PF-RATE-001), but a
 * route limited only per client IP or per route lets one partner's credential use the whole budget
 * from many addresses. A consumer is counted when some ratelimit policy has a limit kept per
 * consumer, API key or OAuth client. Reads the store (skipped offline or without one).
 */
import type { GatewayConfig } from '../../../config/schema.js';
import { defineCheck, finding, OWASP } from '../check.js';

/** Partitions that follow a partner's identity rather than its address. */
const IDENTITY_PARTITIONS = new Set(['consumer', 'api_key', 'client']);

/** The names of the enabled limits kept per consumer, key or client, anywhere in the config. */
export function perConsumerLimits(config: GatewayConfig): string[] {
  const blocks = [config.policies, ...config.routes.map((route) => route.policies)];
  const names = new Set<string>();
  for (const block of blocks) {
    const ratelimit = block.ratelimit;
    if (!ratelimit || ratelimit.enabled === false) continue;
    const limits = (ratelimit.limits as Array<{ name: string; by: string[] }> | undefined) ?? [];
    for (const limit of limits) if (limit.by.some((partition) => IDENTITY_PARTITIONS.has(partition))) names.add(limit.name);
  }
  return [...names];
}

export const consumersCheck = defineCheck(
  'consumers',
  {
    consumerUnlimited: {
      id: 'PF-RATE-002',
      severity: 'medium',
      title: 'An active consumer in the store that no rate limit counts (no limit is kept per consumer, API key or client)',
      why: OWASP.API4,
      fix: 'Add a limit with `by: [consumer]` (the default) to the ratelimit policy, globally or on the routes consumers call; `portcullis limits set` then tunes it per consumer.',
    },
  },
  async ({ config, store }, rules) => {
    if (perConsumerLimits(config).length > 0) return [];
    const db = await store();
    if (!db) return [];
    const consumers = await db.db.selectFrom('consumers').select(['id', 'name']).where('status', '=', 'active').orderBy('id').execute();
    const limited = config.routes.some((route) => (route.policies.ratelimit ?? config.policies.ratelimit)?.enabled !== false && (route.policies.ratelimit ?? config.policies.ratelimit) !== undefined);
    const what = limited ? 'only per client IP, route or header limits apply' : 'no route has a rate limit';
    return consumers.map((consumer) => finding(rules.consumerUnlimited, `consumer ${consumer.id} (${consumer.name}) is counted by no rate limit: ${what}`, { entity: `consumer ${consumer.id}`, path: 'policies.ratelimit' }));
  },
);
