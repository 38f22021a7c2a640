/**
 * Names are data, extensions are not (issue #12 §3): keys that start with `x-` (or are spelled
 * `example`, `examples`, `schema`) are extensions or annotations only where the OpenAPI object
 * model says so; as names of components, properties, headers, encodings or callbacks they are part
 * of the contract and must be compiled and checked.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { compileContract } from './contract.js';
import { parseOpenApi } from './openapi-document.js';
import { validateParameters } from './request-validator.js';

const LIMITS = { maxBodyBytes: 1 << 20, maxDepth: 32, maxStringLength: 65536, maxArrayLength: 10000, maxProperties: 1000 };

const DOCUMENT = `
openapi: 3.0.3
info: { title: names, version: '1' }
x-defs:
  Money: { type: integer, minimum: 1 }
paths:
  x-not-a-path: { get: { responses: { '200': { description: ignored } } } }
  /consents:
    post:
      operationId: createConsent
      x-internal: { $ref: 'https://example.com/not/followed' }
      parameters:
        - $ref: '#/components/parameters/x-fapi-auth-date'
        - $ref: '#/components/parameters/schema'
      requestBody:
        $ref: '#/components/requestBodies/x-consent'
      responses:
        '201':
          description: created
          headers:
            x-fapi-interaction-id: { $ref: '#/components/headers/x-fapi-interaction-id' }
          content:
            application/json:
              schema: { $ref: '#/components/schemas/x-Consent' }
        x-extension-response: { description: ignored }
      callbacks:
        x-status-callback:
          '{$request.body#/callback}':
            post:
              requestBody: { content: { application/json: { schema: { $ref: '#/components/schemas/x-Consent' } } } }
              responses: { '200': { description: ok } }
components:
  parameters:
    x-fapi-auth-date:
      name: x-fapi-auth-date
      in: header
      required: true
      schema: { type: string, pattern: '^[A-Z][a-z]{2}, ' }
    schema:
      name: schema
      in: query
      schema: { type: integer }
  headers:
    x-fapi-interaction-id:
      schema: { type: string, format: uuid }
  requestBodies:
    x-consent:
      required: true
      content:
        application/json:
          schema: { $ref: '#/components/schemas/x-Consent' }
          encoding:
            x-meta:
              headers:
                x-part: { schema: { type: string } }
  schemas:
    x-Consent:
      type: object
      required: [x-permissions, examples, example, amount]
      x-vendor-note: not a keyword
      properties:
        x-permissions: { type: array, items: { type: string, enum: [ReadAccounts] } }
        examples: { type: string, maxLength: 3 }
        example: { type: boolean }
        schema: { type: string }
        amount: { $ref: '#/x-defs/Money' }
        kind: { type: object, enum: [{ $ref: 'not a reference, an enum value' }] }
`;

const compiled = compileContract(parseOpenApi(DOCUMENT), { strictBodies: true, responses: true });
const operation = compiled.findOperation({ operationId: 'createConsent' })!;

test('a component parameter named x-… is a parameter: the contract compiles and checks it', () => {
  const headers = (value: string | undefined) => validateParameters(operation, { pathValues: {}, search: '?schema=7', headers: value === undefined ? {} : { 'x-fapi-auth-date': value } }, { rejectUnknownQuery: true, limits: LIMITS });
  assert.deepEqual(headers('Sun, 10 Sep 2017 19:43:31 UTC'), []);
  assert.deepEqual(headers(undefined).map((p) => [p.pointer, p.keyword]), [['/header/x-fapi-auth-date', 'required']]);
  assert.deepEqual(headers('yesterday').map((p) => [p.pointer, p.keyword]), [['/header/x-fapi-auth-date', 'pattern']]);
  // A parameter component named `schema` is a parameter, not a schema position.
  const query = validateParameters(operation, { pathValues: {}, search: '?schema=seven', headers: { 'x-fapi-auth-date': 'Sun, 1' } }, { rejectUnknownQuery: true, limits: LIMITS });
  assert.deepEqual(query.map((p) => [p.pointer, p.keyword]), [['/query/schema', 'type']]);
});

test('properties named x-…, examples, example and schema are properties: required, typed and allowed', () => {
  const body = operation.body!.media[0]!.validate!;
  const valid = { 'x-permissions': ['ReadAccounts'], examples: 'abc', example: true, schema: 's', amount: 5 };
  assert.equal(body(valid), true, JSON.stringify(body.errors));
  assert.equal(body({ ...valid, 'x-permissions': ['WriteAll'] }), false, 'an x- property is checked');
  assert.equal(body({ ...valid, examples: 'abcd' }), false, 'a property named examples is checked');
  assert.equal(body({ ...valid, example: 'yes' }), false, 'a property named example is checked');
  assert.equal(body({ ...valid, amount: 0 }), false, 'a schema under an extension, reached by $ref, is checked');
  const { 'x-permissions': _dropped, ...missing } = valid;
  assert.equal(body(missing), false, 'a required x- property is required');
  assert.equal(body({ ...valid, 'x-other': 1 }), false, 'an x- property the schema does not list is unknown');
});

test('extensions of specification objects are not read: an x- path, an x- response and a remote $ref in an extension', () => {
  assert.deepEqual(compiled.operations.map((op) => `${op.operation.method} ${op.operation.path}`), ['POST /consents']);
  assert.deepEqual([...operation.responses.keys()], ['201']);
});

test('a remote $ref under a property or component named x-… is a contract error', () => {
  assert.throws(() => parseOpenApi(DOCUMENT.replace("amount: { $ref: '#/x-defs/Money' }", "amount: { $ref: 'https://example.com/money.json' }")), /x-Consent\/properties\/amount\/\$ref: remote reference/);
  assert.throws(() => parseOpenApi(DOCUMENT.replace("schema: { type: string, format: uuid }", "schema: { $ref: '#/components/schemas/Missing' }")), /components\/headers\/x-fapi-interaction-id\/schema\/\$ref: reference .* does not resolve/);
});
