/**
 * `npm run bench:counters`: what counting limits across workers costs per request. Under
 * `--workers N` the memory rate-limit store and the concurrency slots are the primary's, asked
 * over IPC (ratelimit/counter-host.ts); in one process they are a Map lookup. Both gateways run on
 * the same one core (the measured core; wrk and the upstream on the load core, bench/cpu.ts), so
 * the core's time per request is 1 / (req/s), primary included, and
 *
 *   IPC cost per request = (2 workers: limits − no limits) − (1 worker: limits − no limits)
 *
 * with every case's time taken from its median req/s. Cases: no limits; a rate limit (one IPC
 * round trip per request, batched per event-loop turn); a rate limit and a concurrency limit (two
 * round trips, and a release). Limits are set high enough that nothing is refused.
 * BENCH_SECONDS (10), BENCH_ROUNDS (3), BENCH_CONNECTIONS (64).
 */
import { describePinning } from './cpu.js';
import { freePort, startGateway, startServer, stopAll } from './processes.js';
import { ensureWrk, runWrk } from './wrk.js';

const seconds = Number(process.env.BENCH_SECONDS ?? 10);
const rounds = Number(process.env.BENCH_ROUNDS ?? 3);
const connections = Number(process.env.BENCH_CONNECTIONS ?? 64);

const POLICIES = {
  'no limits': {},
  'rate limit': { ratelimit: { limits: [{ name: 'per-ip', limit: 1_000_000_000, windowSeconds: 3600, by: ['ip'] }] } },
  'rate + concurrency': { ratelimit: { limits: [{ name: 'per-ip', limit: 1_000_000_000, windowSeconds: 3600, by: ['ip'] }], concurrency: { maxInFlight: 100_000, by: ['ip'] } } },
} as const;
type PolicyCase = keyof typeof POLICIES;

function config(port: number, upstream: string, policies: Record<string, unknown>): Record<string, unknown> {
  return {
    listeners: [{ name: 'bench', host: '127.0.0.1', port }],
    admin: { enabled: false },
    logging: { level: 'warn' },
    upstreams: { api: { targets: [upstream] } },
    lifecycle: { watchConfigFile: false },
    policies: { 'request-size-limit': { enabled: false }, 'security-headers': { enabled: false } },
    routes: [{ name: 'account', methods: ['GET'], path: '/v1/accounts/:id', upstream: 'api', policies }],
  };
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
}

async function main(): Promise<void> {
  ensureWrk();
  console.log(describePinning());
  const upstreamPort = await freePort();
  await startServer('upstream', upstreamPort);
  const upstream = `http://127.0.0.1:${upstreamPort}`;
  const cases: Array<{ workers: 1 | 2; policy: PolicyCase; url: string; rps: number[]; p99: number[] }> = [];
  for (const workers of [1, 2] as const) {
    for (const policy of Object.keys(POLICIES) as PolicyCase[]) {
      const port = await freePort();
      const url = `http://127.0.0.1:${port}/v1/accounts/123`;
      // Every process of the gateway (primary and workers) on the measured core.
      await startGateway(config(port, upstream, POLICIES[policy]), { probeUrl: url, args: ['--workers', String(workers)] });
      cases.push({ workers, policy, url, rps: [], p99: [] });
    }
  }
  for (const entry of cases) await runWrk({ url: entry.url }, { durationSeconds: 3, connections, cpu: 'load' });
  for (let round = 0; round < rounds; round++) {
    for (const entry of cases) {
      const run = await runWrk({ url: entry.url }, { durationSeconds: seconds, connections, cpu: 'load' });
      // A run with errors does not count (said, not hidden); the case's median is of the others.
      if (run.failure) {
        console.log(`round ${round + 1}: ${entry.workers} worker(s), ${entry.policy}: ${run.failure}: run left out`);
        continue;
      }
      entry.rps.push(run.requestsPerSecond);
      entry.p99.push(run.latencyMs.p99);
    }
  }
  const failed = cases.find((entry) => entry.rps.length === 0);
  if (failed) throw new Error(`${failed.workers} worker(s), ${failed.policy}: every run failed`);
  const micros = (workers: 1 | 2, policy: PolicyCase) => 1e6 / median(cases.find((entry) => entry.workers === workers && entry.policy === policy)!.rps);
  console.log(`\nGET /v1/accounts/123, wrk 1 thread ${connections} connections, ${rounds} interleaved rounds × ${seconds} s, medians (node ${process.version})\n`);
  console.log('workers  case                  req/s   (min – max)        p99 ms   core µs/req   limits cost µs/req');
  for (const entry of cases) {
    const cost = micros(entry.workers, entry.policy) - micros(entry.workers, 'no limits');
    console.log(
      `${String(entry.workers).padStart(7)}  ${entry.policy.padEnd(19)} ${median(entry.rps).toFixed(0).padStart(7)}   (${Math.min(...entry.rps).toFixed(0)} – ${Math.max(...entry.rps).toFixed(0)})`.padEnd(56) +
        `${median(entry.p99).toFixed(1).padStart(7)}   ${micros(entry.workers, entry.policy).toFixed(1).padStart(11)}   ${entry.policy === 'no limits' ? '' : cost.toFixed(1).padStart(18)}`,
    );
  }
  for (const policy of ['rate limit', 'rate + concurrency'] as const) {
    const ipc = micros(2, policy) - micros(2, 'no limits') - (micros(1, policy) - micros(1, 'no limits'));
    console.log(`\n${policy}: counting in the primary over IPC costs ${ipc.toFixed(1)} µs of core time per request more than counting in the process`);
  }
}

main()
  .catch((error: unknown) => {
    console.error(error);
    process.exitCode = 1;
  })
  .finally(stopAll);
