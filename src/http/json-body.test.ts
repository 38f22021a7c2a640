import assert from 'node:assert/strict';
import { IncomingMessage } from 'node:http';
import { Socket } from 'node:net';
import { test } from 'node:test';
import { DEFAULT_JSON_LIMITS } from '../openapi/json-limits.js';
import { isPlainJsonBody, sharedJsonBody } from './json-body.js';

test('parses a body once per limits and shares the result; a replaced body is parsed anew', async () => {
  let body = Buffer.from('{"a":{"b":[1,2]}}');
  let reads = 0;
  const readJson = sharedJsonBody(async () => (reads++, body));
  const first = await readJson(DEFAULT_JSON_LIMITS);
  assert.deepEqual(first, { ok: true, value: { a: { b: [1, 2] } }, validated: { a: { b: [1, 2] } } });
  assert.equal(await readJson({ ...DEFAULT_JSON_LIMITS }), first, 'the same limits: the same result object, not a second parse');
  const shallow = await readJson({ ...DEFAULT_JSON_LIMITS, maxDepth: 2 });
  assert.equal(shallow?.ok, false, 'other limits are checked on their own');
  assert.equal(!shallow?.ok && shallow?.problem.keyword, 'maxDepth');
  body = Buffer.from('{"a":"rewritten"}');
  assert.deepEqual(await readJson(DEFAULT_JSON_LIMITS), { ok: true, value: { a: 'rewritten' }, validated: { a: 'rewritten' } }, 'what a later reader sees is the replacement');
  assert.equal(reads, 4);
});

test('an empty body is no JSON at all, and a duplicate key is a problem, not a value', async () => {
  assert.equal(await sharedJsonBody(async () => Buffer.alloc(0))(DEFAULT_JSON_LIMITS), undefined);
  const duplicate = await sharedJsonBody(async () => Buffer.from('{"country":"FR","country":"US"}'))(DEFAULT_JSON_LIMITS);
  assert.equal(!duplicate?.ok && duplicate?.problem.keyword, 'duplicateKey');
});

test('reads JSON media types without a content coding only', () => {
  const request = (headers: Record<string, string>) => Object.assign(new IncomingMessage(new Socket()), { headers });
  assert.equal(isPlainJsonBody(request({ 'content-type': 'application/json; charset=utf-8' })), true);
  assert.equal(isPlainJsonBody(request({ 'content-type': 'application/vnd.api+json' })), true);
  assert.equal(isPlainJsonBody(request({ 'content-type': 'application/json', 'content-encoding': 'Identity' })), true);
  assert.equal(isPlainJsonBody(request({ 'content-type': 'application/json', 'content-encoding': 'gzip' })), false);
  assert.equal(isPlainJsonBody(request({ 'content-type': 'text/plain' })), false);
  assert.equal(isPlainJsonBody(request({})), false);
});
