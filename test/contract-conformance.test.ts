/**
 * The false-rejection measurement of issue #12, small: valid requests generated from two large
 * public contracts that no other test uses (ShipEngine's, OpenAPI 3.0, 76 operations, bodies with
 * allOf/oneOf/additionalProperties everywhere; Blockfrost's, 3.0, 129 operations, parameters of
 * every kind) go through a real gateway (strict objects, unknown query parameters refused) in front
 * of an echo upstream. None may be refused, and each must arrive as it was sent. The full run, on
 * more contracts and variants, is `npm run bench:contracts`.
 */
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { test } from 'node:test';
import { measureContract, type Measurement } from './helpers/contract-requests.js';

const require = createRequire(import.meta.url);

function report(result: Measurement): string {
  return [
    ...result.refused.slice(0, 10).map((r) => `refused ${r.status} ${r.request.operation} ${r.request.method} ${r.request.target}: ${JSON.stringify(r.errors).slice(0, 300)}`),
    ...result.altered.slice(0, 10).map((a) => `altered ${a.request.operation}: ${a.what}`),
  ].join('\n');
}

test('ShipEngine: no valid request generated from the contract is refused, and each reaches the upstream unchanged', async () => {
  const result = await measureContract(require.resolve('shipengine-openapi/openapi.json'), { variants: 2 });
  assert.equal(result.operations, 76);
  assert.ok(result.requests >= 140, `${result.requests} requests`);
  assert.equal(result.refused.length + result.altered.length, 0, report(result));
  // Two operations contradict themselves: estimate_rates requires "from_state_provinced" (a typo)
  // in a closed object; calculate_rates requires both alternatives' properties of an exclusive oneOf.
  assert.deepEqual([...new Set(result.skipped.map((s) => s.operation))].sort(), ['calculate_rates', 'estimate_rates']);
});

test('Blockfrost: no valid request generated from the contract is refused, and each reaches the upstream unchanged', async () => {
  const result = await measureContract(require.resolve('@blockfrost/openapi/openapi.yaml'), { variants: 2 });
  assert.equal(result.operations, 129);
  assert.ok(result.requests >= 250, `${result.requests} requests`);
  assert.equal(result.refused.length + result.altered.length, 0, report(result));
  assert.deepEqual(result.skipped, []);
});
