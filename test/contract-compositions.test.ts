/**
 * Real contracts must load and must not refuse valid requests (issue #12 §3), end to end through a
 * gateway in front of an echo upstream: a header parameter component named x-…, the OpenAPI Pet
 * example (oneOf + discriminator + allOf base) under unknownBodyProperties: reject, and a short
 * error list for a failed oneOf.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { writeContract } from './helpers/contracts.js';
import { assertProblem, baseConfig, httpRequest, startGateway, startUpstream, type TestGateway, type TestUpstream } from './helpers/index.js';

const CONTRACT = `
openapi: 3.0.3
info: { title: pets and consents, version: '1' }
paths:
  /pets:
    post:
      operationId: addPet
      parameters:
        - $ref: '#/components/parameters/x-fapi-auth-date'
      requestBody:
        required: true
        content:
          application/json:
            schema:
              oneOf:
                - $ref: '#/components/schemas/Cat'
                - $ref: '#/components/schemas/Dog'
              discriminator: { propertyName: petType }
      responses: { '201': { description: created } }
  /payments:
    post:
      operationId: pay
      requestBody:
        required: true
        content:
          application/json:
            schema:
              oneOf:
                - $ref: '#/components/schemas/Card'
                - $ref: '#/components/schemas/Bank'
      responses: { '201': { description: created } }
components:
  parameters:
    x-fapi-auth-date:
      name: x-fapi-auth-date
      in: header
      required: true
      schema: { type: string, minLength: 5 }
  schemas:
    Pet:
      type: object
      required: [petType]
      properties:
        petType: { type: string }
        name: { type: string }
      discriminator: { propertyName: petType }
    Cat:
      allOf:
        - $ref: '#/components/schemas/Pet'
        - type: object
          properties:
            huntingSkill: { type: string, enum: [clueless, lazy, adventurous, aggressive] }
    Dog:
      allOf:
        - $ref: '#/components/schemas/Pet'
        - type: object
          properties:
            packSize: { type: integer, minimum: 0 }
    Card:
      type: object
      required: [number, expiry, holder]
      properties:
        number: { type: string, pattern: '^[0-9]{16}$' }
        expiry: { type: string, pattern: '^[0-9]{2}/[0-9]{2}$' }
        holder: { type: string, maxLength: 10 }
        cvc: { type: string, maxLength: 4 }
    Bank:
      type: object
      required: [iban, holder]
      properties:
        iban: { type: string, minLength: 15 }
        bic: { type: string, minLength: 8 }
        holder: { type: string, maxLength: 10 }
`;

type Problem = { detail: string; errors: Array<{ pointer: string; keyword: string; message: string }> };
const post = (body: unknown, headers: Record<string, string> = {}) => ({ method: 'POST', headers: { 'content-type': 'application/json', 'x-fapi-auth-date': 'Sun, 10 Sep 2017 19:43:31 UTC', ...headers }, body: JSON.stringify(body) });

describe('contracts as real APIs write them, strict objects on', () => {
  let upstream: TestUpstream;
  let gw: TestGateway;
  before(async () => {
    upstream = await startUpstream();
    gw = await startGateway(baseConfig([upstream.url], { routes: [{ name: 'api', methods: ['POST'], path: '/*', upstream: 'backend', policies: { validate: { contract: writeContract(CONTRACT), unknownBodyProperties: 'reject' } } }] }));
  });
  after(async () => {
    await gw.close();
    await upstream.close();
  });

  test('forwards a valid Cat and a valid Dog of the specification’s discriminator example, byte for byte', async () => {
    for (const pet of [{ petType: 'Cat', name: 'Tom', huntingSkill: 'lazy' }, { petType: 'Dog', name: 'Rex', packSize: 4 }]) {
      const reply = await httpRequest(`${gw.url}/pets`, post(pet));
      assert.equal(reply.status, 200, reply.text);
      assert.equal(upstream.requests.at(-1)!.body.toString(), JSON.stringify(pet));
    }
  });

  test('checks the header parameter component named x-fapi-auth-date', async () => {
    const missing = assertProblem(await httpRequest(`${gw.url}/pets`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"petType":"Cat"}' }), 400, 'validation.failed') as unknown as Problem;
    assert.deepEqual(missing.errors.map((e) => [e.pointer, e.keyword]), [['/header/x-fapi-auth-date', 'required']]);
  });

  test('refuses a Cat with a Dog’s field, naming only that field', async () => {
    const before = upstream.requests.length;
    const problem = assertProblem(await httpRequest(`${gw.url}/pets`, post({ petType: 'Cat', packSize: 4 })), 400, 'validation.failed') as unknown as Problem;
    assert.deepEqual(problem.errors.map((e) => [e.pointer, e.keyword]), [['/body/packSize', 'unevaluatedProperties']]);
    assert.equal(upstream.requests.length, before);
  });

  test('a failed oneOf lists the closest alternative’s problems, not every failure of every alternative', async () => {
    const problem = assertProblem(await httpRequest(`${gw.url}/payments`, post({ iban: 'DE89370400440532013000', bic: 'COBA', holder: 'Ada Lovelace Byron' })), 400, 'validation.failed') as unknown as Problem;
    assert.deepEqual(problem.errors.map((e) => [e.pointer, e.keyword]), [['/body', 'oneOf'], ['/body/bic', 'minLength'], ['/body/holder', 'maxLength']]);
    assert.match(problem.errors[0]!.message, /closest one \(Bank\)/);
    assert.match(problem.detail, /3 problems/);
  });
});
