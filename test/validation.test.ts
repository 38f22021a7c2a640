import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { formatIssue, loadConfigFile, validateConfig } from '../src/config/loader.js';
import { PAYMENTS_CONTRACT, writeContract } from './helpers/contracts.js';
import { assertProblem, baseConfig, httpRequest, startGateway, startUpstream, type TestGateway, type TestUpstream } from './helpers/index.js';

const json = (body: unknown) => ({ method: 'POST', headers: { 'content-type': 'application/json' }, body: typeof body === 'string' ? body : JSON.stringify(body) });
const VALID = { amount: 2500, currency: 'EUR', toIban: 'DE89370400440532013000' };
type Problem = { errors: Array<{ pointer: string; keyword: string; message: string }> };

describe('request validation against an OpenAPI contract', () => {
  let upstream: TestUpstream;
  let gw: TestGateway;
  let contract: string;

  before(async () => {
    contract = writeContract();
    upstream = await startUpstream();
    const validate = (extra: Record<string, unknown>) => ({ validate: { contract, ...extra } });
    gw = await startGateway(
      baseConfig([upstream.url], {
        routes: [
          { name: 'create', methods: ['POST'], path: '/v1/accounts/:id/payments', upstream: 'backend', policies: validate({ operationId: 'createPayment' }) },
          { name: 'list', methods: ['GET'], path: '/v1/accounts/:id/payments', upstream: 'backend', policies: validate({ operation: 'GET /accounts/{accountId}/payments', unknownQueryParameters: 'reject' }) },
          { name: 'limited', methods: ['POST'], path: '/limited/accounts/:id/payments', upstream: 'backend', policies: validate({ operationId: 'createPayment', maxErrors: 2, limits: { maxDepth: 4, maxStringLength: 200, maxArrayLength: 5, maxProperties: 10 } }) },
          { name: 'lenient', methods: ['POST'], path: '/lenient/accounts/:id/payments', upstream: 'backend', policies: validate({ operationId: 'createPayment', unknownBodyProperties: 'allow' }) },
          { name: 'whole', methods: ['GET', 'POST', 'PUT'], path: '/api/*', upstream: 'backend', policies: validate({ pathPrefix: '/api' }) },
        ],
      }),
    );
  });
  after(async () => {
    await gw.close();
    await upstream.close();
  });

  /** Sends a request that must be refused with 400 and never reach the upstream; returns the errors. */
  async function refused(path: string, options: Parameters<typeof httpRequest>[1]): Promise<Problem['errors']> {
    const before = upstream.requests.length;
    const reply = await httpRequest(`${gw.url}${path}`, options);
    const problem = assertProblem(reply, 400, 'validation.failed') as unknown as Problem;
    assert.equal(upstream.requests.length, before, 'a refused request never reaches the upstream');
    return problem.errors;
  }

  test('passes a valid JSON body to the upstream unchanged', async () => {
    const body = JSON.stringify({ ...VALID, reference: null, metadata: { anything: [1, 2] }, tags: ['a'] });
    const reply = await httpRequest(`${gw.url}/v1/accounts/42/payments`, { ...json(body) });
    assert.equal(reply.status, 200, reply.text);
    assert.equal(upstream.requests.at(-1)!.body.toString(), body);
  });

  test('lists every problem of a body with its pointer: wrong type, missing field, unknown property', async () => {
    const errors = await refused('/v1/accounts/42/payments', json({ amount: 'ten', toIban: 'DE89', extra: true }));
    assert.deepEqual(
      errors.map((e) => [e.pointer, e.keyword]).sort(),
      [
        ['/body/amount', 'type'],
        ['/body/currency', 'required'],
        ['/body/extra', 'unevaluatedProperties'],
      ].sort(),
    );
    for (const error of errors) assert.equal(typeof error.message, 'string');
  });

  test('refuses a property the contract does not list, also through allOf, unless unknownBodyProperties is allow', async () => {
    assert.deepEqual(
      (await refused('/v1/accounts/42/payments', json({ ...VALID, isAdmin: true }))).map((e) => e.pointer),
      ['/body/isAdmin'],
    );
    assert.equal((await httpRequest(`${gw.url}/lenient/accounts/42/payments`, json({ ...VALID, isAdmin: true }))).status, 200);
  });

  test('refuses an injection string in an integer path parameter with its pointer', async () => {
    const errors = await refused(`/v1/accounts/${encodeURIComponent('1 OR 1=1')}/payments`, json(VALID));
    assert.deepEqual(errors.map((e) => [e.pointer, e.keyword]), [['/path/accountId', 'type']]);
  });

  test('refuses malformed JSON, duplicate keys and prototype-pollution keys', async () => {
    assert.deepEqual((await refused('/v1/accounts/1/payments', json('{"amount": 1,'))).map((e) => [e.pointer, e.keyword]), [['/body', 'json']]);
    assert.deepEqual((await refused('/v1/accounts/1/payments', json('{"amount": 1, "currency": "EUR", "toIban": "x", "amount": 100000}'))).map((e) => [e.pointer, e.keyword]), [['/body/amount', 'duplicateKey']]);
    // An escaped spelling of the same key is the same key.
    assert.deepEqual((await refused('/v1/accounts/1/payments', json('{"amount": 1, "\\u0061mount": 2}'))).map((e) => e.keyword), ['duplicateKey']);
    assert.deepEqual((await refused('/lenient/accounts/1/payments', json('{"amount": 1, "currency": "EUR", "toIban": "x", "__proto__": {"isAdmin": true}}'))).map((e) => [e.pointer, e.keyword]), [['/body/__proto__', 'forbiddenKey']]);
    assert.deepEqual((await refused('/lenient/accounts/1/payments', json('{"amount": 1, "currency": "EUR", "toIban": "x", "metadata": {"constructor": {"prototype": {"x": 1}}}}'))).map((e) => [e.pointer, e.keyword]), [['/body/metadata/constructor/prototype', 'forbiddenKey']]);
  });

  test('applies the safe limits even where the schema says nothing: depth, string length, array length, properties', async () => {
    const deep = { ...VALID, metadata: { a: { b: { c: { d: 1 } } } } };
    assert.deepEqual((await refused('/limited/accounts/1/payments', json(deep))).map((e) => [e.pointer, e.keyword]), [['/body/metadata/a/b/c', 'maxDepth']]);
    const huge = { ...VALID, metadata: { note: 'x'.repeat(5000) } };
    const errors = await refused('/limited/accounts/1/payments', json(huge));
    assert.deepEqual(errors.map((e) => [e.pointer, e.keyword]), [['/body/metadata/note', 'maxStringLength']]);
    assert.ok(!JSON.stringify(errors).includes('xxxxxxxxxx'), 'large input is never echoed');
    assert.deepEqual((await refused('/limited/accounts/1/payments', json({ ...VALID, tags: ['1', '2', '3', '4', '5', '6'] }))).map((e) => [e.pointer, e.keyword]), [['/body/tags', 'maxArrayLength']]);
    const wide = { ...VALID, metadata: Object.fromEntries(Array.from({ length: 11 }, (_, i) => [`k${i}`, i])) };
    assert.deepEqual((await refused('/limited/accounts/1/payments', json(wide))).map((e) => [e.pointer, e.keyword]), [['/body/metadata', 'maxProperties']]);
  });

  test('caps the number of errors listed and cuts long property names short', async () => {
    const longName = 'k'.repeat(150);
    const errors = await refused('/limited/accounts/1/payments', json({ [longName]: 1, a: 1, b: 2 }));
    assert.equal(errors.length, 2);
    const reply = await httpRequest(`${gw.url}/v1/accounts/1/payments`, json({ ...VALID, [longName]: 1 }));
    assert.ok(!reply.text.includes(longName), 'a long client-supplied name is not echoed whole');
  });

  test('refuses a missing body and an undeclared content type (415 request.unsupported_media_type)', async () => {
    assert.deepEqual((await refused('/v1/accounts/1/payments', { method: 'POST' })).map((e) => [e.pointer, e.keyword]), [['/body', 'required']]);
    const reply = await httpRequest(`${gw.url}/v1/accounts/1/payments`, { method: 'POST', headers: { 'content-type': 'text/plain' }, body: 'amount=1' });
    assertProblem(reply, 415, 'request.unsupported_media_type');
    assert.equal(reply.headers['accept-post'], 'application/json, application/x-www-form-urlencoded');
  });

  test('accepts any content type where the contract declares */*, without parsing it', async () => {
    const reply = await httpRequest(`${gw.url}/api/accounts/3/statements`, { method: 'PUT', headers: { 'content-type': 'application/pdf' }, body: '%PDF-1.7 not json' });
    assert.equal(reply.status, 200);
    assert.equal(upstream.requests.at(-1)!.body.toString(), '%PDF-1.7 not json');
  });

  test('validates form bodies with the same schema, coercing field strings', async () => {
    const form = { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' } };
    assert.equal((await httpRequest(`${gw.url}/v1/accounts/1/payments`, { ...form, body: 'amount=2500&currency=EUR&toIban=DE89&tags=a&tags=b' })).status, 200);
    assert.deepEqual((await refused('/v1/accounts/1/payments', { ...form, body: 'amount=1%20OR%201%3D1&currency=EUR&toIban=DE89' })).map((e) => [e.pointer, e.keyword]), [['/body/amount', 'type']]);
    assert.deepEqual((await refused('/v1/accounts/1/payments', { ...form, body: 'amount=1&amount=2&currency=EUR&toIban=DE89' })).map((e) => [e.pointer, e.keyword]), [['/body/amount', 'duplicate']]);
  });

  test('validates query parameters, headers and cookies, and refuses unknown query parameters when asked', async () => {
    assert.equal((await httpRequest(`${gw.url}/v1/accounts/7/payments?limit=10&status=pending&status=settled`, { headers: { 'x-request-date': '2026-11-22', cookie: 'session=abcdefgh12' } })).status, 200);
    const errors = await refused('/v1/accounts/7/payments?limit=500&status=lost&debug=1', { headers: { 'x-request-date': 'yesterday', cookie: 'session=short' } });
    assert.deepEqual(
      errors.map((e) => [e.pointer, e.keyword]).sort(),
      [
        ['/query/limit', 'maximum'],
        ['/query/status/0', 'enum'],
        ['/query/debug', 'unknownParameter'],
        ['/header/x-request-date', 'format'],
        ['/cookie/session', 'minLength'],
      ].sort(),
    );
    assert.deepEqual((await refused('/v1/accounts/7/payments?limit=1&limit=2', {})).map((e) => [e.pointer, e.keyword]), [['/query/limit', 'duplicate']]);
    assert.deepEqual((await refused('/v1/accounts/7/payments?limit=1%20OR%201%3D1', {})).map((e) => [e.pointer, e.keyword]), [['/query/limit', 'type']]);
  });

  test('with the whole document bound, matches each request to its operation; 404 and 405 outside the document', async () => {
    assert.equal((await httpRequest(`${gw.url}/api/accounts/3/payments?limit=2`)).status, 200);
    assert.equal(upstream.requests.at(-1)!.url, '/api/accounts/3/payments?limit=2');
    assert.deepEqual((await refused('/api/accounts/3/payments', json({ amount: 0, currency: 'EUR', toIban: 'x' }))).map((e) => [e.pointer, e.keyword]), [['/body/amount', 'minimum']]);
    assertProblem(await httpRequest(`${gw.url}/api/unknown`), 404, 'route.not_found');
    const wrongMethod = await httpRequest(`${gw.url}/api/health`, { method: 'PUT', body: '' });
    assertProblem(wrongMethod, 405, 'route.method_not_allowed');
    assert.equal(wrongMethod.headers.allow, 'GET, HEAD');
    assert.deepEqual((await refused('/api/health', { method: 'GET', headers: { 'content-type': 'application/json', 'content-length': '2' }, body: '{}' })).map((e) => [e.pointer, e.keyword]), [['/body', 'notAllowed']]);
  });

  test('counts refused requests in the metrics and the access log', async () => {
    const reply = await httpRequest(`${gw.url}/v1/accounts/x/payments`, json(VALID));
    assert.equal(reply.status, 400);
    const line = await gw.logs.accessLine(reply.headers['x-request-id']);
    assert.equal(line.code, 'validation.failed');
    assert.equal(line.validationErrors, 1);
    const metrics = await httpRequest(`${gw.gateway.adminUrl}/metrics`);
    assert.match(metrics.text, /portcullis_validation_failures_total\{route="create"\} \d+/);
  });
});

describe('routes generated from a contract', () => {
  let upstream: TestUpstream;
  let gw: TestGateway;
  before(async () => {
    upstream = await startUpstream();
    const config = baseConfig([upstream.url], { contractRoutes: [{ contract: writeContract(), upstream: 'backend', pathPrefix: '/v2', namePrefix: 'pay-' }] });
    delete config.routes;
    gw = await startGateway(config);
  });
  after(async () => {
    await gw.close();
    await upstream.close();
  });

  test('serves each operation as a route with its method and path template, validated, prefix removed upstream', async () => {
    const reply = await httpRequest(`${gw.url}/v2/accounts/5/payments?limit=3`);
    assert.equal(reply.status, 200);
    assert.equal(upstream.requests.at(-1)!.url, '/accounts/5/payments?limit=3');
    assert.equal((await gw.logs.accessLine(reply.headers['x-request-id'])).route, 'pay-listpayments');
    const errors = (assertProblem(await httpRequest(`${gw.url}/v2/accounts/5/payments`, json({ amount: 1 })), 400, 'validation.failed') as unknown as Problem).errors;
    assert.deepEqual(errors.map((e) => e.pointer).sort(), ['/body/currency', '/body/toIban']);
  });

  test('answers requests outside the document with 404 route.not_found or 405 with Allow', async () => {
    assertProblem(await httpRequest(`${gw.url}/v2/accounts/5/refunds`), 404, 'route.not_found');
    assertProblem(await httpRequest(`${gw.url}/accounts/5/payments`), 404, 'route.not_found');
    const wrong = await httpRequest(`${gw.url}/v2/health`, { method: 'DELETE' });
    assertProblem(wrong, 405, 'route.method_not_allowed');
    assert.equal(wrong.headers.allow, 'GET, HEAD');
  });

  test('refuses a config whose contract does not load, and one without any route', () => {
    const broken = validateConfig({ ...baseConfig(['http://127.0.0.1:1'], { contractRoutes: [{ contract: '/nonexistent.yaml', upstream: 'backend' }] }), routes: [] }, {});
    assert.ok(!broken.ok && broken.issues.some((i) => i.path === 'contractRoutes[0].contract'), JSON.stringify(broken));
    // The contract that failed explains the missing routes; "needs at least one route" would be noise.
    assert.ok(!broken.ok && !broken.issues.some((i) => i.path === 'routes'), JSON.stringify(broken));
    const empty = validateConfig({ ...baseConfig(['http://127.0.0.1:1']), routes: [] }, {});
    assert.ok(!empty.ok && empty.issues.some((i) => i.path === 'routes'), JSON.stringify(empty));
  });
});

describe('response validation', () => {
  const PAYMENT = { id: 'p1', amount: 100, currency: 'EUR', toIban: 'DE89' };
  const answers: Record<string, { status: number; body: string; chunked?: boolean }> = {
    '1': { status: 200, body: JSON.stringify([PAYMENT]) },
    '2': { status: 200, body: JSON.stringify([{ ...PAYMENT, amount: 'lots' }]) },
    '3': { status: 500, body: JSON.stringify({ error: 'boom' }) },
    '4': { status: 200, body: JSON.stringify([{ ...PAYMENT, id: 'x'.repeat(5000) }]) },
    '5': { status: 200, body: JSON.stringify([PAYMENT, PAYMENT]), chunked: true },
  };
  let upstream: TestUpstream;
  let gw: TestGateway;
  before(async () => {
    upstream = await startUpstream((req, res) => {
      const answer = answers[req.url!.split('/')[2]!]!;
      if (answer.chunked) {
        res.writeHead(answer.status, { 'content-type': 'application/json' });
        res.write(answer.body.slice(0, 10));
        res.end(answer.body.slice(10));
        return;
      }
      res.writeHead(answer.status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(answer.body) });
      res.end(answer.body);
    });
    const contract = writeContract();
    const route = (name: string, mode: string) => ({ name, methods: ['GET'], path: `/${name}/accounts/:id/payments`, upstream: 'backend', stripPrefix: `/${name}`, policies: { validate: { contract, operationId: 'listPayments', responses: { mode, maxBodyBytes: 2048 } } } });
    gw = await startGateway(baseConfig([upstream.url], { routes: [route('report', 'report'), route('block', 'block')] }));
  });
  after(async () => {
    await gw.close();
    await upstream.close();
  });

  test('report mode sends a response that breaks the contract, and logs and counts the drift', async () => {
    const reply = await httpRequest(`${gw.url}/report/accounts/2/payments`);
    assert.equal(reply.status, 200);
    assert.equal(reply.text, answers['2']!.body);
    const drift = await gw.logs.waitFor((r) => r.event === 'validate.response_drift' && r.requestId === reply.headers['x-request-id']);
    assert.deepEqual(drift.errors, [{ pointer: '/response/body/0/amount', keyword: 'type', message: 'must be integer' }]);
    assert.equal(drift.action, 'report');
    const metrics = await httpRequest(`${gw.gateway.adminUrl}/metrics`);
    assert.match(metrics.text, /portcullis_response_contract_violations_total\{route="report",action="report"\} 1/);
  });

  test('block mode answers 502 upstream.contract_violation for a wrong body or an undeclared status', async () => {
    assertProblem(await httpRequest(`${gw.url}/block/accounts/2/payments`), 502, 'upstream.contract_violation');
    const status = assertProblem(await httpRequest(`${gw.url}/block/accounts/3/payments`), 502, 'upstream.contract_violation');
    assert.ok(!JSON.stringify(status).includes('boom'), 'nothing of the refused response reaches the client');
  });

  test('a response that matches is sent whole, with or without a declared length', async () => {
    const valid = await httpRequest(`${gw.url}/block/accounts/1/payments`);
    assert.equal(valid.status, 200);
    assert.equal(valid.text, answers['1']!.body);
    const chunked = await httpRequest(`${gw.url}/block/accounts/5/payments`);
    assert.equal(chunked.status, 200);
    assert.equal(chunked.text, answers['5']!.body);
  });

  test('a body larger than maxBodyBytes streams through unchecked, and the log says so', async () => {
    const reply = await httpRequest(`${gw.url}/block/accounts/4/payments`);
    assert.equal(reply.status, 200);
    assert.equal(reply.text, answers['4']!.body);
    assert.equal((await gw.logs.accessLine(reply.headers['x-request-id'])).responseUnchecked, true);
  });
});

/** A gateway started from a config file next to a contract file, as `portcullis start` runs it. */
async function startFromFiles(upstream: TestUpstream): Promise<{ gw: TestGateway; contract: string; send: () => ReturnType<typeof httpRequest> }> {
  const contract = writeContract();
  const configPath = join(contract, '..', 'portcullis.yaml');
  writeFileSync(configPath, `
listeners: [{ name: public, host: 127.0.0.1, port: 0 }]
admin: { host: 127.0.0.1, port: 0 }
upstreams: { backend: { targets: ['${upstream.url}'] } }
routes:
  - { name: create, methods: [POST], path: '/accounts/:id/payments', upstream: backend, policies: { validate: { contract: ./payments.openapi.yaml, operationId: createPayment } } }
`);
  const loaded = await loadConfigFile(configPath, {});
  assert.ok(loaded.ok);
  const gw = await startGateway(loaded.config as unknown as Record<string, unknown>, { configPath });
  return { gw, contract, send: () => httpRequest(`${gw.url}/accounts/1/payments`, json({ amount: 5, currency: 'EUR', toIban: 'DE89' })) };
}

const STRICTER = PAYMENTS_CONTRACT.replace('amount: { type: integer, minimum: 1, example: 2500 }', 'amount: { type: integer, minimum: 10 }');

describe('contract reload', () => {
  let upstream: TestUpstream;
  before(async () => (upstream = await startUpstream()));
  after(() => upstream.close());

  test('recompiles a changed contract on reload; an invalid one is refused and the old one keeps serving', async () => {
    const { gw, contract, send } = await startFromFiles(upstream);
    try {
      assert.equal((await send()).status, 200);
      writeFileSync(contract, PAYMENTS_CONTRACT.replace("$ref: '#/components/schemas/Payment'", "$ref: 'https://example.com/x.json'"));
      const refused = await gw.gateway.reloadFromFile();
      assert.ok(!refused.ok && refused.issues.some((i) => i.path === 'routes[0].policies.validate.contract'), JSON.stringify(refused));
      assert.equal((await send()).status, 200, 'the previous contract keeps serving');
      writeFileSync(contract, STRICTER);
      assert.ok((await gw.gateway.reloadFromFile()).ok);
      const errors = (assertProblem(await send(), 400, 'validation.failed') as unknown as Problem).errors;
      assert.deepEqual(errors.map((e) => [e.pointer, e.keyword]), [['/body/amount', 'minimum']]);
    } finally {
      await gw.close();
    }
  });

  test('a changed contract file reloads the config, like a changed config file', async () => {
    const { gw, contract, send } = await startFromFiles(upstream);
    try {
      gw.gateway.watchConfigFile();
      assert.equal((await send()).status, 200);
      writeFileSync(contract, STRICTER);
      await gw.logs.waitFor((r) => r.event === 'config.reloaded');
      assert.equal((await send()).status, 400);
    } finally {
      await gw.close();
    }
  });
});

describe('contract config errors', () => {
  const config = (policies: Record<string, unknown>) => baseConfig(['http://127.0.0.1:1'], { policies });

  test('reports a missing file, an unknown operation and a missing contract with their paths', () => {
    const missing = validateConfig(config({ validate: { contract: '/nonexistent/api.yaml' } }), {});
    assert.ok(!missing.ok && missing.issues.some((i) => i.path === 'policies.validate.contract' && /file not found/.test(i.message)), JSON.stringify(missing));
    const unknown = validateConfig(config({ validate: { contract: writeContract(), operationId: 'nope' } }), {});
    assert.ok(!unknown.ok && unknown.issues.some((i) => i.path === 'policies.validate.operationId'), JSON.stringify(unknown));
    const typo = validateConfig(config({ validate: { contract: writeContract(), operationId: 'createPaymnt' } }), {});
    assert.ok(!typo.ok && typo.issues.some((i) => i.message.endsWith('(did you mean "createPayment"?)')), JSON.stringify(typo));
    const none = validateConfig(config({ validate: {} }), {});
    assert.ok(!none.ok && none.issues.some((i) => formatIssue(i) === 'policies.validate.contract: is required'));
  });

  test('refuses a remote $ref and a schema that does not compile, saying where in the document', () => {
    const remote = writeContract(PAYMENTS_CONTRACT.replace("$ref: '#/components/schemas/Payment'", "$ref: 'https://example.com/payment.json'"));
    const result = validateConfig(config({ validate: { contract: remote } }), {});
    assert.ok(!result.ok && result.issues.some((i) => /remote reference/.test(i.message) && i.message.includes('/items/$ref')), JSON.stringify(result));
    const broken = writeContract(PAYMENTS_CONTRACT.replace('{ type: integer, minimum: 1, maximum: 100 }', '{ type: integr }'));
    const brokenResult = validateConfig(config({ validate: { contract: broken } }), {});
    assert.ok(!brokenResult.ok && brokenResult.issues.some((i) => i.path === 'policies.validate.contract' && /does not compile/.test(i.message)), JSON.stringify(brokenResult));
  });

  test('resolves a relative contract path against the config file folder', async () => {
    const path = writeContract();
    const dir = join(path, '..');
    writeFileSync(join(dir, 'portcullis.yaml'), `
listeners: [{ name: public, port: 0 }]
upstreams: { backend: { targets: ['http://127.0.0.1:1'] } }
policies:
  validate: { contract: ./payments.openapi.yaml }
routes: [{ name: all, methods: [GET], path: '/*', upstream: backend }]
`);
    const loaded = await loadConfigFile(join(dir, 'portcullis.yaml'), {});
    assert.ok(loaded.ok, JSON.stringify(loaded));
    assert.equal((loaded.config.policies.validate as unknown as { contract: string }).contract, path);
  });
});
