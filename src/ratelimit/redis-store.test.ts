import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { pino } from 'pino';
import { REDIS_URL, redisTestPrefix, skipWithoutRedis } from '../../test/helpers/services.js';
import type { LimitSpec } from '../core/rate-limit.js';
import { decide, type BucketState } from './gcra.js';
import { RedisRateLimitStore } from './redis-store.js';

describe('the Redis store', { skip: skipWithoutRedis }, () => {
  let store: RedisRateLimitStore;
  before(async () => {
    store = new RedisRateLimitStore({ url: REDIS_URL, password: undefined, keyPrefix: redisTestPrefix(), connectTimeoutMs: 1000, commandTimeoutMs: 1000, logger: pino({ level: 'silent' }), onHealth: () => {} });
    await store.connect();
  });
  after(() => store.close());

  test('decides exactly as the in-process algorithm on the same inputs (the Lua script is gcra.ts)', async () => {
    // A pseudo-random walk of requests over three limits, with costs and uneven gaps.
    let seed = 42;
    const random = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
    const specs: LimitSpec[] = [
      { key: 'a', name: 'fast', limit: 5, windowMs: 1000, burst: 5, cost: 1 },
      { key: 'b', name: 'slow', limit: 20, windowMs: 60_000, burst: 8, cost: 1 },
      { key: 'c', name: 'odd', limit: 7, windowMs: 3000, burst: 7, cost: 1 },
    ];
    const stored: Array<BucketState | undefined> = [undefined, undefined, undefined];
    let now = 1_700_000_000_000;
    for (let step = 0; step < 300; step++) {
      now += Math.floor(random() * 400);
      const cost = 1 + Math.floor(random() * 3);
      const current = specs.map((spec) => ({ ...spec, cost }));
      const expected = decide(current, stored, now);
      const actual = await store.consume(current, now);
      assert.deepEqual(actual, expected.decision, `step ${step}`);
      if (expected.newStates) expected.newStates.forEach((state, i) => (stored[i] = state));
    }
  });

  test('refuses cleanly and says so when Redis cannot be reached', async () => {
    const down = new RedisRateLimitStore({ url: 'redis://127.0.0.1:1', password: undefined, keyPrefix: 'x:', connectTimeoutMs: 200, commandTimeoutMs: 200, logger: pino({ level: 'silent' }), onHealth: () => {} });
    await down.connect();
    await assert.rejects(down.consume([{ key: 'k', name: 'n', limit: 1, windowMs: 1000, burst: 1, cost: 1 }], 0), /redis is/);
    assert.equal(down.up, false);
    await down.close();
  });
});
