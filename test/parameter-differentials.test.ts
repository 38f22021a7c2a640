/**
 * Issue 12, attacked again: requests that the gateway and a common upstream server could read
 * differently. Each is refused before the upstream, or forwarded exactly as validated.
 * - names that servers read as a declared parameter (`n[]`, `N`, `n.x`, `page.size`, `X_Id`);
 * - pairs hidden behind a `;`, which some servers take as a separator;
 * - a fragment in the request target, which the upstream's URL parser drops;
 * - a `*\/*` body with an object schema sent in a media type the gateway cannot read;
 * - a body rewritten by sanitize: validated as rewritten, as the upstream receives it;
 * - a method override in the query or a form (`_method=DELETE`), which Rails, Laravel, Symfony,
 *   Express's method-override and ASP.NET obey on a POST.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { writeContract } from './helpers/contracts.js';
import { assertProblem, baseConfig, httpRequest, parseRawResponse, rawExchange, startGateway, startUpstream, type TestGateway, type TestUpstream } from './helpers/index.js';

const CONTRACT = `
openapi: 3.0.3
info: { title: differentials, version: '1' }
paths:
  /items/{id}:
    get:
      operationId: getItem
      parameters:
        - { name: id, in: path, required: true, schema: { type: integer } }
        - { name: n, in: query, schema: { type: integer, maximum: 10 } }
        - { name: page_size, in: query, schema: { type: integer, maximum: 10 } }
        - { name: free, in: query, schema: { type: string } }
        - { name: page, in: query, schema: { type: object, properties: { limit: { type: integer, maximum: 10 } } } }
        - { name: filter, in: query, style: deepObject, schema: { type: object, properties: { a: { type: integer, maximum: 10 } } } }
        - { name: X-Id, in: header, schema: { type: integer, maximum: 10 } }
        - { name: X-Ref, in: header, schema: { type: string, minLength: 4 } }
        - { name: X-Tags, in: header, schema: { type: array, items: { type: string, maxLength: 3 } } }
        - { name: sid, in: cookie, schema: { type: string, pattern: '^[a-z]+$' } }
        - { name: user.id, in: cookie, schema: { type: integer, maximum: 10 } }
      responses: { '200': { description: ok } }
    post:
      operationId: postItem
      requestBody:
        content:
          application/x-www-form-urlencoded:
            schema: { type: object, properties: { amount: { type: integer, maximum: 10 }, note: { type: string } } }
      responses: { '200': { description: ok } }
  /wild:
    put:
      operationId: wild
      requestBody:
        required: true
        content:
          '*/*':
            schema: { type: object, properties: { amount: { type: integer, maximum: 10 } } }
      responses: { '200': { description: ok } }
  /notes:
    post:
      operationId: note
      requestBody:
        content:
          application/json:
            schema: { type: object, properties: { title: { type: string, maxLength: 5 }, text: { type: string, maxLength: 20 } } }
      responses: { '200': { description: ok } }
`;

type Problem = { errors: Array<{ pointer: string; keyword: string }> };

describe('requests the gateway and the upstream could read differently are refused', () => {
  let upstream: TestUpstream;
  let gw: TestGateway;

  before(async () => {
    const contract = writeContract(CONTRACT, 'differentials.openapi.yaml');
    upstream = await startUpstream();
    const route = (name: string, policies: Record<string, unknown>) => ({ name, methods: ['GET', 'POST', 'PUT'], path: `/${name}/*`, upstream: 'backend', policies });
    gw = await startGateway(
      baseConfig([upstream.url], {
        routes: [
          route('api', { validate: { contract, pathPrefix: '/api' } }),
          route('closed', { validate: { contract, pathPrefix: '/closed', unknownQueryParameters: 'reject' } }),
          route('open', { validate: { contract, pathPrefix: '/open', unknownBodyProperties: 'allow' } }),
          route('plain', {}),
          route('clean', { validate: { contract, pathPrefix: '/clean' }, sanitize: { body: { markup: 'escape' } } }),
        ],
      }),
    );
  });
  after(async () => {
    await gw.close();
    await upstream.close();
  });

  type Options = Parameters<typeof httpRequest>[1];
  async function refused(path: string, options: Options = {}): Promise<Array<[string, string]>> {
    const count = upstream.requests.length;
    const reply = await httpRequest(`${gw.url}${path}`, options);
    const problem = assertProblem(reply, 400, 'validation.failed') as unknown as Problem;
    assert.equal(upstream.requests.length, count, `${path}: a refused request never reaches the upstream`);
    return problem.errors.map((e) => [e.pointer, e.keyword]);
  }
  async function accepted(path: string, options: Options = {}): Promise<void> {
    const reply = await httpRequest(`${gw.url}${path}`, options);
    assert.equal(reply.status, 200, `${path} ${String(options?.body ?? '')}: ${reply.text}`);
    const received = upstream.requests.at(-1)!;
    assert.equal(received.url, path, 'the upstream receives the request target as validated');
    if (options?.body !== undefined) assert.equal(received.body.toString('utf8'), String(options.body), 'the upstream receives the body as validated');
  }
  const form = (body: string): Options => ({ method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body });

  test('rejects with 400 ambiguousName a query name that qs, PHP, Rails, ASP.NET or Spring read as a declared parameter', async () => {
    // name sent → the declared parameter some server reads it as
    const aliases: Array<[string, string]> = [
      ['n[]', 'n'], // qs, PHP, Rails: an array n
      ['n[0]', 'n'], // qs, PHP: n[0]
      ['n[x]', 'n'], // qs, PHP, Rails: a hash n
      ['n.x', 'n'], // ASP.NET, Spring, qs allowDots
      ['N', 'n'], // ASP.NET Core: case-insensitive names
      ['page.size', 'page_size'], // PHP: `.` becomes `_`
      ['page size', 'page_size'], // PHP: ` ` becomes `_`
      ['PAGE_SIZE', 'page_size'],
      ['LIMIT', 'limit'], // a property of the exploded object `page`
      ['filter[a', 'filter'], // an unclosed bracket of a deepObject
      ['page[size', 'page_size'], // PHP: an unclosed `[` becomes `_`
      [' n', 'n'], // PHP drops leading spaces
      ['!n', 'n'], // Spring's data binder: the default value of n
      ['n%5B%FF%5D', 'n'], // not UTF-8, but PHP decodes the bytes: the array n
    ];
    for (const [name] of aliases) {
      const encoded = name.includes('%') ? name : encodeURIComponent(name).replace(/%5B/g, '[').replace(/%5D/g, ']');
      assert.deepEqual(await refused(`/api/items/1?${encoded}=50`), [[`/query/${name}`, 'ambiguousName']], name);
      // Next to the declared spelling, whose value alone was checked before.
      const declared = aliases.find(([alias]) => alias === name)![1];
      const problems = await refused(`/api/items/1?${declared}=5&${encoded}=50`);
      assert.ok(problems.some(([pointer, keyword]) => pointer === `/query/${name}` && keyword === 'ambiguousName'), `${declared}=5&${name}=50: ${JSON.stringify(problems)}`);
    }
    // The declared spellings pass, as do names that are no other parameter's.
    await accepted('/api/items/1?n=5&page_size=10&limit=3&filter[a]=1&other[x]=9&nx=50');
  });

  test('rejects with 400 ambiguousName a form field that servers read as a declared field, even where the schema is open', async () => {
    for (const name of ['amount[]', 'amount[0]', 'AMOUNT', 'amount.x']) {
      assert.deepEqual(await refused('/open/items/1', form(`${name}=50`)), [[`/body/${name}`, 'ambiguousName']], name);
    }
    await accepted('/open/items/1', form('amount=5&extra=50'));
  });

  test('rejects with 400 ambiguousName a header that CGI-style servers read as a declared header (X_Id is X-Id)', async () => {
    assert.deepEqual(await refused('/api/items/1', { headers: { x_id: '50' } }), [['/header/x_id', 'ambiguousName']]);
    assert.ok((await refused('/api/items/1', { headers: { 'x-id': '5', x_id: '50' } })).some(([pointer, keyword]) => pointer === '/header/x_id' && keyword === 'ambiguousName'));
    await accepted('/api/items/1', { headers: { 'x-id': '5', x_other: '50' } });
  });

  test('rejects with 400 duplicate a scalar header sent in two field lines (RFC 9110 §5.3); a list header may be', async () => {
    // Joined, `ab, cd` has 6 characters; Go's Header.Get reads `ab`, which minLength 4 refuses.
    assert.deepEqual(await refused('/api/items/1', { headers: { 'x-ref': ['ab', 'cd'] } }), [['/header/x-ref', 'duplicate']]);
    assert.deepEqual(await refused('/api/items/1', { headers: { 'x-id': ['5', '7'] } }), [['/header/x-id', 'duplicate']]);
    await accepted('/api/items/1', { headers: { 'x-ref': 'ab, cd', 'x-tags': ['a', 'b'] } });
  });

  test('rejects with 400 ambiguousName a cookie that PHP or ASP.NET Core read as a declared cookie', async () => {
    for (const name of ['SID', 's%69d', 'user_id', 'USER.ID', 'user%2Eid']) {
      assert.deepEqual(await refused('/api/items/1', { headers: { cookie: `${name}=50` } }), [[`/cookie/${name}`, 'ambiguousName']], name);
    }
    await accepted('/api/items/1', { headers: { cookie: 'sid=abc; user.id=5; _ga=GA1.2.3; other=X' } });
  });

  test('rejects with 400 separator a declared parameter hidden behind a ";", in the query and in form bodies', async () => {
    assert.deepEqual(await refused('/api/items/1?free=a;n=50'), [['/query/n', 'separator']]);
    assert.deepEqual(await refused('/api/items/1?free=a;%6E=50'), [['/query/n', 'separator']]);
    assert.deepEqual(await refused('/api/items/1?free=a;N=50'), [['/query/N', 'separator']]);
    assert.deepEqual(await refused('/api/items/1?free;n=50'), [['/query/n', 'separator']]);
    assert.deepEqual(await refused('/api/items/1', form('note=a;amount=50')), [['/body/amount', 'separator']]);
    // Where unknown names are refused, any name behind a `;` is.
    assert.deepEqual(await refused('/closed/items/1?free=a;zzz=1'), [['/query/zzz', 'separator']]);
    // A `;` that hides no declared name is a character of the value, forwarded as sent (RSQL).
    await accepted('/api/items/1?free=a;b');
    await accepted('/api/items/1?free=name==x;age=gt=3');
    await accepted('/api/items/1?free=a%3Bn%3D50');
    await accepted('/api/items/1', form('note=a;b=c'));
  });

  test('rejects with 400 request.malformed a fragment in the request target, which the upstream would drop with what follows it', async () => {
    for (const target of ['/api/items/1?free=x#&n=5', '/api/items/1?n=5#', '/api/items/1?#n=5']) {
      const count = upstream.requests.length;
      const reply = parseRawResponse(await rawExchange(gw.port, [`GET ${target} HTTP/1.1\r\nHost: a.example\r\nConnection: close\r\n\r\n`]));
      assertProblem(reply, 400, 'request.malformed');
      assert.equal(upstream.requests.length, count, target);
    }
  });

  test('rejects with 400 request.malformed a method override in the query, on every route, and with 400 methodOverride in a form body', async () => {
    for (const query of ['_method=DELETE', '_%6Dethod=DELETE', '_METHOD=PUT', '.method=DELETE', 'a=1&X-HTTP-Method-Override=DELETE', 'x-http-method=PATCH', 'x-method-override=DELETE', 'a=1;_method=DELETE', '_method[]=DELETE']) {
      for (const path of ['/plain/items/1', '/api/items/1']) {
        const count = upstream.requests.length;
        const reply = await httpRequest(`${gw.url}${path}?${query}`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: 'amount=5' });
        assertProblem(reply, 400, 'request.malformed');
        assert.equal(upstream.requests.length, count, `${path}?${query}`);
      }
    }
    for (const name of ['_method', '_Method', 'X-HTTP-Method-Override']) {
      assert.deepEqual(await refused('/open/items/1', form(`amount=5&${name}=DELETE`)), [[`/body/${name}`, 'methodOverride']], name);
    }
    // Laravel reads it from a JSON body too.
    const put = (body: string): Options => ({ method: 'PUT', headers: { 'content-type': 'application/json' }, body });
    assert.deepEqual(await refused('/open/wild', put('{"amount":5,"_method":"DELETE"}')), [['/body/_method', 'methodOverride']]);
    // Names that only contain the word pass.
    await accepted('/plain/items/1?method=card&payment_method=x&_methods=1');
    await accepted('/open/wild', put('{"amount":5,"payment_method":"card","nested":{"_method":"x"}}'));
  });

  test('rejects with 400 duplicateKey JSON keys that differ only in case, which Go and ASP.NET read as one field', async () => {
    const post = (body: string): Options => ({ method: 'POST', headers: { 'content-type': 'application/json' }, body });
    // An open schema (unknownBodyProperties: allow) would otherwise check amount=5 and pass AMOUNT.
    assert.deepEqual(await refused('/open/wild', { ...post('{"amount":5,"AMOUNT":50}'), method: 'PUT' }), [['/body/AMOUNT', 'duplicateKey']]);
    assert.deepEqual(await refused('/open/wild', { ...post('{"x":{"Key":1,"key":2}}'), method: 'PUT' }), [['/body/x/key', 'duplicateKey']]);
    // U+212A KELVIN SIGN folds to k (Go's unicode.SimpleFold).
    assert.deepEqual(await refused('/open/wild', { ...post('{"k":1,"\u212a":2}'), method: 'PUT' }), [['/body/\u212a', 'duplicateKey']]);
    await accepted('/open/wild', { ...post('{"amount":5,"amounts":[{"amount":1},{"Amount":2}]}'), method: 'PUT' });
  });

  test('rejects with 415 a Content-Type that names its charset twice (one server decodes by the first, another by the last)', async () => {
    for (const type of ['application/json; charset=utf-16; charset=utf-8', 'application/json; charset=utf-8; Charset=utf-8']) {
      const count = upstream.requests.length;
      assertProblem(await httpRequest(`${gw.url}/api/notes`, { method: 'POST', headers: { 'content-type': type }, body: '{"title":"a"}' }), 415, 'request.unsupported_media_type');
      assert.equal(upstream.requests.length, count, type);
    }
    await accepted('/api/notes', { method: 'POST', headers: { 'content-type': 'application/json; charset=utf-8' }, body: '{"title":"a"}' });
  });

  test('rejects with 415 a */* body with an object schema in a media type the gateway cannot read', async () => {
    for (const type of ['text/plain', 'application/yaml', 'text/json', 'application/octet-stream', 'multipart/form-data; boundary=x']) {
      const count = upstream.requests.length;
      const reply = await httpRequest(`${gw.url}/api/wild`, { method: 'PUT', headers: { 'content-type': type }, body: '{"amount":50}' });
      assertProblem(reply, 415, 'request.unsupported_media_type');
      assert.equal(upstream.requests.length, count, type);
    }
    assert.deepEqual(await refused('/api/wild', { method: 'PUT', headers: { 'content-type': 'application/json' }, body: '{"amount":50}' }), [['/body/amount', 'maximum']]);
    assert.deepEqual(await refused('/api/wild', { method: 'PUT', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: 'amount=50' }), [['/body/amount', 'maximum']]);
    await accepted('/api/wild', { method: 'PUT', headers: { 'content-type': 'application/vnd.api+json' }, body: '{"amount":5}' });
  });

  test('checks the body sanitize rewrote, as the upstream receives it: an escaped string longer than maxLength is refused', async () => {
    const post = (body: string): Options => ({ method: 'POST', headers: { 'content-type': 'application/json' }, body });
    // `<b>` is 3 characters as sent and `&lt;b&gt;` (9) as forwarded.
    assert.deepEqual(await refused('/clean/notes', post('{"title":"<b>"}')), [['/body/title', 'maxLength']]);
    const reply = await httpRequest(`${gw.url}/clean/notes`, post('{"text":"<b>"}'));
    assert.equal(reply.status, 200, reply.text);
    assert.equal(upstream.requests.at(-1)!.body.toString(), '{"text":"&lt;b&gt;"}');
  });
});
