/**
 * Issue 12 §2, end to end through a real gateway to a real upstream: parameters and bodies are read
 * as the contract and RFC 6570 say, typed strictly (JSON number grammar, true/false only), and a
 * request is either refused before the upstream or forwarded exactly as it was validated.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { writeContract } from './helpers/contracts.js';
import { assertProblem, baseConfig, httpRequest, startGateway, startUpstream, type TestGateway, type TestUpstream } from './helpers/index.js';

const CONTRACT = `
openapi: 3.0.3
info: { title: parsing, version: '1' }
paths:
  /numbers/{id}:
    parameters:
      - { name: id, in: path, required: true, schema: { type: integer } }
    get:
      operationId: numbers
      parameters:
        - { name: n, in: query, schema: { type: integer } }
        - { name: ratio, in: query, schema: { type: number } }
        - { name: flag, in: query, schema: { type: boolean } }
        - { name: X-N, in: header, schema: { type: integer } }
        - { name: n, in: cookie, schema: { type: integer } }
        - { name: note, in: cookie, schema: { type: string, pattern: '^[^<>]*$' } }
        - { name: big, in: query, schema: { type: integer, format: int64 } }
        - { name: small, in: query, schema: { type: integer, format: int32 } }
        - { name: either, in: query, schema: { anyOf: [{ type: integer, maximum: 5 }, { type: string, maxLength: 3 }] } }
        - { name: at, in: query, schema: { type: string, format: date-time } }
        - name: X-Range
          in: header
          explode: true
          schema: { anyOf: [{ type: object, properties: { from: { type: integer }, to: { type: integer } }, additionalProperties: false }, { type: integer }] }
      responses: { '200': { description: ok } }
    post:
      operationId: numbersBody
      requestBody:
        content:
          application/x-www-form-urlencoded:
            schema: { type: object, properties: { n: { type: integer }, flag: { type: boolean } } }
          application/json:
            schema: { type: object, properties: { big: { type: integer, format: int64 }, small: { type: integer, format: int32 }, at: { type: string, format: date-time } } }
      responses: { '200': { description: ok } }
  /lists/{plain}/{dotted}:
    get:
      operationId: lists
      parameters:
        - { name: plain, in: path, required: true, schema: { $ref: '#/components/schemas/Short' } }
        - { name: dotted, in: path, required: true, style: label, schema: { $ref: '#/components/schemas/Short' } }
        - { name: tags, in: query, explode: false, schema: { $ref: '#/components/schemas/Short' } }
        - { name: pipes, in: query, style: pipeDelimited, explode: false, schema: { $ref: '#/components/schemas/Short' } }
        - { name: spaces, in: query, style: spaceDelimited, explode: false, schema: { $ref: '#/components/schemas/Short' } }
        - { name: exploded, in: query, schema: { $ref: '#/components/schemas/Short' } }
        - { name: X-Tags, in: header, schema: { $ref: '#/components/schemas/Short' } }
        - { name: tags, in: cookie, explode: false, schema: { $ref: '#/components/schemas/Short' } }
        - name: created
          in: query
          style: deepObject
          schema:
            anyOf:
              - { type: object, properties: { gt: { type: integer }, lt: { type: integer } }, additionalProperties: false }
              - { type: integer }
        - { name: filter, in: query, style: deepObject, schema: { type: object, properties: { name: { type: string, maxLength: 5 } }, additionalProperties: false } }
      responses: { '200': { description: ok } }
  /charges:
    post:
      operationId: createCharge
      requestBody:
        content:
          application/x-www-form-urlencoded:
            schema:
              type: object
              required: [amount]
              properties:
                amount: { type: integer }
                metadata: { type: object, additionalProperties: { type: string, maxLength: 10 } }
                expand: { type: array, items: { type: string } }
                items: { type: array, items: { type: object, properties: { price: { type: string }, quantity: { type: integer } }, additionalProperties: false } }
                codes: { $ref: '#/components/schemas/Short' }
                labels: { $ref: '#/components/schemas/Short' }
                settings: { type: object, properties: { limit: { type: integer, format: int32 } }, additionalProperties: false }
            encoding:
              settings: { contentType: application/json }
              metadata: { style: deepObject, explode: true }
              expand: { style: deepObject, explode: true }
              items: { style: deepObject, explode: true }
              codes: { style: form, explode: false }
      responses: { '200': { description: ok } }
  /objects:
    put:
      operationId: putObject
      requestBody:
        content:
          '*/*':
            schema: { type: object, required: [kind], properties: { kind: { type: string } } }
      responses: { '200': { description: ok } }
  /files:
    put:
      operationId: putFile
      requestBody:
        content:
          '*/*':
            schema: { type: string, format: binary }
      responses: { '200': { description: ok } }
components:
  schemas:
    Short: { type: array, maxItems: 2, items: { type: string, maxLength: 5 } }
`;

type Problem = { errors: Array<{ pointer: string; keyword: string }> };

describe('parameters and bodies are read as the contract says, and forwarded as validated', () => {
  let upstream: TestUpstream;
  let gw: TestGateway;

  before(async () => {
    const contract = writeContract(CONTRACT, 'parsing.openapi.yaml');
    upstream = await startUpstream();
    const route = (name: string, extra: Record<string, unknown> = {}) => ({ name, methods: ['GET', 'POST', 'PUT'], path: `/${name}/*`, upstream: 'backend', policies: { validate: { contract, pathPrefix: `/${name}`, ...extra } } });
    gw = await startGateway(baseConfig([upstream.url], { routes: [route('api'), route('closed', { unknownQueryParameters: 'reject' })] }));
  });
  after(async () => {
    await gw.close();
    await upstream.close();
  });

  type Options = Parameters<typeof httpRequest>[1];
  /** Refused with 400 before the upstream; returns [pointer, keyword] pairs. */
  async function refused(path: string, options: Options = {}): Promise<Array<[string, string]>> {
    const count = upstream.requests.length;
    const reply = await httpRequest(`${gw.url}${path}`, options);
    const problem = assertProblem(reply, 400, 'validation.failed') as unknown as Problem;
    assert.equal(upstream.requests.length, count, `${path}: a refused request never reaches the upstream`);
    return problem.errors.map((e) => [e.pointer, e.keyword]);
  }
  /** Accepted, and the upstream received exactly the target and body that were validated. */
  async function accepted(path: string, options: Options = {}): Promise<void> {
    const reply = await httpRequest(`${gw.url}${path}`, options);
    assert.equal(reply.status, 200, `${path} ${String(options?.body ?? '')}: ${reply.text}`);
    const received = upstream.requests.at(-1)!;
    assert.equal(received.url, path, 'the upstream receives the request target as validated');
    if (options?.body !== undefined) assert.equal(received.body.toString('utf8'), String(options.body), 'the upstream receives the body as validated');
  }
  const form = (body: string): Options => ({ method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body });
  const json = (body: string, type = 'application/json'): Options => ({ method: 'POST', headers: { 'content-type': type }, body });

  /** Where an integer can be sent: how to send a spelling there, and the pointer of its error. */
  const LOCATIONS: Record<string, { send: (text: string) => [string, Options]; pointer: string; sendable: (text: string) => boolean }> = {
    path: { send: (t) => [`/api/numbers/${encodeURIComponent(t)}`, {}], pointer: '/path/id', sendable: (t) => t !== '' },
    query: { send: (t) => [`/api/numbers/1?n=${encodeURIComponent(t)}`, {}], pointer: '/query/n', sendable: () => true },
    // HTTP strips SP/HTAB around a field value (RFC 9110 §5.5) for the gateway and the upstream alike.
    header: { send: (t) => ['/api/numbers/1', { headers: { 'x-n': t } }], pointer: '/header/x-n', sendable: (t) => /^[\t\x20-\x7e\x80-\xff]*$/.test(t) && !/^[ \t]|[ \t]$/.test(t) },
    cookie: { send: (t) => ['/api/numbers/1', { headers: { cookie: `n=${t}` } }], pointer: '/cookie/n', sendable: (t) => /^[\t\x20-\x3a\x3c-\x7e\x80-\xff]*$/.test(t) && !/^[ \t]|[ \t]$/.test(t) },
    form: { send: (t) => ['/api/numbers/1', form(`n=${encodeURIComponent(t)}`)], pointer: '/body/n', sendable: () => true },
  };
  const NOT_INTEGERS = ['0x10', '0X1f', '0b1', '0o7', '1e2', '1E0', '+1', '-', '--1', 'Infinity', '-Infinity', 'NaN', ' ', '', '1.0', '1.5', '.5', '01', '-01', '1_000', '1,000', ' 1', '1 ', '\t1', '1\t', '\u00a01', '1\u00a0', '\u20281', '1\u2028', '\ufeff1', '\u30001', '１', '1\n', '\n1', '0.1e1'];
  const INTEGERS = ['0', '7', '-1', '-0', '42', '9007199254740993'];

  for (const [location, { send, pointer, sendable }] of Object.entries(LOCATIONS)) {
    test(`${location}: an integer is only a JSON integer, without whitespace, signs, prefixes, fractions or exponents`, async () => {
      for (const text of NOT_INTEGERS.filter(sendable)) {
        const [path, options] = send(text);
        assert.deepEqual(await refused(path, options), [[pointer, 'type']], `${location} ${JSON.stringify(text)}`);
      }
      for (const text of INTEGERS) {
        const [path, options] = send(text);
        await accepted(path, options);
      }
    });
  }

  test('an object-or-scalar header is read as an object when it is one, else as the plain value', async () => {
    await accepted('/api/numbers/1', { headers: { 'x-range': 'from=1,to=5' } });
    await accepted('/api/numbers/1', { headers: { 'x-range': '7' } });
    assert.ok((await refused('/api/numbers/1', { headers: { 'x-range': 'abc' } })).every(([pointer]) => pointer.startsWith('/header/x-range')));
    assert.ok((await refused('/api/numbers/1', { headers: { 'x-range': 'from=x' } })).every(([pointer]) => pointer.startsWith('/header/x-range')));
  });

  test('a cookie value must pass as sent and as a server that percent-decodes cookies reads it', async () => {
    assert.deepEqual(await refused('/api/numbers/1', { headers: { cookie: 'note=%3Cscript%3E' } }), [['/cookie/note', 'pattern']]);
    assert.deepEqual(await refused('/api/numbers/1', { headers: { cookie: 'n=%31' } }), [['/cookie/n', 'type']]);
    await accepted('/api/numbers/1', { headers: { cookie: 'note=100%; n=1' } });
    await accepted('/api/numbers/1', { headers: { cookie: 'note=a%20b' } });
  });

  test('booleans are only true and false, in the query and in form fields', async () => {
    for (const text of ['1', '0', 'TRUE', 'True', 'yes', 'on', ' true', 'true ', '', 'true\u00a0']) {
      assert.deepEqual(await refused(`/api/numbers/1?flag=${encodeURIComponent(text)}`), [['/query/flag', 'type']], JSON.stringify(text));
      assert.deepEqual(await refused('/api/numbers/1', form(`flag=${encodeURIComponent(text)}`)), [['/body/flag', 'type']], JSON.stringify(text));
    }
    await accepted('/api/numbers/1?flag=true');
    await accepted('/api/numbers/1', form('flag=false'));
  });

  test('a number is the JSON number grammar: fractions and exponents, nothing else', async () => {
    for (const text of ['1.5', '-0.5e-3', '1E2', '0', '-0']) await accepted(`/api/numbers/1?ratio=${encodeURIComponent(text)}`);
    for (const text of ['.5', '5.', '0x10', 'Infinity', 'NaN', '1e', '1e+', '+1.5', ' 1.5', '1.5\u2028', '00.5']) {
      assert.deepEqual(await refused(`/api/numbers/1?ratio=${encodeURIComponent(text)}`), [['/query/ratio', 'type']], JSON.stringify(text));
    }
  });

  test('a value the schema allows as an integer or a string is accepted by either reading', async () => {
    await accepted('/api/numbers/1?either=4');
    await accepted('/api/numbers/1?either=7');
    await accepted('/api/numbers/1?either=abc');
    assert.ok((await refused('/api/numbers/1?either=123456')).length > 0);
  });

  test('int64 and int32 hold exactly at their bounds, in parameters and in JSON bodies', async () => {
    await accepted('/api/numbers/1?big=9223372036854775807&small=2147483647');
    await accepted('/api/numbers/1?big=-9223372036854775808&small=-2147483648');
    assert.deepEqual(await refused('/api/numbers/1?big=9223372036854775808'), [['/query/big', 'format']]);
    assert.deepEqual(await refused('/api/numbers/1?big=-9223372036854775809'), [['/query/big', 'format']]);
    assert.deepEqual(await refused('/api/numbers/1?small=2147483648'), [['/query/small', 'format']]);
    await accepted('/api/numbers/1', json('{"big": 9223372036854775807, "small": -2147483648}'));
    assert.deepEqual(await refused('/api/numbers/1', json('{"big": 9223372036854775808}')), [['/body/big', 'format']]);
    assert.deepEqual(await refused('/api/numbers/1', json('{"big": -9223372036854775809}')), [['/body/big', 'format']]);
    assert.deepEqual(await refused('/api/numbers/1', json('{"small": 2147483648}')), [['/body/small', 'format']]);
  });

  test('date-time is RFC 3339: T between date and time, offsets as Z or ±hh:mm', async () => {
    await accepted(`/api/numbers/1?at=${encodeURIComponent('2026-11-30T08:15:00+02:00')}`);
    await accepted('/api/numbers/1', json('{"at": "2026-11-30T08:15:00.5Z"}'));
    for (const text of ['2026-11-30T08:15:00+0200', '2026-11-30T08:15:00+02', '2026-11-30 08:15:00Z', '2026-11-30T08:15:00']) {
      assert.deepEqual(await refused(`/api/numbers/1?at=${encodeURIComponent(text)}`), [['/query/at', 'format']], text);
      assert.deepEqual(await refused('/api/numbers/1', json(JSON.stringify({ at: text }))), [['/body/at', 'format']], text);
    }
  });

  test('lists are split on the raw delimiters before decoding, in every style and location', async () => {
    // (matrix-style path values cannot pass the gateway's request-target checks, which refuse `;`.)
    const base = '/api/lists/a,b/.a,b';
    const tooLong = (pointer: string): Array<[string, string]> => [[pointer, 'maxLength']];
    assert.deepEqual(await refused('/api/lists/abcde%2Cfghij/.a'), tooLong('/path/plain/0'));
    assert.deepEqual(await refused('/api/lists/a/.abcde%2Cfghij'), tooLong('/path/dotted/0'));
    assert.deepEqual(await refused(`${base}?tags=abcde%2Cfghij`), tooLong('/query/tags/0'));
    assert.deepEqual(await refused(`${base}?tags=abcde%2cfghij`), tooLong('/query/tags/0'));
    assert.deepEqual(await refused(`${base}?pipes=abcde%7Cfghij`), tooLong('/query/pipes/0'));
    assert.deepEqual(await refused(`${base}?spaces=abcde%2520fghij`), tooLong('/query/spaces/0'));
    assert.deepEqual(await refused(`${base}?exploded=abcde%2Cfghij`), tooLong('/query/exploded/0'));
    assert.deepEqual(await refused(base, { headers: { 'x-tags': 'abcde%2Cfghij' } }), tooLong('/header/x-tags/0'));
    assert.deepEqual(await refused(base, { headers: { cookie: 'tags=abcde%2Cfghij' } }), tooLong('/cookie/tags/0'));
    await accepted(`${base}?tags=abcde,fghij&pipes=abcde|fghij&spaces=abcde%20fghij&exploded=abcde&exploded=fghij`, { headers: { 'x-tags': 'abcde, fghij', cookie: 'tags=abcde,fghij' } });
    await accepted('/api/lists/abcde,fghij/.abcde,fghij?spaces=abcde+fghij');
    // More items than allowed, counted on the raw delimiters.
    assert.deepEqual(await refused(`${base}?tags=a,b,c`), [['/query/tags', 'maxItems']]);
    assert.deepEqual(await refused('/api/lists/a,b,c/.a'), [['/path/plain', 'maxItems']]);
    // label and matrix values carry their prefix.
    assert.deepEqual(await refused('/api/lists/a/a'), [['/path/dotted', 'style']]);
  });

  test('a deepObject parameter that may also be a scalar is a parameter either way; without brackets it is still checked', async () => {
    await accepted('/closed/lists/a/.a?created=1700000000');
    await accepted('/closed/lists/a/.a?created[gt]=1700000000&created[lt]=1800000000');
    await accepted('/closed/lists/a/.a?created%5Bgt%5D=1700000000&filter[name]=ada');
    assert.ok((await refused('/closed/lists/a/.a?created=abc')).every(([pointer]) => pointer === '/query/created'));
    assert.ok((await refused('/closed/lists/a/.a?created[gt]=abc')).some(([pointer]) => pointer.startsWith('/query/created')));
    assert.deepEqual(await refused('/closed/lists/a/.a?created=1&created[gt]=2'), [['/query/created', 'duplicate']]);
    for (const prefix of ['/closed', '/api']) {
      assert.deepEqual(await refused(`${prefix}/lists/a/.a?filter=abc`), [['/query/filter', 'type']]);
      assert.deepEqual(await refused(`${prefix}/lists/a/.a?filter[name]=abcdefgh`), [['/query/filter/name', 'maxLength']]);
    }
    assert.deepEqual(await refused('/closed/lists/a/.a?filter[nick]=x'), [['/query/filter/nick', 'additionalProperties']]);
  });

  test('form bodies follow the encoding object: deepObject fields are objects and lists, form fields comma lists', async () => {
    const valid = 'amount=100&metadata[order_id]=6735&metadata%5Bnote%5D=gift&expand[]=customer&expand[]=invoice&items[0][price]=p_1&items[0][quantity]=2&items[1][price]=p_2&codes=ab,cd&labels=x&labels=y';
    await accepted('/api/charges', form(valid));
    await accepted('/api/charges', form('amount=1&expand[0]=customer&expand[1]=invoice'));
    assert.deepEqual(await refused('/api/charges', form('amount=1&metadata[order_id]=12345678901')), [['/body/metadata/order_id', 'maxLength']]);
    assert.deepEqual(await refused('/api/charges', form('amount=1&items[0][quantity]=0x10')), [['/body/items/0/quantity', 'type']]);
    assert.deepEqual(await refused('/api/charges', form('amount=1&items[1][price]=p_1')), [['/body/items', 'type']], 'list indices must start at 0 without gaps');
    assert.deepEqual(await refused('/api/charges', form('amount=1&items[0][admin]=true')), [['/body/items/0/admin', 'additionalProperties']]);
    assert.deepEqual(await refused('/api/charges', form('amount=1&metadata=plain')), [['/body/metadata', 'type']]);
    assert.deepEqual(await refused('/api/charges', form('amount=1&metadata[a]=1&metadata[a][b]=2')), [['/body/metadata/a/b', 'duplicate']]);
    assert.deepEqual(await refused('/api/charges', form('amount=1&metadata[__proto__]=x')), [['/body/metadata/__proto__', 'forbiddenKey']]);
    assert.deepEqual(await refused('/api/charges', form('amount=1&codes=abcdef%2Cg')), [['/body/codes/0', 'maxLength']]);
    assert.deepEqual(await refused('/api/charges', form('amount=1&unknown[x]=1')), [['/body/unknown[x]', 'unevaluatedProperties']]);
    // A field with a JSON contentType holds a JSON document, parsed as safely as a JSON body.
    await accepted('/api/charges', form(`amount=1&settings=${encodeURIComponent('{"limit": 5}')}`));
    assert.deepEqual(await refused('/api/charges', form(`amount=1&settings=${encodeURIComponent('{"limit": 2147483648}')}`)), [['/body/settings/limit', 'format']]);
    assert.deepEqual(await refused('/api/charges', form(`amount=1&settings=${encodeURIComponent('{"limit": 1, "limit": 2}')}`)), [['/body/settings/limit', 'duplicateKey']]);
  });

  test('a body declared as */* is validated when it arrives as JSON or as a form; other content is refused with 415 (it could not be checked)', async () => {
    const put = (body: string, type: string): Options => ({ method: 'PUT', headers: { 'content-type': type }, body });
    await accepted('/api/objects', put('{"kind": "pod"}', 'application/json'));
    await accepted('/api/objects', put('{"kind": "pod"}', 'application/merge-patch+json'));
    assert.deepEqual(await refused('/api/objects', put('{"kind": 1}', 'application/json')), [['/body/kind', 'type']]);
    assert.deepEqual(await refused('/api/objects', put('{}', 'application/json')), [['/body/kind', 'required']]);
    assert.deepEqual(await refused('/api/objects', put('{"kind": "a", "kind": "b"}', 'application/json')), [['/body/kind', 'duplicateKey']]);
    assert.deepEqual(await refused('/api/objects', put('kind=1&other=1', 'application/x-www-form-urlencoded')), [['/body/other', 'unevaluatedProperties']]);
    await accepted('/api/objects', put('kind=pod', 'application/x-www-form-urlencoded'));
    assertProblem(await httpRequest(`${gw.url}/api/objects`, put('%PDF-1.7 not json', 'application/pdf')), 415, 'request.unsupported_media_type');
    // A schema of bytes (format: binary) describes an upload of any type, JSON included.
    await accepted('/api/files', put('{"any": "json file"}', 'application/json'));
  });

  test('a JSON or form body that starts with a byte order mark is refused (RFC 8259 §8.1)', async () => {
    assert.deepEqual(await refused('/api/numbers/1', json('\ufeff{"small": 1}')), [['/body', 'byteOrderMark']]);
    assert.deepEqual(await refused('/api/objects', { method: 'PUT', headers: { 'content-type': 'application/json' }, body: '\ufeff{"kind": "pod"}' }), [['/body', 'byteOrderMark']]);
    assert.deepEqual(await refused('/api/numbers/1', form('\ufeffn=1')), [['/body', 'byteOrderMark']]);
  });
});
