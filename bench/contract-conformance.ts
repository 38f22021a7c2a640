/**
 * `npm run bench:contracts`: the false-rejection measurement of issue #12 on large public OpenAPI
 * documents from npm (dev dependencies, nothing fetched): valid requests generated from each
 * document (test/helpers/contract-requests.ts) go through a gateway in front of an echo upstream;
 * every refusal is a false rejection (target: 0), every accepted request that reaches the upstream
 * altered is a forwarding fault. Each contract is bound whole to one route, then as one route per
 * operation (contractRoutes). Prints one line per run and the first refusals; exit 1 if any.
 * CONFORMANCE_VARIANTS (4): requests per operation. CONFORMANCE_ONLY: a substring of the names.
 */
import { createRequire } from 'node:module';
import { measureContract } from '../test/helpers/contract-requests.js';

const require = createRequire(import.meta.url);
const CONTRACTS: Array<[string, string]> = [
  ['ShipEngine (shipengine-openapi 1.4.0, 3.0)', require.resolve('shipengine-openapi/openapi.json')],
  ['Blockfrost (@blockfrost/openapi 0.1.93, 3.0)', require.resolve('@blockfrost/openapi/openapi.yaml')],
  ['GitHub (@octokit/openapi 2.2.1, 3.0)', require.resolve('@octokit/openapi/generated/api.github.com.json')],
  ['Figma (@figma/rest-api-spec, 3.1)', require.resolve('@figma/rest-api-spec/openapi/openapi.yaml')],
];
const variants = Number(process.env.CONFORMANCE_VARIANTS ?? 4);
const only = process.env.CONFORMANCE_ONLY;

let failed = false;
for (const [name, file] of CONTRACTS) {
  if (only && !name.toLowerCase().includes(only.toLowerCase())) continue;
  // The whole document bound to one route, and one route per operation (contractRoutes).
  for (const binding of ['document', 'routes'] as const) {
    const started = performance.now();
    const result = await measureContract(file, { variants, binding });
    const seconds = ((performance.now() - started) / 1000).toFixed(1);
    const how = binding === 'document' ? 'whole document on one route' : 'one route per operation';
    process.stdout.write(`${name}, ${how}: ${result.operations} operations, ${result.requests} valid requests generated (${result.skipped.length} not generated), ${result.refused.length} refused, ${result.altered.length} altered (${seconds} s)\n`);
    for (const refusal of result.refused.slice(0, 15)) {
      process.stdout.write(`  refused ${refusal.status} ${refusal.request.operation}: ${refusal.request.method} ${refusal.request.target.slice(0, 160)} ${JSON.stringify(refusal.errors).slice(0, 400)}\n`);
      if (process.env.CONFORMANCE_VERBOSE) process.stdout.write(`    headers ${JSON.stringify(refusal.request.headers)} body ${refusal.request.body?.slice(0, 600)}\n`);
    }
    for (const change of result.altered.slice(0, 5)) process.stdout.write(`  altered ${change.request.operation}: ${change.what}\n`);
    const reasons = [...new Set(result.skipped.map((skip) => `${skip.operation}: ${skip.reason}`))];
    for (const reason of reasons.slice(0, process.env.CONFORMANCE_VERBOSE ? 50 : 5)) process.stdout.write(`  not generated ${reason}\n`);
    if (result.refused.length > 0 || result.altered.length > 0) failed = true;
  }
}
process.exitCode = failed ? 1 : 0;
