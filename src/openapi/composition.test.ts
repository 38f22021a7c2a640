/**
 * oneOf / anyOf as OpenAPI means them (issue #12 §3): a discriminator picks the alternative, strict
 * objects close each alternative of a oneOf, and a failed composition reports the alternative that
 * was meant instead of every failure of every alternative.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { compileContract, describeAjvErrors } from './contract.js';
import { parseOpenApi } from './openapi-document.js';

// The Pet example of OpenAPI 3.0.3 §4.7.25 (allOf with a base schema that has the discriminator),
// plus a mapping, inline alternatives told apart by enum, and oneOfs without a discriminator.
const DOCUMENT = `
openapi: 3.0.3
info: { title: compositions, version: '1' }
paths:
  /pets:
    post:
      operationId: addPet
      requestBody:
        content:
          application/json:
            schema:
              oneOf:
                - $ref: '#/components/schemas/Cat'
                - $ref: '#/components/schemas/Dog'
                - $ref: '#/components/schemas/Lizard'
              discriminator:
                propertyName: petType
                mapping:
                  dog: '#/components/schemas/Dog'
      responses: { '200': { description: ok } }
  /events:
    post:
      operationId: addEvent
      requestBody:
        content:
          application/json:
            schema:
              anyOf:
                - { type: object, required: [kind, url], properties: { kind: { type: string, enum: [link] }, url: { type: string, format: uri } } }
                - { type: object, required: [kind, text], properties: { kind: { type: string, const: note }, text: { type: string, maxLength: 5 } } }
              discriminator: { propertyName: kind }
      responses: { '200': { description: ok } }
  /payments:
    post:
      operationId: pay
      requestBody:
        content:
          application/json:
            schema:
              type: object
              required: [amount]
              properties:
                amount: { type: integer }
                method:
                  nullable: true
                  oneOf:
                    - $ref: '#/components/schemas/Card'
                    - $ref: '#/components/schemas/Bank'
      responses: { '200': { description: ok } }
  /transfers:
    post:
      operationId: transfer
      requestBody:
        content:
          application/json:
            schema:
              allOf:
                - $ref: '#/components/schemas/Base'
                - properties: { note: { type: string } }
                  oneOf:
                    - $ref: '#/components/schemas/Card'
                    - $ref: '#/components/schemas/Bank'
      responses: { '200': { description: ok } }
  /contacts:
    put:
      operationId: contact
      requestBody:
        content:
          application/json:
            schema:
              oneOf:
                - { type: object, properties: { email: { type: string }, newsletter: { type: boolean } } }
                - { type: object, properties: { phone: { type: string }, sms: { type: boolean } } }
      responses: { '200': { description: ok } }
components:
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
    Lizard:
      allOf:
        - $ref: '#/components/schemas/Pet'
        - type: object
          properties:
            lovesRocks: { type: boolean }
    Base:
      type: object
      required: [reference]
      properties:
        reference: { type: string }
    Card:
      type: object
      required: [number, expiry]
      properties:
        number: { type: string, pattern: '^[0-9]{16}$' }
        expiry: { type: string, pattern: '^[0-9]{2}/[0-9]{2}$' }
        cvc: { type: string, maxLength: 4 }
    Bank:
      type: object
      required: [iban]
      properties:
        iban: { type: string, minLength: 15 }
        bic: { type: string }
`;

const strict = compileContract(parseOpenApi(DOCUMENT), { strictBodies: true, responses: false });
const loose = compileContract(parseOpenApi(DOCUMENT), { strictBodies: false, responses: false });
const body = (contract: typeof strict, operationId: string) => contract.findOperation({ operationId })!.body!.media[0]!.validate!;
const errors = (validate: ReturnType<typeof body>, value: unknown) => {
  assert.equal(validate(value), false, `${JSON.stringify(value)} should be refused`);
  return describeAjvErrors(validate.errors, 'body').map((e) => [e.pointer, e.keyword]);
};

test('the discriminator picks the alternative: the specification’s Pet example passes, strict or not', () => {
  for (const contract of [strict, loose]) {
    const pet = body(contract, 'addPet');
    for (const valid of [{ petType: 'Cat', name: 'Tom', huntingSkill: 'lazy' }, { petType: 'dog', packSize: 3 }, { petType: 'Dog', packSize: 3 }, { petType: 'Lizard', lovesRocks: true }, { petType: 'Cat' }]) {
      assert.equal(pet(valid), true, `${JSON.stringify(valid)}: ${JSON.stringify(pet.errors)}`);
    }
  }
});

test('the chosen alternative is checked, and only it: a Cat with a Dog’s field, a bad field, an unknown or missing type', () => {
  const pet = body(strict, 'addPet');
  assert.deepEqual(errors(pet, { petType: 'Cat', packSize: 3 }), [['/body/packSize', 'unevaluatedProperties']]);
  assert.deepEqual(errors(pet, { petType: 'Cat', huntingSkill: 'sleepy', name: 'Tom' }), [['/body/huntingSkill', 'enum']]);
  assert.deepEqual(errors(pet, { petType: 'Dog', packSize: -1 }), [['/body/packSize', 'minimum']]);
  assert.deepEqual(errors(pet, { petType: 'Cow' }), [['/body/petType', 'enum']]);
  assert.deepEqual(errors(pet, { name: 'Tom' }), [['/body/petType', 'required']]);
  // Without strict objects the document decides about other properties, but the type still picks.
  assert.equal(body(loose, 'addPet')({ petType: 'Cat', packSize: 3 }), true);
  assert.deepEqual(errors(body(loose, 'addPet'), { petType: 'Dog', packSize: 'three' }), [['/body/packSize', 'type']]);
});

test('inline alternatives are told apart by the enum or const of their discriminating property (anyOf too)', () => {
  const event = body(strict, 'addEvent');
  assert.equal(event({ kind: 'link', url: 'https://example.com/' }), true);
  assert.equal(event({ kind: 'note', text: 'hi' }), true);
  assert.deepEqual(errors(event, { kind: 'note', text: 'too long' }), [['/body/text', 'maxLength']]);
  assert.deepEqual(errors(event, { kind: 'link', text: 'hi' }), [['/body/url', 'required']]);
  assert.deepEqual(errors(event, { kind: 'link', url: 'https://example.com/', text: 'hi' }), [['/body/text', 'unevaluatedProperties']]);
  assert.deepEqual(errors(event, { kind: 'poll' }), [['/body/kind', 'enum']]);
});

test('strict objects close each alternative of a oneOf: a member of one alternative is not also a member of the other', () => {
  // Alternatives whose properties are all optional: without closing, every value matches both.
  const contact = body(strict, 'contact');
  assert.equal(contact({ email: 'a@example.com', newsletter: true }), true, JSON.stringify(contact.errors));
  assert.equal(contact({ phone: '+4930123', sms: false }), true);
  assert.deepEqual(errors(contact, { email: 'a@example.com', sms: true }).slice(1), [['/body/sms', 'notAllowed']]);
  const pay = body(strict, 'pay');
  assert.equal(pay({ amount: 5, method: { iban: 'DE89370400440532013000' } }), true);
  assert.equal(pay({ amount: 5, method: { number: '4242424242424242', expiry: '12/30', cvc: '123' } }), true);
  assert.equal(pay({ amount: 5, method: null }), true);
  assert.deepEqual(errors(pay, { amount: 5, method: { iban: 'DE89370400440532013000', number: '4242424242424242', expiry: '12/30' } }).slice(1), [['/body/method/iban', 'notAllowed']]);
  assert.deepEqual(errors(pay, { amount: 5, method: { iban: 'DE89370400440532013000', admin: true } }), [['/body/method/admin', 'unevaluatedProperties']]);
  // The enclosing schema's own properties and its allOf parts are not unknown to an alternative.
  const transfer = body(strict, 'transfer');
  assert.equal(transfer({ reference: 'r1', note: 'rent', iban: 'DE89370400440532013000', bic: 'COBADEFFXXX' }), true, JSON.stringify(transfer.errors));
  assert.deepEqual(errors(transfer, { reference: 'r1', iban: 'DE89370400440532013000', admin: true }), [['/body/admin', 'unevaluatedProperties']]);
});

test('a failed oneOf reports the closest alternative, once, instead of every failure of every alternative', () => {
  const pay = body(strict, 'pay');
  const card = { amount: 5, method: { number: '4242', expiry: '12/30', cvc: '12345' } };
  assert.equal(pay(card), false);
  const problems = describeAjvErrors(pay.errors, 'body');
  assert.deepEqual(problems.map((p) => [p.pointer, p.keyword]), [['/body/method', 'oneOf'], ['/body/method/number', 'pattern'], ['/body/method/cvc', 'maxLength']]);
  assert.match(problems[0]!.message, /closest one \(Card\)/);
  assert.deepEqual(errors(pay, { amount: 5, method: { iban: 'DE89', bic: 'X' } }), [['/body/method', 'oneOf'], ['/body/method/iban', 'minLength']]);
  // Of no alternative's type: one error naming the types (null, from nullable, and object).
  assert.equal(pay({ amount: 5, method: 7 }), false);
  assert.deepEqual(describeAjvErrors(pay.errors, 'body'), [{ pointer: '/body/method', keyword: 'type', message: 'must be null or object' }]);
});

test('many alternatives with many fields still give a short list (the 145-problem kind)', () => {
  const alternatives = Array.from({ length: 8 }, (_, i) => `
    Alt${i}:
      type: object
      required: [${Array.from({ length: 12 }, (_, j) => `f${i}_${j}`).join(', ')}]
      properties: { ${Array.from({ length: 12 }, (_, j) => `f${i}_${j}: { type: string }`).join(', ')} }`).join('');
  const document = `
openapi: 3.1.0
info: { title: many, version: '1' }
paths:
  /things:
    post:
      operationId: thing
      requestBody: { content: { application/json: { schema: { oneOf: [${Array.from({ length: 8 }, (_, i) => `{ $ref: '#/components/schemas/Alt${i}' }`).join(', ')}] } } } }
      responses: { '200': { description: ok } }
components:
  schemas:${alternatives}
`;
  const validate = body(compileContract(parseOpenApi(document), { strictBodies: true, responses: false }), 'thing');
  const almost = Object.fromEntries(Array.from({ length: 11 }, (_, j) => [`f3_${j}`, 'x']));
  assert.deepEqual(errors(validate, almost), [['/body', 'oneOf'], ['/body/f3_11', 'required']]);
});
