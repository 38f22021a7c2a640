/**
 * Schemas as real documents write them (issue #12 §3, found by the false-rejection measurement on
 * ShipEngine's contract): closings and flags that literal JSON Schema would read so that no request
 * could ever pass are read as their authors meant them, and still refuse what they should.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { compileContract, describeAjvErrors } from './contract.js';
import { parseOpenApi } from './openapi-document.js';

const DOCUMENT = `
openapi: 3.0.3
info: { title: written as generated, version: '1' }
paths:
  /batches:
    post:
      operationId: addToBatch
      requestBody:
        content:
          application/json:
            schema:
              type: object
              additionalProperties: false
              allOf:
                - { $ref: '#/components/schemas/modify_batch' }
      responses:
        '200':
          description: ok
          content: { application/json: { schema: { $ref: '#/components/schemas/shipment' } } }
  /shipments:
    post:
      operationId: createShipment
      requestBody:
        content:
          application/json:
            schema: { $ref: '#/components/schemas/shipment' }
      responses: { '200': { description: ok } }
  /connections:
    post:
      operationId: connect
      requestBody:
        content:
          application/json:
            schema:
              oneOf:
                - { type: object, required: [nickname, username], additionalProperties: false, properties: { nickname: { type: string }, username: { type: string } } }
                - { type: object, required: [nickname, token], additionalProperties: false, properties: { nickname: { type: string }, token: { type: string } } }
                - { type: object, required: [nickname, username], additionalProperties: false, properties: { nickname: { type: string, description: same again }, username: { type: string } } }
      responses: { '200': { description: ok } }
  /webhooks:
    put:
      operationId: putWebhook
      requestBody:
        content:
          application/json:
            schema:
              type: object
              required: [endpoint, team_id]
              properties:
                endpoint: { type: string }
      responses: { '200': { description: ok } }
components:
  schemas:
    modify_batch:
      type: object
      additionalProperties: false
      properties:
        shipment_ids: { type: array, items: { type: string } }
        rate_ids: { type: array, items: { type: string } }
    partial_shipment:
      type: object
      additionalProperties: false
      properties:
        shipment_id: { type: string, readOnly: true }
        carrier_id: { type: string }
    shipment:
      type: object
      required: [shipment_id, carrier_id, ship_to]
      additionalProperties: false
      allOf:
        - { $ref: '#/components/schemas/partial_shipment' }
        - type: object
          properties:
            ship_to: { type: string, maxLength: 10 }
`;

for (const strictBodies of [true, false]) {
  const contract = compileContract(parseOpenApi(DOCUMENT), { strictBodies, responses: true });
  const body = (operationId: string) => contract.findOperation({ operationId })!.body!.media[0]!.validate!;
  const problems = (operationId: string, value: unknown) => {
    const validate = body(operationId);
    assert.equal(validate(value), false, `${JSON.stringify(value)} must be refused`);
    return describeAjvErrors(validate.errors, 'body').map((p) => [p.pointer, p.keyword]);
  };
  const mode = strictBodies ? 'strict objects' : 'as the document says';

  test(`additionalProperties: false beside allOf closes the object to what the allOf describes (${mode})`, () => {
    assert.equal(body('addToBatch')({ shipment_ids: ['se-1'], rate_ids: [] }), true, JSON.stringify(body('addToBatch').errors));
    assert.deepEqual(problems('addToBatch', { shipment_ids: ['se-1'], admin: true }), [['/body/admin', 'additionalProperties']]);
  });

  test(`an allOf part closed with additionalProperties: false does not refuse the other parts' properties (${mode})`, () => {
    assert.equal(body('createShipment')({ carrier_id: 'se-2', ship_to: 'Austin' }), true, JSON.stringify(body('createShipment').errors));
    assert.deepEqual(problems('createShipment', { carrier_id: 'se-2', ship_to: 'Austin', admin: true }), [['/body/admin', 'unevaluatedProperties']]);
    assert.deepEqual(problems('createShipment', { carrier_id: 'se-2', ship_to: 'Austin, Texas, USA' }), [['/body/ship_to', 'maxLength']]);
  });

  test(`a required readOnly property described in an allOf part is required in responses only (${mode})`, () => {
    assert.deepEqual(problems('createShipment', { ship_to: 'Austin' }), [['/body/carrier_id', 'required']]);
    const response = contract.findOperation({ operationId: 'addToBatch' })!.responses.get('200')![0]!.validate!;
    assert.equal(response({ shipment_id: 'se-3', carrier_id: 'se-2', ship_to: 'Austin' }), true);
    assert.equal(response({ carrier_id: 'se-2', ship_to: 'Austin' }), false);
  });

  test(`a property the schema requires is allowed even where it forgot to list it (${mode})`, () => {
    assert.equal(body('putWebhook')({ endpoint: 'https://example.com/hook', team_id: '42' }), true, JSON.stringify(body('putWebhook').errors));
    if (strictBodies) assert.deepEqual(problems('putWebhook', { endpoint: 'https://example.com/hook', team_id: '42', admin: true }), [['/body/admin', 'unevaluatedProperties']]);
  });

  test(`a oneOf that repeats an alternative accepts a value of it (${mode})`, () => {
    assert.equal(body('connect')({ nickname: 'n', username: 'u' }), true, JSON.stringify(body('connect').errors));
    assert.equal(body('connect')({ nickname: 'n', token: 't' }), true);
    assert.equal(body('connect')({ nickname: 'n', username: 'u', token: 't' }), false);
  });
}
