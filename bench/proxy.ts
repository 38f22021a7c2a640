/**
 * `npm run bench`: requests/s and latency on loopback for
 *   (a) direct to the upstream,
 *   (b) a minimal node:http + undici proxy (the reference),
 *   (c) Portcullis with no policies,
 *   (d) Portcullis with its default policies (request-size-limit, security-headers),
 * as ratios from one run. Rounds are interleaved (a b c d, a b c d, …) and the median of each is
 * reported, so drift on a shared machine hits every case alike. Target: (c) ≥ 0.9 × (b).
 * Options: BENCH_SECONDS (per run, default 5), BENCH_ROUNDS (default 3), BENCH_CONNECTIONS (default 50).
 */
import { freePort, load, median, pinned, startGatewayProcess, startServer, stopAll, type LoadResult } from './harness.js';

const seconds = Number(process.env.BENCH_SECONDS ?? 5);
const rounds = Number(process.env.BENCH_ROUNDS ?? 3);
const connections = Number(process.env.BENCH_CONNECTIONS ?? 50);

function gatewayConfig(port: number, adminPort: number, upstream: string, withPolicies: boolean): Record<string, unknown> {
  return {
    listeners: [{ name: 'bench', host: '127.0.0.1', port }],
    admin: { host: '127.0.0.1', port: adminPort },
    upstreams: { api: { targets: [upstream] } },
    lifecycle: { watchConfigFile: false },
    policies: withPolicies ? {} : { 'request-size-limit': { enabled: false }, 'security-headers': { enabled: false } },
    routes: [{ name: 'account', methods: ['GET'], path: '/accounts/:id', upstream: 'api' }],
  };
}

async function main(): Promise<void> {
  const [upstreamPort, referencePort, barePort, fullPort] = [await freePort(), await freePort(), await freePort(), await freePort()];
  const upstream = `http://127.0.0.1:${upstreamPort}`;
  await startServer('upstream', upstreamPort);
  await startServer('reference', referencePort, upstream);
  await startGatewayProcess(gatewayConfig(barePort, await freePort(), upstream, false), barePort);
  await startGatewayProcess(gatewayConfig(fullPort, await freePort(), upstream, true), fullPort);

  const cases = {
    '(a) direct upstream': `${upstream}/accounts/acc_1001`,
    '(b) node:http + undici reference': `http://127.0.0.1:${referencePort}/accounts/acc_1001`,
    '(c) portcullis, no policies': `http://127.0.0.1:${barePort}/accounts/acc_1001`,
    '(d) portcullis, default policies': `http://127.0.0.1:${fullPort}/accounts/acc_1001`,
  };
  const results = new Map<string, LoadResult[]>(Object.keys(cases).map((name) => [name, []]));
  for (const url of Object.values(cases)) await load(url, { durationSeconds: 1, connections }); // warm-up
  for (let round = 1; round <= rounds; round++) {
    for (const [name, url] of Object.entries(cases)) {
      const result = await load(url, { durationSeconds: seconds, connections });
      if (result.errors > 0 || result.non2xx > 0) throw new Error(`${name}: ${result.errors} errors, ${result.non2xx} non-2xx responses`);
      results.get(name)!.push(result);
    }
  }

  const summary = [...results].map(([name, runs]) => ({
    name,
    rps: median(runs.map((r) => r.requestsPerSecond)),
    p50: median(runs.map((r) => r.p50Ms)),
    p99: median(runs.map((r) => r.p99Ms)),
  }));
  const reference = summary[1]!.rps;
  const direct = summary[0]!.rps;
  console.log(`\nGET /accounts/:id, ${connections} connections, ${rounds} rounds × ${seconds} s, medians (node ${process.version}; ${pinned() ? 'load generator on core 0, servers on the others' : 'no CPU pinning'})\n`);
  console.log('case                                 req/s    p50 ms  p99 ms  vs direct  vs reference');
  for (const row of summary) {
    console.log(
      `${row.name.padEnd(35)} ${row.rps.toFixed(0).padStart(7)}  ${row.p50.toFixed(1).padStart(6)}  ${row.p99.toFixed(1).padStart(6)}  ${(row.rps / direct).toFixed(2).padStart(8)}×  ${(row.rps / reference).toFixed(2).padStart(10)}×`,
    );
  }
  const ratio = summary[2]!.rps / reference;
  console.log(`\nTarget (c) ≥ 0.90 × (b): ${ratio.toFixed(2)} — ${ratio >= 0.9 ? 'met' : 'NOT met'}`);
}

main()
  .catch((error: unknown) => {
    console.error(error);
    process.exitCode = 1;
  })
  .finally(stopAll);
