import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { DetectorSet } from '../../detect/scan.js';
import { filterJson, JsonFilterError } from './json-filter.js';
import { maskValue } from './operators.js';
import { compilePlan } from './plan.js';
import type { DirectionConfig } from './schema.js';

const key = { reveal: () => 'k'.repeat(32) };

function run(text: string, direction: Partial<DirectionConfig>, maxDepth = 64) {
  const config: DirectionConfig = { paths: [], redact: [], otherMediaTypes: 'reject', ...direction };
  return filterJson(text, compilePlan(config, maxDepth, key));
}

const accounts = JSON.stringify({
  data: [
    { id: 'a1', iban: 'NL91ABNA0417164300', balance: 10.5, owner: { name: 'Jane', email: 'jane@example.com' } },
    { id: 'a2', iban: 'GB82WEST12345698765432', balance: 3, owner: { name: 'Joe', email: null } },
  ],
  meta: { page: 1 },
});

describe('field filter', () => {
  test('allow keeps only the listed paths through arrays and nested objects, and their containers', () => {
    const out = run(accounts, { mode: 'allow', paths: ['/data/*/id', '/data/*/owner/name', '/meta'] });
    assert.deepEqual(JSON.parse(out.text), { data: [{ id: 'a1', owner: { name: 'Jane' } }, { id: 'a2', owner: { name: 'Joe' } }], meta: { page: 1 } });
    assert.equal(out.changed, true);
    assert.deepEqual([...out.present].sort(), ['/data/*/id', '/data/*/owner/name', '/meta']);
  });

  test('allow reports only paths that reached a value other than null', () => {
    const out = run(JSON.stringify({ a: null, b: [] }), { mode: 'allow', paths: ['/a', '/b/*/c', '/missing'] });
    assert.deepEqual(JSON.parse(out.text), { a: null, b: [] });
    assert.deepEqual([...out.present], []);
  });

  test('deny removes the listed paths and keeps everything else byte for byte', () => {
    const text = '{"data":[{"id":1,"balance":12345678901234567890,"x":"\\u0041"},{"id":2,"balance":1}],"n":1.50}';
    const out = run(text, { mode: 'deny', paths: ['/data/*/balance'] });
    assert.equal(out.text, '{"data":[{"id":1,"x":"\\u0041"},{"id":2}],"n":1.50}');
  });

  test('array elements are addressed by index or *', () => {
    const out = run('{"list":[{"v":1},{"v":2},{"v":3}]}', { mode: 'deny', paths: ['/list/1'] });
    assert.equal(out.text, '{"list":[{"v":1},{"v":3}]}');
  });

  test('an unchanged body comes back as the same text', () => {
    const text = '{ "a" : [1, 2] }';
    const out = run(text, { mode: 'deny', paths: ['/b'] });
    assert.equal(out.changed, false);
    assert.equal(out.text, text);
  });

  test('operators: remove, mask (keep last N), hash (keyed, stable), replace; numbers too', () => {
    const out = run(accounts, {
      redact: [
        { path: '/data/*/iban', action: 'mask', keepLast: 4, with: '' },
        { path: '/data/*/owner/email', action: 'hash', keepLast: 4, with: '' },
        { path: '/data/*/owner/name', action: 'replace', keepLast: 4, with: 'someone' },
        { path: '/data/*/balance', action: 'mask', keepLast: 1, with: '' },
        { path: '/meta', action: 'remove', keepLast: 4, with: '' },
      ],
    });
    const body = JSON.parse(out.text) as { data: Array<{ iban: string; balance: string; owner: { name: string; email: string | null } }>; meta?: unknown };
    assert.equal(body.data[0]!.iban, '**************4300');
    assert.equal(body.data[1]!.iban, '******************5432');
    assert.equal(body.data[0]!.balance, '***5');
    assert.equal(body.data[0]!.owner.name, 'someone');
    assert.match(body.data[0]!.owner.email!, /^[A-Za-z0-9_-]{43}$/);
    assert.equal(body.data[1]!.owner.email, null);
    assert.equal(body.meta, undefined);
    const again = JSON.parse(run(accounts, { redact: [{ path: '/data/*/owner/email', action: 'hash', keepLast: 4, with: '' }] }).text) as typeof body;
    assert.equal(again.data[0]!.owner.email, body.data[0]!.owner.email, 'the same key gives the same hash');
  });

  test('an operator on an object applies to every value beneath it', () => {
    const out = run('{"card":{"number":"4111111111111111","exp":"12/30"}}', { redact: [{ path: '/card', action: 'replace', keepLast: 4, with: 'x' }] });
    assert.equal(out.text, '{"card":{"number":"x","exp":"x"}}');
  });

  test('detectors rewrite detected values inside any string and leave the rest', () => {
    const out = run(JSON.stringify({ note: 'card 4111 1111 1111 1111 please', ref: 'X-12', pan: 4111111111111111 }), { detect: { detectors: ['card'], action: 'mask', keepLast: 4, with: '' } });
    assert.deepEqual(JSON.parse(out.text), { note: 'card *******************1111 please'.replace('*******************', '***************'), ref: 'X-12', pan: '************1111' });
  });

  test('detectors leave resource ids alone: a UUID whose digits pass Luhn is not a card', () => {
    const body = JSON.stringify({ id: '0c3e2a1f-5d7b-4e9a-8123-456789012340', note: 'card 4111111111111111' });
    const out = run(body, { detect: { detectors: ['card'], action: 'mask', keepLast: 4, with: '' } });
    assert.deepEqual(JSON.parse(out.text), { id: '0c3e2a1f-5d7b-4e9a-8123-456789012340', note: 'card ************1111' });
  });

  test('mask keeps whole code points and masks a short value whole', () => {
    assert.equal(maskValue('ab😀', 1), '**😀');
    assert.equal(maskValue('1234', 4), '****');
  });

  test('refuses text that is not JSON, trailing commas, comments and nesting past maxDepth', () => {
    for (const text of ['{"a":1,}', '[1,]', '{"a":1} x', '{"a" 1}', '// c\n{}', '{"a":tru}', "{'a':1}"]) {
      assert.throws(() => run(text, { mode: 'deny', paths: ['/a'] }), JsonFilterError, text);
    }
    assert.throws(() => run('[[[[1]]]]', { mode: 'deny', paths: ['/a'] }, 3), (error: JsonFilterError) => error.reason === 'depth');
  });

  test('a detector set over nothing changes nothing', () => {
    assert.equal(new DetectorSet([]).find('4111111111111111').length, 0);
  });
});
