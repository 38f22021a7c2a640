import assert from 'node:assert/strict';
import { test } from 'node:test';
import { sanitizeString, type SanitizeRules, type StringProblem } from './sanitize-string.js';

const run = (value: string, rules: Partial<SanitizeRules>) => {
  const problems: StringProblem[] = [];
  const result = sanitizeString(value, { controlCharacters: 'reject', normalize: 'nfc', markup: 'escape', ...rules }, '/x', problems);
  return { result, problems: problems.map((p) => p.keyword) };
};

test('refuses or strips control characters and NUL bytes, keeping tab and line breaks', () => {
  assert.deepEqual(run('a\u0000b', {}).problems, ['controlCharacters']);
  assert.deepEqual(run('a\u0000b\u001bc\u007fd\u0085e', { controlCharacters: 'strip' }), { result: 'abcde', problems: [] });
  assert.deepEqual(run('line\n\tnext\r\n', {}), { result: 'line\n\tnext\r\n', problems: [] });
  assert.deepEqual(run('a\u0000b', { controlCharacters: 'allow' }).result, 'a\u0000b');
});

test('normalises to NFC unless told not to', () => {
  assert.equal(run('Cafe\u0301', {}).result, 'Caf\u00e9');
  assert.equal(run('Cafe\u0301', { normalize: 'none' }).result, 'Cafe\u0301');
});

test('escapes, refuses or allows markup, look-alikes included', () => {
  assert.equal(run('<img src=x onerror="alert(1)">', {}).result, '&lt;img src=x onerror=&quot;alert(1)&quot;&gt;');
  assert.equal(run("Tom & Jerry's", {}).result, 'Tom &amp; Jerry&#39;s');
  assert.deepEqual(run('<script>', { markup: 'reject' }).problems, ['markup']);
  assert.deepEqual(run('\uFF1Cscript\uFF1E', { markup: 'reject' }).problems, ['markup'], 'fullwidth < > become markup under NFKC');
  assert.equal(run('\uFE64b\uFE65', {}).result, '&#xFE64;b&#xFE65;');
  assert.equal(run('<b>', { markup: 'allow' }).result, '<b>');
  assert.deepEqual(run('3 > 2', { markup: 'reject' }).problems, ['markup']);
});

test('strips a control character before looking for markup, so it cannot hide a tag', () => {
  assert.deepEqual(run('<scr\u0000ipt>', { controlCharacters: 'strip', markup: 'reject' }).problems, ['markup']);
});

test('returns the same string when nothing changes', () => {
  const value = 'plain text 123';
  assert.equal(run(value, {}).result, value);
});
