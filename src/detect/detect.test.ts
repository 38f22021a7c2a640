import assert from 'node:assert/strict';
import { randomBytes, randomUUID } from 'node:crypto';
import { describe, test } from 'node:test';
import { bsnValid, luhnValid, spanishIdValid } from './checksums.js';
import { DETECTOR_NAMES, type DetectorName } from './detectors.js';
import { DetectorSet, detectionLabel } from './scan.js';

const all = new DetectorSet(DETECTOR_NAMES);

function detected(text: string): Array<[DetectorName, string]> {
  return all.find(text).map((found) => [found.detector, found.value]);
}

describe('value detectors', () => {
  const cases: Array<{ detector: DetectorName; valid: string[]; invalid: string[] }> = [
    { detector: 'card', valid: ['4111111111111111', '4111 1111 1111 1111', '5500-0000-0000-0004', '378282246310005', '3782 822463 10005'], invalid: ['4111111111111112', '0000000000000000', '1234567890123'] },
    { detector: 'iban', valid: ['NL91ABNA0417164300', 'GB82WEST12345698765432', 'DE89 3704 0044 0532 0130 00'], invalid: ['NL91ABNA0417164301', 'GB82WEST12345698765433', 'XX91ABNA0417164300'] },
    { detector: 'email', valid: ['jane.doe@example.com', 'jane%40example.org', "o'brien+tag@mail.example.co.uk"], invalid: ['jane.doe@localhost', '@example.com'] },
    { detector: 'phone', valid: ['+31 6 12345678', '+44 20 7946 0958', '%2B4420794609 58'.replace(' ', '')], invalid: ['+999 1234567', '+31 6 123'] },
    { detector: 'national-id', valid: ['111222333', '12345678Z', 'X1234567L'], invalid: ['111222334', '12345678A', 'X1234567A', '000000000'] },
    { detector: 'jwt', valid: ['eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjMifQ.c2lnbmF0dXJl', 'eyJhbGciOiJub25lIn0.eyJzdWIiOiIxMjMifQ.'], invalid: ['eyJhbGciOiJIUzI1NiJ9', 'abc.def.ghi'] },
    { detector: 'api-key', valid: ['AKIAIOSFODNN7EXAMPLE', `ghp_${'a1B2'.repeat(9)}`, `sk_live_${'4eC39HqLyjWDarjtT1zdp7dc'}`, `ptc_live_${'A'.repeat(8)}${'b'.repeat(24)}_${'C'.repeat(6)}`], invalid: ['AKIAIOSFODNN7EXAMPL', 'ghp_short'] },
  ];
  for (const { detector, valid, invalid } of cases) {
    test(`${detector}: finds valid values inside text and leaves near misses alone`, () => {
      for (const value of valid) assert.deepEqual(detected(`paid by ${value}, thanks`), [[detector, value]], value);
      for (const value of invalid) assert.deepEqual(detected(`paid by ${value}, thanks`).filter(([name]) => name === detector), [], value);
    });
  }

  test('checksums: Luhn, elfproef and the DNI letter refuse a changed digit', () => {
    assert.equal(luhnValid('79927398713'), true);
    assert.equal(luhnValid('79927398710'), false);
    assert.equal(bsnValid('111222333'), true);
    assert.equal(bsnValid('111222332'), false);
    assert.equal(spanishIdValid('12345678Z'), true);
    assert.equal(spanishIdValid('Y1234567X'), true);
    assert.equal(spanishIdValid('12345678Y'), false);
  });

  test('does not take part of a longer number or word for a value', () => {
    assert.deepEqual(detected('order 41111111111111110'), []);
    assert.deepEqual(detected('id a111222333b'), []);
    assert.deepEqual(detected('xAKIAIOSFODNN7EXAMPLE'), []);
  });

  // Each of these UUIDs holds a Luhn-valid run of 13 to 16 digits: glued to a letter
  // ("b9b4-111111111119", as a CI run's request id had), a whole dashed group pair
  // ("8123-456789012340"), and across the first three groups ("12345678-1234-4236").
  const uuidsHoldingCards = { '05b54869-7353-4f2b-b9b4-111111111119': '4-111111111119', '0c3e2a1f-5d7b-4e9a-8123-456789012340': '8123-456789012340', '12345678-1234-4236-A1B2-C3D4E5F6A7B8': '12345678-1234-4236' };

  test('a UUID is an identifier, never a card, however its digits fall; a value next to one is still found', () => {
    for (const [uuid, run] of Object.entries(uuidsHoldingCards)) {
      assert.deepEqual(detected(`pan ${run}`), [['card', run]], 'on its own, the run is a card');
      assert.deepEqual(detected(`request ${uuid} done`), [], uuid);
      assert.deepEqual(detected(`/v1/payments/${uuid}?card=4111111111111111`), [['card', '4111111111111111']], uuid);
    }
  });

  test('digits glued to letters are part of a hex token (a trace id, a hash), not a card', () => {
    assert.deepEqual(detected('trace 9ceb1574a4111111111111111fc'), []);
    assert.deepEqual(detected('sha 4111111111111111ab'), []);
  });

  test('random request ids and trace ids never hold a detected value', () => {
    // One random UUID in a few thousand held a "card" before UUIDs were skipped.
    for (let index = 0; index < 20_000; index++) {
      const uuid = randomUUID();
      const traceId = randomBytes(16).toString('hex');
      assert.deepEqual(detected(`id=${uuid} trace=${traceId}`), [], `${uuid} ${traceId}`);
    }
  });

  test('finds a shorter value inside a candidate that failed its check', () => {
    // 13 digits, not Luhn-valid as a whole: nothing; a BSN after a separator still is found.
    assert.deepEqual(detected('ref 1234567890123 and 111222333'), [['national-id', '111222333']]);
  });

  test('a set finds only its own detectors and rewrites each value', () => {
    const cards = new DetectorSet(['card']);
    assert.equal(cards.replace('card 4111111111111111 mail jane@example.com', detectionLabel), 'card [REDACTED:card] mail jane@example.com');
    assert.equal(new DetectorSet([]).replace('4111111111111111', detectionLabel), '4111111111111111');
  });
});
