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

test('counts IPv6 clients per /64, so rotating addresses does not escape a block', () => {
  const throttle = new FailureThrottle({ maxFailures: 3, windowSeconds: 60, blockSeconds: 60 });
  throttle.recordFailure('2001:db8:1:2::1', 0);
  throttle.recordFailure('2001:db8:1:2:aaaa::5', 1);
  assert.equal(throttle.recordFailure('2001:0db8:0001:0002:ffff:ffff:ffff:ffff', 2), true);
  assert.ok(throttle.blockedForSeconds('2001:db8:1:2::beef', 3) > 0);
  assert.equal(throttle.blockedForSeconds('2001:db8:1:3::1', 3), 0, 'another /64 is another client');
});

test('does not lift a block when a flood of new addresses fills the table', () => {
  const throttle = new FailureThrottle({ maxFailures: 1, windowSeconds: 60, blockSeconds: 600, maxTrackedClients: 100 });
  throttle.recordFailure('198.51.100.7', 0);
  for (let i = 0; i < 1000; i++) throttle.recordFailure(`10.1.${Math.floor(i / 256)}.${i % 256}`, 1 + i);
  assert.ok(throttle.blockedForSeconds('198.51.100.7', 2000) > 0);
});

test('keeps memory bounded under a flood of addresses', () => {
  const throttle = new FailureThrottle({ maxFailures: 5, windowSeconds: 60, blockSeconds: 60, maxTrackedClients: 1000 });
  for (let i = 0; i < 5000; i++) throttle.recordFailure(`10.0.${Math.floor(i / 256)}.${i % 256}`, i);
  assert.ok(throttle.trackedClients <= 1000);
});
