import assert from 'node:assert/strict';
import { test } from 'node:test';
import { compileContract } from './contract.js';
import { parseOpenApi } from './openapi-document.js';

const DOCUMENT = `
openapi: 3.0.3
info: { title: t, version: '1' }
paths:
  /accounts:
    post:
      operationId: createAccount
      requestBody:
        content:
          application/json:
            schema: { $ref: '#/components/schemas/Account' }
      responses:
        '201':
          description: created
          content:
            application/json:
              schema: { $ref: '#/components/schemas/Account' }
components:
  schemas:
    Id:
      type: string
      readOnly: true
    Account:
      type: object
      required: [id, name, password]
      x-internal: true
      properties:
        id: { $ref: '#/components/schemas/Id' }
        name: { type: string, example: Ada, format: company-name }
        password: { type: string, writeOnly: true, format: password }
        balance: { type: number, minimum: 0, exclusiveMinimum: true, nullable: true }
        kind: { type: string, enum: [person, company], nullable: true }
`;

const compiled = compileContract(parseOpenApi(DOCUMENT), { strictBodies: true, responses: true });
const operation = compiled.findOperation({ operationId: 'createAccount' })!;
const request = operation.body!.media[0]!.validate!;
const response = operation.responses.get('201')![0]!.validate!;

test('a required readOnly property is required in responses only, a writeOnly one in requests only', () => {
  assert.equal(request({ name: 'Ada', password: 'secret' }), true);
  assert.equal(request({ name: 'Ada' }), false);
  assert.equal(response({ id: 'acc_1', name: 'Ada' }), true);
  assert.equal(response({ name: 'Ada' }), false);
});

test('OpenAPI 3.0 keywords are converted: nullable, boolean exclusiveMinimum; annotations and unknown formats are dropped', () => {
  assert.equal(request({ name: 'Ada', password: 'p', balance: null, kind: null }), true);
  assert.equal(request({ name: 'Ada', password: 'p', balance: 0 }), false, 'exclusiveMinimum: true excludes the minimum');
  assert.equal(request({ name: 'Ada', password: 'p', balance: 0.01, kind: 'company' }), true);
  assert.equal(request({ name: 'Ada', password: 'p', kind: 'robot' }), false);
});

test('strict request bodies refuse unknown properties; responses follow the document', () => {
  assert.equal(request({ name: 'Ada', password: 'p', admin: true }), false);
  assert.equal(response({ id: 'a', name: 'Ada', extra: 1 }), true);
});
