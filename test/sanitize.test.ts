import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { validateConfig } from '../src/config/loader.js';
import { assertProblem, baseConfig, httpRequest, startGateway, startUpstream, type TestGateway, type TestUpstream } from './helpers/index.js';

const json = (body: unknown) => ({ method: 'POST', headers: { 'content-type': 'application/json' }, body: typeof body === 'string' ? body : JSON.stringify(body) });
type Problem = { errors: Array<{ pointer: string; keyword: string }> };

describe('sanitize: what the upstream receives', () => {
  let upstream: TestUpstream;
  let gw: TestGateway;
  before(async () => {
    upstream = await startUpstream();
    gw = await startGateway(
      baseConfig([upstream.url], {
        routes: [
          {
            name: 'fields',
            methods: ['POST'],
            path: '/fields',
            upstream: 'backend',
            policies: {
              sanitize: {
                fields: [
                  { pointer: '/reference', markup: 'escape', controlCharacters: 'strip' },
                  { pointer: '/name', markup: 'reject' },
                  { pointer: '/items/*/label', markup: 'escape' },
                ],
              },
            },
          },
          { name: 'whole', methods: ['POST'], path: '/whole', upstream: 'backend', policies: { sanitize: { body: { markup: 'escape', controlCharacters: 'reject' } } } },
          { name: 'passing', methods: ['POST'], path: '/passing', upstream: 'backend', policies: { sanitize: { body: {}, otherMediaTypes: 'pass' } } },
        ],
      }),
    );
  });
  after(async () => {
    await gw.close();
    await upstream.close();
  });

  const received = () => upstream.requests.at(-1)!;

  test('sends the sanitized body upstream, with its Content-Length fixed', async () => {
    const reply = await httpRequest(`${gw.url}/fields`, json({ reference: '<b>Inv\u0000oice</b> & co', name: 'Ada', items: [{ label: '<i>x</i>' }, { label: 'ok', other: '<keep>' }], amount: 5 }));
    assert.equal(reply.status, 200);
    const body = received().body.toString();
    assert.deepEqual(JSON.parse(body), { reference: '&lt;b&gt;Invoice&lt;/b&gt; &amp; co', name: 'Ada', items: [{ label: '&lt;i&gt;x&lt;/i&gt;' }, { label: 'ok', other: '<keep>' }], amount: 5 });
    assert.equal(received().headers['content-length'], String(Buffer.byteLength(body)));
  });

  test('rewrites only the strings it changed: numbers beyond double precision, spacing and escapes reach the upstream as sent', async () => {
    const text = '{ "id": 9223372036854775807, "ratio": 1.0000000000000001, "reference": "<b>x</b>", "n\\u0061me": "\\u00e9", "items": [ { "label": "<i>" } ] }';
    assert.equal((await httpRequest(`${gw.url}/fields`, json(text))).status, 200);
    assert.equal(received().body.toString(), text.replace('"<b>x</b>"', '"&lt;b&gt;x&lt;/b&gt;"').replace('"<i>"', '"&lt;i&gt;"'));
    assert.equal((await httpRequest(`${gw.url}/whole`, json('{"Cafe\\u0301": 12345678901234567890}'))).status, 200);
    assert.equal(received().body.toString(), '{"Caf\u00e9": 12345678901234567890}');
  });

  test('forwards an unchanged body byte for byte', async () => {
    const text = '{ "name": "Ada",  "amount": 5 }';
    assert.equal((await httpRequest(`${gw.url}/fields`, json(text))).status, 200);
    assert.equal(received().body.toString(), text);
  });

  test('refuses markup in a reject field and control characters in a reject body, with pointers, before the upstream', async () => {
    const before = upstream.requests.length;
    const markup = assertProblem(await httpRequest(`${gw.url}/fields`, json({ name: '<script>alert(1)</script>' })), 400, 'validation.failed') as unknown as Problem;
    assert.deepEqual(markup.errors.map((e) => [e.pointer, e.keyword]), [['/body/name', 'markup']]);
    const control = assertProblem(await httpRequest(`${gw.url}/whole`, json({ a: { b: ['fine', 'nul\u0000byte'] } })), 400, 'validation.failed') as unknown as Problem;
    assert.deepEqual(control.errors.map((e) => [e.pointer, e.keyword]), [['/body/a/b/1', 'controlCharacters']]);
    assert.equal(upstream.requests.length, before);
  });

  test('sanitizes every string and property name of a whole body, normalising to NFC', async () => {
    assert.equal((await httpRequest(`${gw.url}/whole`, json({ 'Cafe\u0301': ['<x>', { deep: 'a"b' }] }))).status, 200);
    assert.deepEqual(JSON.parse(received().body.toString()), { 'Caf\u00e9': ['&lt;x&gt;', { deep: 'a&quot;b' }] });
  });

  test('refuses a body that is not JSON (415) unless otherMediaTypes is pass, and bad JSON with a pointer', async () => {
    assertProblem(await httpRequest(`${gw.url}/whole`, { method: 'POST', headers: { 'content-type': 'text/plain' }, body: '<script>' }), 415, 'request.unsupported_media_type');
    assert.equal((await httpRequest(`${gw.url}/passing`, { method: 'POST', headers: { 'content-type': 'text/plain' }, body: '<script>' })).status, 200);
    assert.equal(received().body.toString(), '<script>');
    const dup = assertProblem(await httpRequest(`${gw.url}/whole`, json('{"a": "x", "a": "<y>"}')), 400, 'validation.failed') as unknown as Problem;
    assert.deepEqual(dup.errors.map((e) => [e.pointer, e.keyword]), [['/body/a', 'duplicateKey']]);
  });
});

test('a sanitize policy needs fields or body', () => {
  const result = validateConfig(baseConfig(['http://127.0.0.1:1'], { policies: { sanitize: {} } }), {});
  assert.ok(!result.ok && result.issues.some((i) => i.path === 'policies.sanitize.fields'));
});
