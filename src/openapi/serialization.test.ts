import assert from 'node:assert/strict';
import { test } from 'node:test';
import { coerce, planFor } from './coerce.js';
import { collectDeepObject } from './deep-object.js';
import { asSent, decodeForm, decodePath, parseRawPairs, splitSerialized, type StyleSpec } from './serialization.js';

const spec = (style: string, explode: boolean, shape: StyleSpec['shape'], location: StyleSpec['in'] = 'path'): StyleSpec => ({ name: 'id', in: location, style, explode, shape });
const split = (s: StyleSpec, raw: string, decode = decodePath) => {
  const result = splitSerialized(s, raw, decode);
  return result.ok ? result.value : `${result.keyword}`;
};

test('every style splits on its raw delimiters, then decodes each part (RFC 6570 §3.2)', () => {
  // [style, explode, shape, location, raw, expected]
  const table: Array<[string, boolean, StyleSpec['shape'], StyleSpec['in'], string, unknown]> = [
    ['simple', false, 'array', 'path', 'a,b', ['a', 'b']],
    ['simple', false, 'array', 'path', 'a%2Cb', ['a,b']],
    ['simple', false, 'object', 'path', 'R,1,G%2C,2', { R: '1', 'G,': '2' }],
    ['simple', true, 'object', 'path', 'R=1,G=2%3D', { R: '1', G: '2=' }],
    ['label', false, 'scalar', 'path', '.5', '5'],
    ['label', false, 'array', 'path', '.a,b%2Cc', ['a', 'b,c']],
    ['label', true, 'array', 'path', '.a.b%2Ec', ['a', 'b.c']],
    ['label', true, 'object', 'path', '.R=1.G=2', { R: '1', G: '2' }],
    ['matrix', false, 'scalar', 'path', ';id=5', '5'],
    ['matrix', false, 'scalar', 'path', ';id', ''],
    ['matrix', false, 'array', 'path', ';id=a,b%2Cc', ['a', 'b,c']],
    ['matrix', true, 'array', 'path', ';id=a;id=b%3Bc', ['a', 'b;c']],
    ['matrix', false, 'object', 'path', ';id=R,1,G,2', { R: '1', G: '2' }],
    ['matrix', true, 'object', 'path', ';R=1;G=2', { R: '1', G: '2' }],
    ['form', false, 'array', 'query', 'a,b%2Cc+d', ['a', 'b,c d']],
    ['spaceDelimited', false, 'array', 'query', 'a%20b+c%2520d', ['a', 'b', 'c%20d']],
    ['pipeDelimited', false, 'array', 'query', 'a|b%7Cc', ['a', 'b|c']],
    ['simple', false, 'array', 'header', 'a, b ,\tc', ['a', 'b', 'c']],
    ['simple', false, 'scalar', 'header', '\u00a01', '\u00a01'],
  ];
  for (const [style, explode, shape, location, raw, expected] of table) {
    const decode = location === 'query' ? decodeForm : location === 'header' ? asSent : decodePath;
    assert.deepEqual(split(spec(style, explode, shape, location), raw, decode), expected, `${style} explode=${explode} ${shape} ${raw}`);
  }
});

test('refuses values that are not in their style, invalid percent-encoding, and __proto__ keys', () => {
  assert.equal(split(spec('label', false, 'scalar'), '5'), 'style');
  assert.equal(split(spec('matrix', false, 'scalar'), ';other=5'), 'style');
  assert.equal(split(spec('matrix', true, 'array'), ';id=a;other=b'), 'style');
  assert.equal(split(spec('simple', false, 'scalar'), '%zz'), 'encoding');
  assert.equal(split(spec('simple', false, 'scalar'), '%C0%AF'), 'encoding', 'overlong UTF-8 is not a character');
  assert.equal(split(spec('simple', true, 'object'), '__proto__=1'), 'duplicate');
  assert.equal(split(spec('simple', false, 'object'), 'a,1,b'), 'style');
  assert.equal(split(spec('simple', true, 'object'), 'a=1,b'), 'style', 'an exploded object lists key=value pairs only');
});

test('query strings keep values raw and names decoded; + is a space in forms, itself in paths', () => {
  assert.deepEqual([...parseRawPairs('a=1%2C2&a=3&b&c%5Bx%5D=%2B&&=e')], [['a', ['1%2C2', '3']], ['b', ['']], ['c[x]', ['%2B']], ['', ['e']]]);
  assert.equal(decodeForm('a+b%2B'), 'a b+');
  assert.equal(decodePath('a+b'), 'a+b');
});

test('deepObject names nest with brackets; lists by [] or contiguous indices where the schema wants a list', () => {
  const entries = parseRawPairs('m[a]=1&m[b][c]=2&m[l][]=x&m[l][]=y&m[i][0][p]=q&m[i][1][p]=r&other=1');
  const deep = collectDeepObject('m', entries, decodeForm, 8);
  assert.deepEqual(deep.problems, []);
  assert.deepEqual(deep.used.sort(), ['m[a]', 'm[b][c]', 'm[i][0][p]', 'm[i][1][p]', 'm[l][]'].sort());
  assert.deepEqual(deep.value, { a: '1', b: { c: '2' }, l: ['x', 'y'], i: { 0: { p: 'q' }, 1: { p: 'r' } } });
  const root = { s: { type: 'object', properties: { a: { type: 'integer' }, i: { type: 'array', items: { type: 'object', properties: { p: { type: 'string' } } } } } } };
  assert.deepEqual(coerce(planFor(root, root.s), deep.value), { a: 1, b: { c: '2' }, l: ['x', 'y'], i: [{ p: 'q' }, { p: 'r' }] });
  assert.deepEqual(coerce(planFor(root, root.s), { i: { 1: { p: 'q' } } }), { i: { 1: { p: 'q' } } }, 'a gap keeps the object, which the schema then refuses');
  const clash = collectDeepObject('m', parseRawPairs('m[a]=1&m[a][b]=2&m[__proto__][x]=1&m[a][b][c][d]=1'), decodeForm, 2);
  assert.deepEqual(clash.problems.map((p) => [p.tokens.join('/'), p.keyword]), [['m/a/b', 'duplicate'], ['m/__proto__/x', 'forbiddenKey'], ['m', 'maxDepth']]);
});

test('type plans follow $ref, compositions and recursion; enums and consts give their types', () => {
  const root = {
    $defs: {
      Node: { type: 'object', properties: { id: { type: 'integer' }, children: { type: 'array', items: { $ref: '#/$defs/Node' } }, parent: { $ref: '#/$defs/Node' } } },
      Either: { anyOf: [{ type: 'integer' }, { type: 'string', maxLength: 3 }] },
      Level: { enum: [1, 2, 3] },
    },
  };
  const node = planFor(root, root.$defs.Node);
  assert.deepEqual(coerce(node, { id: '1', children: [{ id: '2', parent: { id: '3' } }] }), { id: 1, children: [{ id: 2, parent: { id: 3 } }] });
  const either = planFor(root, root.$defs.Either);
  assert.equal(either.ambiguous, true);
  assert.equal(coerce(either, '7'), 7);
  assert.equal(coerce(either, '7', true), '7');
  const level = planFor(root, root.$defs.Level);
  assert.equal(coerce(level, '2'), 2);
  assert.equal(coerce(level, '2.0'), '2.0', 'an integer enum reads integers only');
  assert.equal(coerce(planFor(root, { type: ['integer', 'null'] }), ''), null);
  assert.equal(coerce(planFor(root, { type: ['string', 'null'] }), ''), '');
});
