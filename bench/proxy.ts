/**
 * `npm run bench`: requests/s and latency of Portcullis against a node:http + undici reference
 * proxy, loaded by wrk pinned away from the servers (cpu.ts), for GET /v1/accounts/123 and
 * POST /v1/payments, one row per configuration (rows.ts). Rounds are interleaved (every row and
 * method once, then the next round) so drift on a shared machine hits every row alike; medians,
 * spread and ratios to the baseline in the same run are printed, then the issue's targets.
 * bench/README.md says what each row is and how to read the numbers.
 *
 * BENCH_SECONDS (per run, default 10), BENCH_ROUNDS (3), BENCH_CONNECTIONS (64), BENCH_THREADS (1),
 * BENCH_WARMUP_SECONDS (3), BENCH_ROWS (comma-separated row ids; baselines are added), BENCH_METHODS
 * (GET,POST), BENCH_JSON (write results there), BENCH_REDIS_URL (redis://127.0.0.1:6379), BENCH_PIN=0.
 */
import { randomBytes } from 'node:crypto';
import { cores, describePinning, pinPid } from './cpu.js';
import { jwtSigner, makeCertificates, PEPPER, storeWithKey, writeContract } from './fixtures.js';
import { freePort, startGateway, startServer, stopAll, tempDir, waitFor } from './processes.js';
import { printTable, printTargets, summarize, targets, writeJson, type Case, type Method } from './report.js';
import { accessLogFile, gatewayConfig, selectRows, type Row, type RowContext } from './rows.js';
import { startStunnel, type TunnelService } from './stunnel.js';
import { ensureWrk, runWrk, type WrkRequest } from './wrk.js';

const seconds = Number(process.env.BENCH_SECONDS ?? 10);
const rounds = Number(process.env.BENCH_ROUNDS ?? 3);
const connections = Number(process.env.BENCH_CONNECTIONS ?? 64);
const threads = Number(process.env.BENCH_THREADS ?? 1);
const warmupSeconds = Number(process.env.BENCH_WARMUP_SECONDS ?? 3);
const methods = (process.env.BENCH_METHODS ?? 'GET,POST').split(',').map((m) => m.trim().toUpperCase()) as Method[];
/** 94 bytes, echoed by the upstream. */
const PAYMENT = JSON.stringify({ amount: 12500, currency: 'EUR', creditor: 'DE89370400440532013000', reference: 'INV-2026-4' });

interface Target {
  row: Row;
  /** http://127.0.0.1:port of the gateway, the reference, or the stunnel in front of a TLS gateway. */
  base: string;
  headers: Record<string, string>;
}

async function fixtures(): Promise<RowContext> {
  const dir = tempDir('run');
  const upstreamPort = await freePort();
  await startServer('upstream', upstreamPort);
  return {
    upstream: `http://127.0.0.1:${upstreamPort}`,
    dir,
    store: await storeWithKey(['accounts:read', 'payments:write']),
    jwt: await jwtSigner('ES256', 'accounts:read payments:write'),
    certs: await makeCertificates(dir),
    contract: writeContract(dir),
    redis: { url: process.env.BENCH_REDIS_URL ?? 'redis://127.0.0.1:6379', keyPrefix: `portcullis-bench:${randomBytes(4).toString('hex')}:` },
  };
}

/** Starts what every row measures; TLS rows get a port on one shared stunnel. */
async function startTargets(rows: Row[], ctx: RowContext): Promise<Target[]> {
  const targets: Target[] = [];
  const tunnels: TunnelService[] = [];
  for (const row of rows) {
    const headers = row.headers?.(ctx) ?? {};
    if (row.transport === 'reference') {
      const port = await freePort();
      await startServer('reference', port, ctx.upstream);
      targets.push({ row, base: `http://127.0.0.1:${port}`, headers });
      continue;
    }
    const ports = { listener: await freePort(), admin: await freePort() };
    const started = performance.now();
    const stdoutFile = accessLogFile(ctx, row);
    await startGateway(gatewayConfig(row, ctx, ports), {
      probeUrl: `http://127.0.0.1:${ports.admin}/readyz`,
      probeStatus: 200,
      env: { BENCH_PEPPER: PEPPER },
      ...(stdoutFile ? { stdoutFile } : {}),
      ...(row.args ? { args: row.args } : {}),
      ...(row.cpu ? { cpu: row.cpu } : {}),
    });
    console.log(`  started ${row.id} in ${((performance.now() - started) / 1000).toFixed(1)} s`);
    if (row.transport === 'http') {
      targets.push({ row, base: `http://127.0.0.1:${ports.listener}`, headers });
    } else {
      const acceptPort = await freePort();
      tunnels.push({ name: row.id, acceptPort, connectPort: ports.listener, ...(row.transport === 'mtls' ? { client: { certFile: ctx.certs.clientCertFile, keyFile: ctx.certs.clientKeyFile } } : {}) });
      targets.push({ row, base: `http://127.0.0.1:${acceptPort}`, headers });
    }
  }
  if (tunnels.length > 0) {
    startStunnel(ctx.dir, ctx.certs.ca, tunnels);
    console.log('  stunnel (client mode, on the load core) originates TLS for: ' + tunnels.map((t) => t.name).join(', '));
    for (const tunnel of tunnels) {
      await waitFor(`stunnel for ${tunnel.name}`, async () => {
        try {
          return (await fetch(`http://127.0.0.1:${tunnel.acceptPort}/v1/accounts/123`)).status > 0;
        } catch {
          return false;
        }
      });
    }
  }
  return targets;
}

/** Checks that the row's policy acts (rows.ts `proof`); returns why not, or undefined. */
async function prove(target: Target): Promise<string | undefined> {
  const proof = target.row.proof;
  if (!proof) return undefined;
  const response = await fetch(`${target.base}${proof.path}`, {
    method: proof.method,
    headers: { ...(proof.body ? { 'content-type': 'application/json' } : {}), ...proof.headers },
    ...(proof.body ? { body: proof.body } : {}),
  });
  const body = await response.text();
  if (proof.bodyExcludes !== undefined && body.includes(proof.bodyExcludes)) return `policy not acting: ${proof.path} still holds "${proof.bodyExcludes}"`;
  if (response.status !== proof.status) return `policy not acting: ${proof.method} ${proof.path} answered ${response.status}, expected ${proof.status}`;
  if (proof.header && !response.headers.has(proof.header)) return `policy not acting: no ${proof.header} header`;
  return undefined;
}

function request(target: Target, method: Method): WrkRequest {
  return method === 'GET'
    ? { url: `${target.base}${target.row.getPath ?? '/v1/accounts/123'}`, headers: target.headers }
    : { url: `${target.base}/v1/payments`, method: 'POST', body: PAYMENT, headers: target.headers };
}

async function main(): Promise<void> {
  ensureWrk();
  pinPid('load', process.pid);
  const rows = selectRows(process.env.BENCH_ROWS);
  console.log(`Portcullis benchmark: ${rows.map((r) => r.id).join(', ')}; ${methods.join(' and ')}`);
  console.log(`wrk ${threads} thread(s), ${connections} connections, ${rounds} interleaved rounds × ${seconds} s (+ ${warmupSeconds} s warm-up per row), node ${process.version}, ${cores} cores`);
  console.log(describePinning());
  const ctx = await fixtures();
  const started = await startTargets(rows, ctx);
  const cases: (Case & { target: Target })[] = started.flatMap((target) =>
    methods.map((method) => ({ rowId: target.row.id, label: target.row.label, method, baseline: target.row.baseline, runs: [], errors: [], target })),
  );
  for (const c of cases) {
    const wrong = await prove(c.target).catch((error: unknown) => String(error));
    if (wrong) c.errors.push(wrong);
  }
  const run = async (c: (typeof cases)[number], durationSeconds: number) => runWrk(request(c.target, c.method), { durationSeconds, connections, threads });
  for (const c of cases) await run(c, warmupSeconds).catch((error: unknown) => c.errors.push(`warm-up: ${String(error)}`));
  for (let round = 1; round <= rounds; round++) {
    for (const c of cases) {
      try {
        const result = await run(c, seconds);
        c.runs.push(result);
        console.log(`  round ${round}/${rounds} ${`${c.rowId} ${c.method}`.padEnd(22)} ${result.requestsPerSecond.toFixed(0).padStart(7)} req/s  p99 ${result.latencyMs.p99.toFixed(2)} ms${result.failure ? `  FAILED: ${result.failure}` : ''}`);
      } catch (error) {
        c.errors.push(String(error));
        console.log(`  round ${round}/${rounds} ${c.rowId} ${c.method}: ${String(error)}`);
      }
    }
  }
  const summaries = summarize(cases);
  printTable(summaries);
  const lines = targets(summaries);
  printTargets(lines);
  if (rows.some((row) => row.transport === 'mtls' || row.transport === 'tls')) {
    console.log('\nmTLS and its reference go through stunnel on the load core (wrk cannot present a client certificate): their ratio is to the TLS reference row, not to the plain-HTTP reference.');
  }
  if (rows.some((row) => row.args?.includes('--workers'))) {
    console.log('Workers: on 2 cores wrk and the upstream need core 0, so "--workers 2, unpinned" shares it with them and "--workers 2, server core" shows what a second process on one core costs; both against bare (one process on the server core).');
  }
  if (process.env.BENCH_JSON) {
    writeJson(process.env.BENCH_JSON, { node: process.version, cores, pinning: describePinning(), seconds, rounds, connections, threads, date: new Date().toISOString() }, summaries, lines);
  }
  if (summaries.some((s) => s.failures.length > 0)) process.exitCode = 1;
}

main()
  .catch((error: unknown) => {
    console.error(error);
    process.exitCode = 1;
  })
  .finally(stopAll);
