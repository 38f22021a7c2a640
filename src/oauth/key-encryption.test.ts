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

test('refuses a tag cut short, even to a prefix of the right tag (the tag length is pinned to 16 bytes)', () => {
  const sealed = new KeyEncryption(SECRET).encrypt('{"d":"x"}', 'kid-1');
  const parts = sealed.split('.');
  for (const bytes of [4, 8, 12, 15]) {
    const cut = [...parts];
    cut[3] = Buffer.from(parts[3]!, 'base64url').subarray(0, bytes).toString('base64url');
    assert.throws(() => new KeyEncryption(SECRET).decrypt(cut.join('.'), 'kid-1'), Error, `a ${bytes}-byte tag`);
  }
});
