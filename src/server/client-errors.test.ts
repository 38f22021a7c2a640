import assert from 'node:assert/strict';
import { test } from 'node:test';
import { requestLineOverflowed } from './client-errors.js';

const at = (text: string) => [Buffer.from(text, 'latin1'), text.length] as const;

test('tells a request line that overflowed the head from a header field that did', () => {
  assert.equal(requestLineOverflowed(...at(`GET /${'a'.repeat(100)}`)), true);
  assert.equal(requestLineOverflowed(...at(`GET http://x/${'a'.repeat(100)}`)), true);
  assert.equal(requestLineOverflowed(...at(`GET /ok HTTP/1.1\r\nHost: x\r\n\r\nPOST /${'a'.repeat(100)}`)), true, 'pipelined after a whole request');
  assert.equal(requestLineOverflowed(...at(`GET /x HTTP/1.1\r\nX-Big: ${'b'.repeat(100)}`)), false);
  assert.equal(requestLineOverflowed(...at(`GET /x HTTP/1.1\r\nX-Big: GET /${'b'.repeat(100)}`)), false, 'a field line that looks like a request line');
  assert.equal(requestLineOverflowed(...at('a'.repeat(100))), false, 'a line begun in an earlier read: unknown, so 431');
  assert.equal(requestLineOverflowed(undefined, undefined), false);
});
