/**
 * `npm run bench:ratelimit`: requests/s with rate limits off, in memory, and in Redis (one Lua
 * script round trip per request), in one run (interleaved rounds, medians). Two limits per request
 * (per-second and per-day, per client IP), set high enough that nothing is refused: the cost of
 * checking is what is measured. Needs Redis at BENCH_REDIS_URL (redis://127.0.0.1:6379).
 * BENCH_SECONDS (5), BENCH_ROUNDS (3), BENCH_CONNECTIONS (50).
 */
import { randomBytes } from 'node:crypto';
import { freePort, load, median, startGatewayProcess, startServer, stopAll } from './harness.js';

const seconds = Number(process.env.BENCH_SECONDS ?? 5);
const rounds = Number(process.env.BENCH_ROUNDS ?? 3);
const connections = Number(process.env.BENCH_CONNECTIONS ?? 50);
const redisUrl = process.env.BENCH_REDIS_URL ?? 'redis://127.0.0.1:6379';

function config(port: number, adminPort: number, upstream: string, policies: Record<string, unknown>): Record<string, unknown> {
  return {
    listeners: [{ name: 'bench', host: '127.0.0.1', port }],
    admin: { host: '127.0.0.1', port: adminPort },
    upstreams: { api: { targets: [upstream] } },
    lifecycle: { watchConfigFile: false },
    redis: { url: redisUrl, keyPrefix: `portcullis-bench:${randomBytes(4).toString('hex')}:` },
    routes: [{ name: 'account', methods: ['GET'], path: '/accounts/:id', upstream: 'api', policies }],
  };
}

const limits = (store: 'memory' | 'redis') => ({
  ratelimit: {
    store,
    onStoreFailure: 'closed',
    limits: [
      { name: 'per-second', limit: 1_000_000_000, windowSeconds: 1, by: ['ip'] },
      { name: 'per-day', limit: 1_000_000_000, windowSeconds: 86400, by: ['ip'] },
    ],
  },
});

async function main(): Promise<void> {
  const upstreamPort = await freePort();
  const upstream = `http://127.0.0.1:${upstreamPort}`;
  await startServer('upstream', upstreamPort);
  const cases: Record<string, number> = {};
  for (const [name, policies] of [
    ['limits off', {}],
    ['limits in memory', limits('memory')],
    ['limits in Redis', limits('redis')],
  ] as const) {
    const port = await freePort();
    await startGatewayProcess(config(port, await freePort(), upstream, policies), port);
    cases[name] = port;
  }
  const results = new Map<string, number[]>(Object.keys(cases).map((name) => [name, []]));
  const p99 = new Map<string, number[]>(Object.keys(cases).map((name) => [name, []]));
  for (const port of Object.values(cases)) await load(`http://127.0.0.1:${port}/accounts/a`, { durationSeconds: 1, connections });
  for (let round = 0; round < rounds; round++) {
    for (const [name, port] of Object.entries(cases)) {
      const result = await load(`http://127.0.0.1:${port}/accounts/a`, { durationSeconds: seconds, connections });
      if (result.errors > 0 || result.non2xx > 0) throw new Error(`${name}: ${result.errors} errors, ${result.non2xx} non-2xx (is Redis at ${redisUrl} up?)`);
      results.get(name)!.push(result.requestsPerSecond);
      p99.get(name)!.push(result.p99Ms);
    }
  }
  const base = median(results.get('limits off')!);
  console.log(`\nGET through the gateway, two limits per request, ${connections} connections, ${rounds} rounds × ${seconds} s, medians (node ${process.version})\n`);
  console.log('case                  req/s   p99 ms   vs off');
  for (const [name, runs] of results) {
    console.log(`${name.padEnd(19)} ${median(runs).toFixed(0).padStart(7)}  ${median(p99.get(name)!).toFixed(1).padStart(7)}  ${(median(runs) / base).toFixed(3)}×`);
  }
}

main()
  .catch((error: unknown) => {
    console.error(error);
    process.exitCode = 1;
  })
  .finally(stopAll);
