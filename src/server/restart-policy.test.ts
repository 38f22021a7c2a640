import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { ManualClock } from '../core/clock.js';
import { RestartPolicy } from './restart-policy.js';

describe('worker restart policy', () => {
  test('replaces a worker that dies once at once, and backs off exponentially up to the cap while they keep dying', () => {
    const clock = new ManualClock();
    const policy = new RestartPolicy({ quietMs: 60_000, baseDelayMs: 250, maxDelayMs: 4000 }, clock);
    const delays = Array.from({ length: 8 }, () => {
      clock.advance(10);
      return policy.exited().delayMs;
    });
    assert.deepEqual(delays, [0, 250, 500, 1000, 2000, 4000, 4000, 4000]);
  });

  test('an exit after a quiet period is replaced at once again', () => {
    const clock = new ManualClock();
    const policy = new RestartPolicy({ quietMs: 60_000, baseDelayMs: 250, maxDelayMs: 30_000 }, clock);
    policy.exited();
    clock.advance(1000);
    assert.equal(policy.exited().delayMs, 250);
    clock.advance(60_000);
    assert.deepEqual(policy.exited(), { delayMs: 0, streak: 1 });
  });

  test('a crash loop forks at most once per maximum delay, however long it lasts', () => {
    const clock = new ManualClock();
    const policy = new RestartPolicy({ quietMs: 60_000, baseDelayMs: 250, maxDelayMs: 30_000 }, clock);
    let forks = 0;
    // Each replacement dies the moment it is forked: time moves only by the delays asked for.
    for (let elapsed = 0; elapsed < 3_600_000; forks++) {
      const { delayMs } = policy.exited();
      clock.advance(delayMs);
      elapsed += delayMs;
    }
    assert.ok(forks <= 3_600_000 / 30_000 + 10, `${forks} forks in an hour`);
  });

  test('refuses a maximum delay that would let a crash loop end its own streak', () => {
    assert.throws(() => new RestartPolicy({ quietMs: 1000, baseDelayMs: 10, maxDelayMs: 1000 }, new ManualClock()), RangeError);
  });
});
