import assert from 'node:assert/strict';
import { test } from 'node:test';
import { VerifiedTokenCache } from './verified-token-cache.js';

test('serves a verified token until its ttl or its expiry, whichever comes first', () => {
  const cache = new VerifiedTokenCache<string>(30000);
  cache.set('a.b.c', 'principal', 1000, 11000);
  assert.equal(cache.get('a.b.c', 10999), 'principal');
  assert.equal(cache.get('a.b.c', 11000), undefined, 'not past the token expiry');
  cache.set('d.e.f', 'principal', 1000, 100000);
  assert.equal(cache.get('d.e.f', 30999), 'principal');
  assert.equal(cache.get('d.e.f', 31000), undefined, 'not past the ttl');
  assert.equal(cache.get('d.e.fX', 2000), undefined, 'another string is a miss');
});

test('stays within its bound, dropping the oldest entry, and caches nothing with a zero ttl', () => {
  const cache = new VerifiedTokenCache<number>(1000, 2);
  cache.set('t1', 1, 0, 5000);
  cache.set('t2', 2, 0, 5000);
  cache.set('t3', 3, 0, 5000);
  assert.equal(cache.size, 2);
  assert.equal(cache.get('t1', 1), undefined);
  const off = new VerifiedTokenCache<number>(0);
  off.set('t', 1, 0, 5000);
  assert.equal(off.size, 0);
});
