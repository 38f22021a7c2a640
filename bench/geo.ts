/**
 * `npm run bench:geo`: requests/s with geo-enrichment and rules on vs off, in one run (interleaved
 * rounds, medians). The load generator plays a trusted proxy forwarding for a public client IP, so
 * every request is a real database lookup.
 * BENCH_SECONDS (5), BENCH_ROUNDS (3), BENCH_CONNECTIONS (50).
 */
import { freePort, load, median, startGatewayProcess, startServer, stopAll } from './harness.js';

const seconds = Number(process.env.BENCH_SECONDS ?? 5);
const rounds = Number(process.env.BENCH_ROUNDS ?? 3);
const connections = Number(process.env.BENCH_CONNECTIONS ?? 50);

function config(port: number, adminPort: number, upstream: string, policies: Record<string, unknown>): Record<string, unknown> {
  return {
    listeners: [{ name: 'bench', host: '127.0.0.1', port }],
    admin: { host: '127.0.0.1', port: adminPort },
    trustedProxies: ['127.0.0.1'],
    upstreams: { api: { targets: [upstream] } },
    lifecycle: { watchConfigFile: false },
    routes: [{ name: 'account', methods: ['GET'], path: '/accounts/:id', upstream: 'api', policies }],
  };
}

async function main(): Promise<void> {
  const upstreamPort = await freePort();
  const upstream = `http://127.0.0.1:${upstreamPort}`;
  await startServer('upstream', upstreamPort);
  const off = await freePort();
  const on = await freePort();
  await startGatewayProcess(config(off, await freePort(), upstream, {}), off);
  await startGatewayProcess(
    config(on, await freePort(), upstream, {
      'ip-rules': { deny: ['198.51.100.0/24', '2001:db8:bad::/48'] },
      geo: { denyCountries: ['KP', 'IR'], headers: ['country', 'continent', 'eu', 'currency'] },
    }),
    on,
  );
  const cases = { 'geo and ip rules off': off, 'geo and ip rules on': on };
  const results = new Map<string, number[]>(Object.keys(cases).map((name) => [name, []]));
  const p99 = new Map<string, number[]>(Object.keys(cases).map((name) => [name, []]));
  const headers = { 'x-forwarded-for': '8.8.8.8' };
  for (const port of Object.values(cases)) await load(`http://127.0.0.1:${port}/accounts/a`, { durationSeconds: 1, connections, headers });
  for (let round = 0; round < rounds; round++) {
    for (const [name, port] of Object.entries(cases)) {
      const result = await load(`http://127.0.0.1:${port}/accounts/a`, { durationSeconds: seconds, connections, headers });
      if (result.errors > 0 || result.non2xx > 0) throw new Error(`${name}: ${result.errors} errors, ${result.non2xx} non-2xx`);
      results.get(name)!.push(result.requestsPerSecond);
      p99.get(name)!.push(result.p99Ms);
    }
  }
  const base = median(results.get('geo and ip rules off')!);
  console.log(`\nGET through the gateway for client 8.8.8.8, ${connections} connections, ${rounds} rounds × ${seconds} s, medians (node ${process.version})\n`);
  console.log('case                     req/s   p99 ms   vs off');
  for (const [name, runs] of results) {
    console.log(`${name.padEnd(22)} ${median(runs).toFixed(0).padStart(7)}  ${median(p99.get(name)!).toFixed(1).padStart(7)}  ${(median(runs) / base).toFixed(3)}×`);
  }
}

main()
  .catch((error: unknown) => {
    console.error(error);
    process.exitCode = 1;
  })
  .finally(stopAll);
