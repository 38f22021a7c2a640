/**
 * Redis, live: connect (TLS for rediss://, AUTH with the configured password) and PING, bounded by
 * the probe timeout. A Redis that does not answer means shared rate limits fall back to their
 * onStoreFailure answer on every node and credential refresh locks are per node.
 */
import { Redis } from 'ioredis';
import { SecretValue } from '../../../config/secret.js';
import { CHECKLIST, defineCheck, finding, OWASP } from '../check.js';
import { within } from '../live-store.js';

export const redisCheck = defineCheck(
  'redis',
  {
    unreachable: {
      id: 'PF-REDIS-003',
      severity: 'high',
      title: 'Redis does not answer (connect, AUTH and PING)',
      why: `${OWASP.API4}; ${CHECKLIST.infrastructure}`,
      fix: 'Check redis.url, redis.password and the network path from the gateway host; until Redis answers, limits with store: redis use their onStoreFailure fallback.',
    },
  },
  async ({ config, offline, secretsResolved, timeoutMs }, rules) => {
    const section = config.redis;
    if (!section || offline || (section.password !== undefined && !(section.password instanceof SecretValue && secretsResolved))) return [];
    const client = new Redis(section.url, {
      password: section.password?.reveal(),
      connectTimeout: Math.min(section.connectTimeoutMs, timeoutMs),
      commandTimeout: timeoutMs,
      enableOfflineQueue: false,
      maxRetriesPerRequest: 0,
      retryStrategy: () => null,
      lazyConnect: true,
    });
    // Connection errors are the outcome read below; unhandled 'error' events would crash the run.
    client.on('error', () => {});
    try {
      await within(timeoutMs + 1000, 'redis', client.connect().then(() => client.ping()));
      return [];
    } catch (error) {
      const url = new URL(section.url);
      return [finding(rules.unreachable, `Redis at ${url.host} does not answer: ${(error as Error).message.split('\n')[0]}`, { path: 'redis.url', url: `${url.protocol}//${url.host}` })];
    } finally {
      client.disconnect();
    }
  },
);
