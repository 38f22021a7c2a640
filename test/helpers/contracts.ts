/** OpenAPI contracts for the validation tests, written to a temporary folder. */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** A payments contract written for the tests: OpenAPI 3.0 with refs, allOf, nullable, a free-form map. */
export const PAYMENTS_CONTRACT = `
openapi: 3.0.3
info: { title: Test payments, version: '1' }
paths:
  /accounts/{accountId}/payments:
    parameters:
      - name: accountId
        in: path
        required: true
        schema: { type: integer, minimum: 1 }
    get:
      operationId: listPayments
      parameters:
        - name: limit
          in: query
          schema: { type: integer, minimum: 1, maximum: 100 }
        - name: status
          in: query
          schema: { type: array, items: { type: string, enum: [pending, settled] } }
        - name: X-Request-Date
          in: header
          schema: { type: string, format: date }
        - name: session
          in: cookie
          schema: { type: string, minLength: 8 }
      responses:
        '200':
          description: the payments
          content:
            application/json:
              schema: { type: array, items: { $ref: '#/components/schemas/Payment' } }
    post:
      operationId: createPayment
      requestBody:
        required: true
        content:
          application/json:
            schema: { $ref: '#/components/schemas/NewPayment' }
          application/x-www-form-urlencoded:
            schema: { $ref: '#/components/schemas/NewPayment' }
      responses:
        '201': { description: created }
  /accounts/{accountId}/statements:
    put:
      operationId: uploadStatement
      parameters:
        - { name: accountId, in: path, required: true, schema: { type: integer } }
      requestBody:
        required: true
        content:
          '*/*':
            schema: { type: string, format: binary }
      responses:
        '204': { description: stored }
  /health:
    get:
      operationId: health
      responses:
        '204': { description: healthy }
components:
  schemas:
    Money:
      type: object
      required: [amount, currency]
      properties:
        amount: { type: integer, minimum: 1, example: 2500 }
        currency: { type: string, pattern: '^[A-Z]{3}$' }
    NewPayment:
      allOf:
        - $ref: '#/components/schemas/Money'
        - type: object
          required: [toIban]
          properties:
            toIban: { type: string, maxLength: 34 }
            reference: { type: string, nullable: true, maxLength: 140 }
            metadata: { type: object, description: free-form }
            tags: { type: array, items: { type: string } }
    Payment:
      allOf:
        - $ref: '#/components/schemas/NewPayment'
        - type: object
          required: [id]
          properties:
            id: { type: string }
`;

export function writeContract(text = PAYMENTS_CONTRACT, name = 'payments.openapi.yaml'): string {
  const dir = mkdtempSync(join(tmpdir(), 'portcullis-contract-'));
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
}

