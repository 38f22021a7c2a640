/**
 * The three brute-force keys of admin login (issue 18 §6), each on its own: the pair (account,
 * address) is tested end to end in test/admin-login.test.ts; here the per-account limit (one name
 * tried from many addresses) and the per-address limit (many names from one address), each with
 * its escalating waits and a lockout that releases itself.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { LoginThrottle } from './login-throttle.js';

const OPTIONS = { maxFailuresPerAccountAndIp: 10, maxFailuresPerAccount: 12, maxFailuresPerIp: 15, lockoutMinutes: 15, maxDelaySeconds: 30 };
const T0 = Date.UTC(2026, 5, 1, 9);

/** Fails `count` times as `who(i)`, waiting out each delay; returns the waits seen and when it stopped. */
function failRepeatedly(throttle: LoginThrottle, count: number, who: (i: number) => [string, string]): { waits: number[]; now: number; locked: boolean } {
  let now = T0;
  const waits: number[] = [];
  let locked = false;
  for (let i = 0; i < count; i++) {
    const [account, ip] = who(i);
    const wait = throttle.waitSeconds(account, ip, now);
    if (wait > 0) {
      waits.push(wait);
      now += wait * 1000;
    }
    locked = throttle.recordFailure(account, ip, now);
  }
  return { waits, now, locked };
}

test('one account tried from a new address each time is slowed, then locked, then released by itself', () => {
  const throttle = new LoginThrottle(OPTIONS);
  const { waits, now, locked } = failRepeatedly(throttle, 12, (i) => ['bob', `198.51.100.${i + 1}`]);
  assert.equal(locked, true, 'the 12th failure for bob locks the account');
  // freeFailures(12) = 4: waits from the 5th failure on (seen before the 6th attempt onwards).
  assert.deepEqual(waits, [1, 2, 4, 8, 16, 30, 30]);
  // Locked for bob from any address, even one never seen; others are not affected.
  assert.equal(throttle.waitSeconds('bob', '203.0.113.9', now), 15 * 60);
  assert.equal(throttle.waitSeconds('alice', '203.0.113.9', now), 0);
  assert.equal(throttle.waitSeconds('bob', '203.0.113.9', now + 15 * 60_000), 0, 'the lockout releases itself');
});

test('one address trying a new account name each time is slowed, then locked, then released by itself', () => {
  const throttle = new LoginThrottle(OPTIONS);
  const { waits, now, locked } = failRepeatedly(throttle, 15, (i) => [`user${i}`, '192.0.2.7']);
  assert.equal(locked, true, 'the 15th failure from the address locks it');
  // freeFailures(15) = 5: waits from the 6th failure on.
  assert.deepEqual(waits, [1, 2, 4, 8, 16, 30, 30, 30, 30]);
  assert.equal(throttle.waitSeconds('somebody-else', '192.0.2.7', now), 15 * 60);
  assert.equal(throttle.waitSeconds('somebody-else', '192.0.2.8', now), 0, 'another address is not affected');
  assert.equal(throttle.waitSeconds('somebody-else', '192.0.2.7', now + 15 * 60_000), 0, 'the lockout releases itself');
});

test('a success clears the pair but never an account lockout someone else caused', () => {
  const throttle = new LoginThrottle(OPTIONS);
  const { now } = failRepeatedly(throttle, 12, (i) => ['carol', `198.51.100.${i + 1}`]);
  throttle.recordSuccess('carol', '203.0.113.50');
  assert.equal(throttle.waitSeconds('carol', '203.0.113.50', now), 15 * 60);
});
