/**
 * `npm run bench:keys`: a store with 1 000 000 API keys against one with 1 000, in one run:
 * gateway start time (process spawn to /readyz 200), resident memory once started, and requests/s
 * through a key-protected route (interleaved rounds, medians). Targets: start ≤ 10 s,
 * RSS ≤ 400 MB, throughput within 5 % of the 1 000-key case.
 * BENCH_KEYS (default 1000000), BENCH_SECONDS (5), BENCH_ROUNDS (5), BENCH_CONNECTIONS (50).
 */
import { randomFillSync } from 'node:crypto';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { spawn, type ChildProcess } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import Database from 'libsql';
import { generateApiKey, hashApiKey } from '../src/keys/api-key-format.js';
import { encodeBase62 } from '../src/store/ids.js';
import { migrateToLatest, openStore } from '../src/store/open-store.js';
import { freePort, load, median, startServer, stopAll, track } from './harness.js';

const many = Number(process.env.BENCH_KEYS ?? 1_000_000);
const few = 1000;
const seconds = Number(process.env.BENCH_SECONDS ?? 5);
const rounds = Number(process.env.BENCH_ROUNDS ?? 5);
const connections = Number(process.env.BENCH_CONNECTIONS ?? 50);
const PEPPER = 'bench-pepper-0123456789abcdefghijklmnopqrstuvwxyz';
const CLI = fileURLToPath(new URL('../src/cli/main.js', import.meta.url));

/** A store with `count` keys: one real key (returned) and count-1 filler rows of the same shape. */
async function buildStore(count: number): Promise<{ path: string; key: string }> {
  const path = join(mkdtempSync(join(tmpdir(), 'portcullis-bench-keys-')), 'store.db');
  const store = openStore({ driver: 'sqlite', path });
  await migrateToLatest(store);
  await store.close();
  const db = new Database(path);
  const now = Date.now();
  const expires = now + 90 * 86400000;
  db.prepare("insert into consumers (id, name, metadata, status, created_at, updated_at) values ('con_bench', 'bench', '{}', 'active', ?, ?)").run(now, now);
  const insert = db.prepare("insert into api_keys (id, consumer_id, name, environment, hash, scopes, status, expires_at, created_by, created_at) values (?, 'con_bench', 'k', 'live', ?, '[\"accounts:read\"]', 'active', ?, 'bench', ?)");
  const real = generateApiKey('ptc', 'live');
  insert.run(real.id, hashApiKey(real.key, PEPPER), expires, now);
  const random = Buffer.alloc(32 * 10000);
  db.exec('begin');
  for (let i = 1; i < count; i++) {
    if (i % 10000 === 1) randomFillSync(random);
    const id = `z${encodeBase62(Buffer.from(i.toString(16).padStart(12, '0'), 'hex'), 7)}`; // unique, never a real key's id
    insert.run(id, random.toString('hex', (i % 10000) * 32, (i % 10000) * 32 + 32), expires, now);
  }
  db.exec('commit');
  db.close();
  return { path, key: real.key };
}

async function startGateway(storePath: string, upstream: string): Promise<{ child: ChildProcess; port: number; startMs: number; rssMiB: number }> {
  const [port, adminPort] = [await freePort(), await freePort()];
  const file = join(mkdtempSync(join(tmpdir(), 'portcullis-bench-cfg-')), 'portcullis.json');
  writeFileSync(
    file,
    JSON.stringify({
      listeners: [{ name: 'bench', host: '127.0.0.1', port }],
      admin: { host: '127.0.0.1', port: adminPort },
      store: { path: storePath },
      apiKeys: { pepper: '${env:BENCH_PEPPER}' },
      lifecycle: { watchConfigFile: false },
      upstreams: { api: { targets: [upstream] } },
      routes: [{ name: 'account', methods: ['GET'], path: '/accounts/:id', upstream: 'api', policies: { 'auth-apikey': {} } }],
    }),
  );
  const started = performance.now();
  const child = track(spawn(process.execPath, [CLI, 'start', '--config', file], { stdio: ['ignore', 'ignore', 'inherit'], env: { ...process.env, BENCH_PEPPER: PEPPER } }), 'server');
  for (;;) {
    try {
      const response = await fetch(`http://127.0.0.1:${adminPort}/readyz`);
      if (response.status === 200) break;
    } catch {
      // not listening yet
    }
    if (performance.now() - started > 60000) throw new Error('the gateway did not become ready in 60 s');
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  const startMs = performance.now() - started;
  global.gc?.();
  await new Promise((resolve) => setTimeout(resolve, 500));
  const rss = readFileSync(`/proc/${child.pid}/status`, 'utf8').match(/VmRSS:\s+(\d+)/)![1]!;
  return { child, port, startMs, rssMiB: Number(rss) / 1024 };
}

async function main(): Promise<void> {
  const upstreamPort = await freePort();
  const upstream = `http://127.0.0.1:${upstreamPort}`;
  await startServer('upstream', upstreamPort);
  console.log(`building stores with ${few} and ${many} keys ...`);
  const built = performance.now();
  const small = await buildStore(few);
  const large = await buildStore(many);
  console.log(`  built in ${((performance.now() - built) / 1000).toFixed(1)} s`);

  const cases = [
    { name: `${few} keys`, store: small, rps: [] as number[], p99: [] as number[], startMs: [] as number[], rssMiB: [] as number[] },
    { name: `${many} keys`, store: large, rps: [] as number[], p99: [] as number[], startMs: [] as number[], rssMiB: [] as number[] },
  ];
  // Only one gateway is alive at a time, so the one measured never shares its core with another.
  for (let round = 0; round < rounds; round++) {
    for (const c of cases) {
      const gateway = await startGateway(c.store.path, upstream);
      console.log(`  round ${round + 1}, ${c.name}: ready in ${(gateway.startMs / 1000).toFixed(2)} s, ${gateway.rssMiB.toFixed(0)} MiB`);
      const url = `http://127.0.0.1:${gateway.port}/accounts/a`;
      const headers = { authorization: `Bearer ${c.store.key}` };
      await load(url, { durationSeconds: 1, connections, headers });
      const result = await load(url, { durationSeconds: seconds, connections, headers });
      gateway.child.kill('SIGKILL');
      await new Promise((resolve) => gateway.child.once('exit', resolve));
      if (result.errors > 0 || result.non2xx > 0) throw new Error(`${c.name}: ${result.errors} errors, ${result.non2xx} non-2xx`);
      c.rps.push(result.requestsPerSecond);
      c.p99.push(result.p99Ms);
      c.startMs.push(gateway.startMs);
      c.rssMiB.push(gateway.rssMiB);
    }
  }
  const results = cases.map((c) => ({ ...c, gateway: { startMs: Math.max(...c.startMs), rssMiB: Math.max(...c.rssMiB) } }));
  console.log(`\nKey-protected GET, ${connections} connections, ${rounds} rounds × ${seconds} s, one gateway at a time; medians, worst start and RSS (node ${process.version})\n`);
  console.log('store              start s   RSS MiB    req/s   p99 ms   vs 1 000 keys');
  const base = median(results[0]!.rps);
  for (const r of results) {
    const rps = median(r.rps);
    console.log(`${r.name.padEnd(17)} ${(r.gateway.startMs / 1000).toFixed(2).padStart(7)}  ${r.gateway.rssMiB.toFixed(0).padStart(8)}  ${rps.toFixed(0).padStart(7)}  ${median(r.p99).toFixed(1).padStart(7)}  ${(rps / base).toFixed(3).padStart(10)}×`);
  }
  const largeResult = results[1]!;
  const ratio = median(largeResult.rps) / base;
  console.log(`\nTargets: start ≤ 10 s: ${largeResult.gateway.startMs <= 10000 ? 'met' : 'NOT met'}; RSS ≤ 400 MB: ${largeResult.gateway.rssMiB * 1.048576 <= 400 ? 'met' : 'NOT met'}; throughput within 5 %: ${ratio >= 0.95 ? 'met' : 'NOT met'} (${ratio.toFixed(3)})`);
}

main()
  .catch((error: unknown) => {
    console.error(error);
    process.exitCode = 1;
  })
  .finally(stopAll);
