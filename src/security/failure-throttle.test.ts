import assert from 'node:assert/strict';
import { test } from 'node:test';
import { FailureThrottle } from './failure-throttle.js';

test('blocks after maxFailures within the window, for blockSeconds', () => {
  const throttle = new FailureThrottle({ maxFailures: 3, windowSeconds: 60, blockSeconds: 300 });
  const t0 = 1_000_000;
  assert.equal(throttle.recordFailure('1.2.3.4', t0), false);
  assert.equal(throttle.recordFailure('1.2.3.4', t0 + 1), false);
  assert.equal(throttle.blockedForSeconds('1.2.3.4', t0 + 2), 0);
  assert.equal(throttle.recordFailure('1.2.3.4', t0 + 2), true);
  assert.equal(throttle.blockedForSeconds('1.2.3.4', t0 + 2), 300);
  assert.equal(throttle.blockedForSeconds('5.6.7.8', t0 + 2), 0, 'other clients are not affected');
  assert.equal(throttle.blockedForSeconds('1.2.3.4', t0 + 2 + 300000), 0, 'the block ends');
});

test('forgets failures older than the window', () => {
  const throttle = new FailureThrottle({ maxFailures: 2, windowSeconds: 10, blockSeconds: 60 });
  throttle.recordFailure('ip', 0);
  assert.equal(throttle.recordFailure('ip', 10001), false, 'a new window started');
});

test('keeps memory bounded under a flood of addresses', () => {
  const throttle = new FailureThrottle({ maxFailures: 5, windowSeconds: 60, blockSeconds: 60, maxTrackedClients: 1000 });
  for (let i = 0; i < 5000; i++) throttle.recordFailure(`10.0.${Math.floor(i / 256)}.${i % 256}`, i);
  assert.ok(throttle.trackedClients <= 1000);
});
