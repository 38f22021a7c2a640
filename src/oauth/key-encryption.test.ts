import assert from 'node:assert/strict';
import { test } from 'node:test';
import { KeyEncryption } from './key-encryption.js';

const SECRET = 'signing-key-secret-0123456789abcdefghij';

test('round-trips a private key and never stores it in the clear', () => {
  const sealed = new KeyEncryption(SECRET).encrypt('{"d":"private-part"}', 'kid-1');
  assert.ok(!sealed.includes('private-part'));
  assert.equal(new KeyEncryption(SECRET).decrypt(sealed, 'kid-1'), '{"d":"private-part"}');
});

test('refuses to decrypt with another secret, another kid, or a tampered ciphertext', () => {
  const sealed = new KeyEncryption(SECRET).encrypt('{"d":"x"}', 'kid-1');
  assert.throws(() => new KeyEncryption(`${SECRET}!`).decrypt(sealed, 'kid-1'));
  assert.throws(() => new KeyEncryption(SECRET).decrypt(sealed, 'kid-2'));
  const parts = sealed.split('.');
  parts[2] = Buffer.from('tampered').toString('base64url');
  assert.throws(() => new KeyEncryption(SECRET).decrypt(parts.join('.'), 'kid-1'));
});
