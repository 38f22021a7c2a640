import assert from 'node:assert/strict';
import { test } from 'node:test';
import { compileContract } from './contract.js';
import { parseOpenApi } from './openapi-document.js';
import { parseJsonSafely } from './safe-json.js';

const FORMATS = ['date-time', 'time', 'date', 'uuid', 'byte', 'email', 'hostname', 'ipv4', 'ipv6', 'uri'];
const DOCUMENT = `
openapi: 3.0.3
info: { title: t, version: '1' }
paths:
  /things:
    post:
      operationId: create
      requestBody:
        content:
          application/json:
            schema:
              type: object
              properties:
${FORMATS.map((f) => `                ${JSON.stringify(f)}: { type: string, format: ${f} }`).join('\n')}
                int32: { type: integer, format: int32 }
                int64: { type: integer, format: int64 }
                bounded: { type: integer, maximum: 9007199254740992 }
                whole: { type: integer }
      responses: { '204': { description: ok } }
`;
const validate = compileContract(parseOpenApi(DOCUMENT), { strictBodies: true, responses: false }).findOperation({ operationId: 'create' })!.body!.media[0]!.validate!;
const limits = { maxDepth: 10, maxStringLength: 10000, maxArrayLength: 100, maxProperties: 100 };

/** Validates one property given as raw JSON text, as the gateway does (safe parse, then the schema). */
function accepts(property: string, literal: string): boolean {
  const parsed = parseJsonSafely(`{"${property}": ${literal}}`, limits);
  assert.ok(parsed.ok, `${literal} parses`);
  return validate(parsed.validated);
}
const str = (value: string) => JSON.stringify(value);

const CASES: Record<string, { valid: string[]; invalid: string[] }> = {
  // RFC 3339 §5.6: T (or t) between date and time; offset Z or ±hh:mm.
  'date-time': {
    valid: ['2026-11-30T08:15:00Z', '2026-11-30T08:15:00.123+02:00', '2026-11-30t08:15:00z', '2016-12-31T23:59:60Z', '2026-11-30T08:15:00-00:00'],
    invalid: ['2026-11-30T08:15:00+0200', '2026-11-30T08:15:00+02', '2026-11-30 08:15:00Z', '2026-11-30\t08:15:00Z', '2026-11-30T08:15:00', '2026-02-30T08:15:00Z', '2026-11-30T24:00:00Z', '2026-11-30T08:15Z', '2026-11-30T08:15:00Z\n'],
  },
  time: { valid: ['08:15:00Z', '08:15:00.5+05:30'], invalid: ['08:15:00', '08:15:00+0530', '08:15:00+05', '8:15:00Z'] },
  date: { valid: ['2024-02-29'], invalid: ['2023-02-29', '2026-1-01', '20261101', '2026-11-30T00:00:00Z'] },
  uuid: { valid: ['123e4567-e89b-12d3-a456-426614174000'], invalid: ['urn:uuid:123e4567-e89b-12d3-a456-426614174000', '123e4567e89b12d3a456426614174000', '{123e4567-e89b-12d3-a456-426614174000}'] },
  byte: { valid: ['', 'YQ==', 'YWI=', 'YWJj'], invalid: ['YQ', 'YQ=', '!!!!\n', 'YWJj\n', 'YWJj\nYQ==', 'YW Jj'] },
  email: { valid: ['ada@example.com'], invalid: ['ada@example', `${'a'.repeat(65)}@example.com`, `ada@${'a'.repeat(64)}.com`, 'ada example@example.com', 'ada@example.com\n'] },
  hostname: { valid: ['api.example.com'], invalid: ['api..example.com', `${'a'.repeat(64)}.com`, 'api_example.com'] },
  ipv4: { valid: ['192.0.2.1'], invalid: ['192.0.2.01', '192.0.2', '256.0.0.1', '0x7f.0.0.1'] },
  ipv6: { valid: ['2001:db8::1'], invalid: ['2001:db8::1%eth0', '2001:db8:::1', '192.0.2.1'] },
  uri: { valid: ['https://example.com/a?b#c'], invalid: ['example.com/a', 'https://exa mple.com'] },
};

for (const [format, { valid, invalid }] of Object.entries(CASES)) {
  test(`format ${format} accepts what its RFC allows and refuses the rest`, () => {
    for (const value of valid) assert.equal(accepts(format, str(value)), true, `${format} accepts ${JSON.stringify(value)}`);
    for (const value of invalid) assert.equal(accepts(format, str(value)), false, `${format} refuses ${JSON.stringify(value)}`);
  });
}

test('int32 and int64 hold exactly at their bounds, also beyond 2^53 where doubles round', () => {
  for (const ok of ['2147483647', '-2147483648', '0']) assert.equal(accepts('int32', ok), true, ok);
  for (const bad of ['2147483648', '-2147483649', '1.5', '1.0000000000000001']) assert.equal(accepts('int32', bad), false, bad);
  for (const ok of ['9223372036854775807', '-9223372036854775808', '9007199254740993', '9.223372036854775807e18', '-9223372036854775807']) assert.equal(accepts('int64', ok), true, ok);
  for (const bad of ['9223372036854775808', '9223372036854775809', '-9223372036854775809', '9223372036854776000', '1e19', '9.223372036854775808e18', '1e400']) assert.equal(accepts('int64', bad), false, bad);
});

test('minimum, maximum and the integer type hold for literals that are not exactly a double', () => {
  assert.equal(accepts('bounded', '9007199254740992'), true);
  assert.equal(accepts('bounded', '9007199254740993'), false, '2^53 + 1 rounds to 2^53 but is above the maximum');
  assert.equal(accepts('whole', '1.0000000000000001'), false, 'a fraction too small for a double is still a fraction');
  assert.equal(accepts('whole', '1.0'), true, 'JSON Schema: 1.0 is an integer');
  assert.equal(accepts('whole', '1e2'), true);
});

test('the value an upstream would parse is kept apart from the adjusted one validated', () => {
  const parsed = parseJsonSafely('{"int64": 9223372036854775807}', limits);
  assert.ok(parsed.ok);
  assert.deepEqual(parsed.value, { int64: 9223372036854775807 });
  assert.deepEqual(parsed.validated, { int64: 2 ** 63 - 1024 });
});

test('refuses a JSON body that starts with a byte order mark (RFC 8259 §8.1)', () => {
  const withBom = Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from('{"whole": 1}')]);
  const parsed = parseJsonSafely(withBom, limits);
  assert.equal(parsed.ok, false);
  assert.equal(!parsed.ok && parsed.problem.keyword, 'byteOrderMark');
  const text = parseJsonSafely('\ufeff{"whole": 1}', limits);
  assert.equal(!text.ok && text.problem.keyword, 'byteOrderMark');
  assert.equal(!parseJsonSafely(`{"whole": ${'1'.repeat(1001)}}`, limits).ok, true, 'an absurdly long number is refused');
});
