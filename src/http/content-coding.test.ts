import assert from 'node:assert/strict';
import { test } from 'node:test';
import zlib from 'node:zlib';
import { Readable } from 'node:stream';
import { createDecodeStream, decodeBody, DecodeError, narrowAcceptEncoding, parseContentEncoding } from './content-coding.js';

test('parses Content-Encoding in the order applied, skipping identity; refuses what it cannot decode', () => {
  assert.deepEqual(parseContentEncoding(undefined), { ok: true, codings: [] });
  assert.deepEqual(parseContentEncoding('identity'), { ok: true, codings: [] });
  assert.deepEqual(parseContentEncoding('X-Gzip , br'), { ok: true, codings: ['gzip', 'br'] });
  assert.deepEqual(parseContentEncoding('gzip, zstd'), { ok: false, coding: 'zstd' });
  assert.deepEqual(parseContentEncoding('compress'), { ok: false, coding: 'compress' });
  assert.equal(parseContentEncoding('gzip, gzip, gzip, gzip').ok, false, 'more than three stacked');
});

test('narrows Accept-Encoding to decodable codings, keeping the client\'s order and q-values', () => {
  assert.equal(narrowAcceptEncoding('gzip, deflate, br, zstd'), 'gzip, deflate, br');
  assert.equal(narrowAcceptEncoding('zstd;q=1, br;q=0.8, gzip;q=0.5'), 'br;q=0.8, gzip;q=0.5');
  assert.equal(narrowAcceptEncoding('zstd, *;q=0.2'), 'gzip;q=0.2, deflate;q=0.2, br;q=0.2');
  assert.equal(narrowAcceptEncoding('br, *'), 'br, gzip, deflate');
  assert.equal(narrowAcceptEncoding('identity;q=0.5, gzip;q=0'), 'identity;q=0.5, gzip;q=0');
  // Nothing the gateway decodes is acceptable, or nothing was said: ask for the body uncoded.
  assert.equal(narrowAcceptEncoding('zstd'), 'identity');
  assert.equal(narrowAcceptEncoding('gzip;q=0, *;q=0'), 'identity');
  assert.equal(narrowAcceptEncoding(undefined), 'identity');
  assert.equal(narrowAcceptEncoding(''), 'identity');
  // A malformed q-value drops that element (RFC 9110 §12.4.2), not the header.
  assert.equal(narrowAcceptEncoding('gzip;q=2, br'), 'br');
});

test('decodes stacked codings last-applied first, and stops a bomb at the limit', async () => {
  const json = Buffer.from('{"a":1}');
  assert.deepEqual(await decodeBody(zlib.brotliCompressSync(zlib.gzipSync(json)), ['gzip', 'br'], 100), json);
  const bomb = zlib.gzipSync(Buffer.alloc(1024 * 1024));
  await assert.rejects(decodeBody(bomb, ['gzip'], 64 * 1024), (error: unknown) => error instanceof DecodeError && error.reason === 'too_large');
});

test('a decode stream reads zlib-wrapped and raw deflate, and refuses bytes after the end', async () => {
  const json = '{"a":1}';
  const read = async (input: Buffer, chunkSize: number) => {
    const chunks = [];
    for (let at = 0; at < input.length; at += chunkSize) chunks.push(input.subarray(at, at + chunkSize));
    const out: Buffer[] = [];
    for await (const chunk of Readable.from(chunks).pipe(createDecodeStream('deflate', 1000))) out.push(chunk as Buffer);
    return Buffer.concat(out).toString();
  };
  assert.equal(await read(zlib.deflateSync(json), 1), json);
  assert.equal(await read(zlib.deflateRawSync(json), 1), json);
  await assert.rejects(read(Buffer.concat([zlib.deflateSync(json), Buffer.from('x')]), 4), (error: unknown) => error instanceof DecodeError && error.reason === 'invalid');
});
