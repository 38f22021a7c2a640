import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseJsonSafely } from './safe-json.js';

const limits = { maxDepth: 3, maxStringLength: 10, maxArrayLength: 3, maxProperties: 3 };
const problem = (text: string | Buffer) => {
  const result = parseJsonSafely(text, limits);
  return result.ok ? undefined : [result.problem.pointer, result.problem.keyword];
};

test('parses valid JSON like JSON.parse', () => {
  const value = { a: [1, 'x', null], b: { c: true } };
  assert.deepEqual(parseJsonSafely('{"a": [1, "x", null], "b": {"c": true}}', limits), { ok: true, value, validated: value });
  assert.deepEqual(parseJsonSafely('"just a string"', { ...limits, maxStringLength: 100 }), { ok: true, value: 'just a string', validated: 'just a string' });
});

test('refuses what strict JSON refuses: comments, trailing commas, single quotes, empty input, invalid UTF-8', () => {
  for (const text of ['{"a": 1 /* c */}', '{"a": 1,}', "{'a': 1}", '', '{"a": 01}', '[1] [2]', 'NaN']) assert.deepEqual(problem(text), ['', 'json'], text);
  assert.deepEqual(problem(Buffer.from([0x7b, 0x22, 0xff, 0x22, 0x3a, 0x31, 0x7d])), ['', 'encoding']);
});

test('finds duplicate keys, also spelled with escapes, at any depth', () => {
  assert.deepEqual(problem('{"a": 1, "a": 2}'), ['/a', 'duplicateKey']);
  assert.deepEqual(problem('{"a": {"b": 1, "\\u0062": 2}}'), ['/a/b', 'duplicateKey']);
  assert.equal(problem('[{"a": 1}, {"a": 2}]'), undefined, 'the same key in sibling objects is fine');
  assert.equal(problem('{"a~/b": 1, "x": {"a~/b": 2}}'), undefined);
});

test('refuses prototype-pollution keys', () => {
  const roomy = (text: string) => {
    const result = parseJsonSafely(text, { ...limits, maxStringLength: 100 });
    return result.ok ? undefined : [result.problem.pointer, result.problem.keyword];
  };
  assert.deepEqual(roomy('{"__proto__": {"x": 1}}'), ['/__proto__', 'forbiddenKey']);
  assert.deepEqual(roomy('{"a": {"constructor": {"prototype": 1}}}'), ['/a/constructor/prototype', 'forbiddenKey']);
  assert.deepEqual(roomy('{"\u005f_proto__": 1}'), ['/__proto__', 'forbiddenKey'], 'also when escaped');
  assert.equal(roomy('{"prototype": 1, "constructor": "x"}'), undefined, 'either name alone is harmless');
});

test('stops at the limits with a pointer to where they were passed', () => {
  assert.deepEqual(problem('{"a": {"b": {"c": {}}}}'), ['/a/b/c', 'maxDepth']);
  assert.deepEqual(problem('[[[[1]]]]'), ['/0/0/0', 'maxDepth']);
  assert.deepEqual(problem('{"a": "01234567890"}'), ['/a', 'maxStringLength']);
  assert.deepEqual(problem('{"01234567890": 1}'), ['', 'maxStringLength']);
  assert.deepEqual(problem('{"a": [1, 2, 3, 4]}'), ['/a', 'maxArrayLength']);
  assert.deepEqual(problem('{"a": [[1], [2], [3], [4]]}'), ['/a', 'maxArrayLength']);
  assert.deepEqual(problem('{"a": 1, "b": 2, "c": 3, "d": 4}'), ['', 'maxProperties']);
  // A deep document never reaches a recursive parser: the walk stops at the limit.
  assert.deepEqual(parseJsonSafely('['.repeat(200_000) + ']'.repeat(200_000), limits).ok, false);
});

test('escapes pointer tokens (RFC 6901) and cuts long keys short', () => {
  assert.deepEqual(problem('{"a/b": {"c~d": {"e": {}}}}'), ['/a~1b/c~0d/e', 'maxDepth']);
  const long = 'k'.repeat(9);
  const result = parseJsonSafely(`{"${'x'.repeat(80)}": {"${long}": 1, "${long}": 2}}`, { ...limits, maxStringLength: 100 });
  assert.ok(!result.ok && result.problem.pointer.length < 80 && result.problem.pointer.includes('…'));
});
