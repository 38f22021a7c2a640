import assert from 'node:assert/strict';
import { test } from 'node:test';
import { generateApiKey, hashApiKey, parseApiKey } from './api-key-format.js';

test('issues keys with the product and environment prefix, an id and a checksum', () => {
  const { key, id } = generateApiKey('ptc', 'live');
  assert.match(key, /^ptc_live_[0-9A-Za-z]{32}_[0-9A-Za-z]{6}$/);
  assert.deepEqual(parseApiKey(key), { ok: true, product: 'ptc', environment: 'live', id });
});

test('issues a different key every time', () => {
  const keys = new Set(Array.from({ length: 1000 }, () => generateApiKey('ptc', 'test').key));
  assert.equal(keys.size, 1000);
});

test('refuses a mistyped, truncated or reshaped key by its checksum or shape alone', () => {
  const { key } = generateApiKey('ptc', 'live');
  const flip = (s: string, i: number) => s.slice(0, i) + (s[i] === 'a' ? 'b' : 'a') + s.slice(i + 1);
  assert.equal(parseApiKey(flip(key, 15)).ok, false, 'one character of the secret changed');
  assert.equal(parseApiKey(flip(key, key.length - 1)).ok, false, 'one character of the checksum changed');
  assert.equal(parseApiKey(key.slice(0, -1)).ok, false);
  assert.equal(parseApiKey(key.replace('live', 'test')).ok, false, 'the prefix is covered by the checksum');
  assert.equal(parseApiKey(`${key}x`).ok, false);
  assert.equal(parseApiKey('').ok, false);
  assert.equal(parseApiKey('x'.repeat(10000)).ok, false);
});

test('hashes with the pepper', () => {
  const { key } = generateApiKey('ptc', 'live');
  const hash = hashApiKey(key, 'pepper-1');
  assert.match(hash, /^[0-9a-f]{64}$/);
  assert.equal(hash, hashApiKey(key, 'pepper-1'));
  assert.notEqual(hash, hashApiKey(key, 'pepper-2'), 'the pepper changes the hash');
});
