/**
 * `npm run bench:startup`: how fast the CLI answers and the gateway starts, in one run.
 * - `portcullis --version` and `--help`: hyperfine (or repeated spawns when it is missing).
 * - Spawn to first 200 response: the demo (`portcullis demo`), a one-route config without store or
 *   contract, and configs generating their routes from real OpenAPI documents (contractRoutes):
 *   GitHub Enterprise 2.18 (501 operations, the installed contract closest to the issue's
 *   452-operation one) and GitHub's REST API (706, the closest to its 845-operation one).
 *   Each without the contract cache (every start compiles the contract whole, in a worker thread)
 *   and with a cache filled by one unmeasured start. Resident memory (VmRSS) of the gateway right
 *   after that first response.
 * - Cold compile of each contract as the validate policy does it, in a fresh process.
 * Every process measured is pinned to the server core(s) when pinning (cpu.ts). Medians of
 * BENCH_STARTUP_RUNS (default 5) runs, with the spread (min–max); then the targets.
 * BENCH_JSON=path also writes the results there.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { describePinning, pinnedCommand, pinPid } from './cpu.js';
import { CLI, freePort, startServer, stopAll, tempDir } from './processes.js';
import { median } from './report.js';

const runs = Number(process.env.BENCH_STARTUP_RUNS ?? 5);
const require = createRequire(import.meta.url);
const CONTRACTS = [
  { label: 'GitHub Enterprise 2.18', path: require.resolve('@octokit/openapi/generated/ghes-2.18.json'), targetMs: 1500 },
  { label: 'GitHub REST', path: require.resolve('@octokit/openapi/generated/api.github.com.json'), targetMs: undefined },
];

interface Measure {
  label: string;
  samplesMs: number[];
  rssMiB?: number[];
  /** The ceiling for the median, if it sets one. */
  targetMs?: number;
}

/** `node CLI <args>` timed by hyperfine (-N: no shell), or by repeated spawns without it; milliseconds. */
function cliTimes(args: string[]): number[] {
  const dir = tempDir('hyperfine');
  const exported = join(dir, 'result.json');
  const command = [process.execPath, CLI, ...args].join(' ');
  const [binary, argv] = pinnedCommand('server', 'hyperfine', ['-N', '--style', 'none', '--warmup', '1', '--runs', String(runs), '--export-json', exported, command]);
  const result = spawnSync(binary, argv, { stdio: ['ignore', 'ignore', 'inherit'] });
  if (result.status === 0) return (JSON.parse(readFileSync(exported, 'utf8')) as { results: Array<{ times: number[] }> }).results[0]!.times.map((s) => s * 1000);
  if (result.error) console.log(`  hyperfine is missing (apt-get install hyperfine): timing ${runs} spawns of ${args.join(' ')} instead`);
  const [node, nodeArgs] = pinnedCommand('server', process.execPath, [CLI, ...args]);
  return Array.from({ length: runs }, () => {
    const started = performance.now();
    spawnSync(node, nodeArgs, { stdio: 'ignore' });
    return performance.now() - started;
  });
}

function rssMiB(pid: number): number {
  return Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))![1]) / 1024;
}

async function stop(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 10000);
  await exited;
  clearTimeout(timer);
}

/** Polls `url` (every 10 ms, up to 120 s) until it answers 200. */
async function firstOk(url: string, headers: Record<string, string>, child: ChildProcess): Promise<void> {
  const deadline = performance.now() + 120000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`the gateway exited with ${child.exitCode} before serving ${url}`);
    try {
      const response = await fetch(url, { headers });
      await response.arrayBuffer();
      if (response.status === 200) return;
    } catch {
      // not listening yet
    }
    if (performance.now() > deadline) throw new Error(`${url} did not answer 200 within 120 s`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

/** Spawns `args` `runs` times (after `unmeasured` starts); each time measures spawn → first 200 from what `ready` returns, and the RSS then. */
async function timeToServe(label: string, args: string[], ready: (child: ChildProcess) => Promise<{ url: string; headers?: Record<string, string> }>, targetMs?: number, unmeasured = 0): Promise<Measure> {
  const measure: Measure = { label, samplesMs: [], rssMiB: [], ...(targetMs ? { targetMs } : {}) };
  for (let run = -unmeasured; run < runs; run++) {
    const [command, argv] = pinnedCommand('server', process.execPath, [CLI, ...args]);
    const started = performance.now();
    const child = spawn(command, argv, { stdio: ['ignore', 'pipe', 'inherit'] });
    try {
      const { url, headers } = await ready(child);
      await firstOk(url, headers ?? {}, child);
      if (run >= 0) {
        measure.samplesMs.push(performance.now() - started);
        measure.rssMiB!.push(rssMiB(child.pid!));
      }
    } finally {
      await stop(child);
    }
  }
  return measure;
}

/** The demo prints one JSON line with its addresses and keys once it is up (--json), after its JSON log lines. */
function demoReady(child: ChildProcess): Promise<{ url: string; headers: Record<string, string> }> {
  return new Promise((resolve, reject) => {
    let text = '';
    child.stdout!.setEncoding('utf8').on('data', (chunk: string) => {
      text += chunk;
      // Log lines come first on the same stream; the demo's own line is the one with keys.
      for (const line of text.split('\n').slice(0, -1)) {
        try {
          const parsed = JSON.parse(line) as { gateway?: string; keys?: { full: string } };
          if (parsed.gateway && parsed.keys) resolve({ url: `${parsed.gateway}/v1/accounts`, headers: { authorization: `Bearer ${parsed.keys.full}` } });
        } catch (error) {
          reject(new Error(`portcullis demo printed a line that is not JSON: ${String(error)}`));
        }
      }
    });
    child.once('exit', (code) => reject(new Error(`portcullis demo exited with ${code}`)));
  });
}

async function startConfig(name: string, config: (port: number) => Record<string, unknown>): Promise<{ args: string[]; port: number }> {
  const port = await freePort();
  const file = join(tempDir(name), 'portcullis.json');
  writeFileSync(file, JSON.stringify(config(port)));
  return { args: ['start', '--config', file], port };
}

/** A cold compile of `path` in a fresh process, `runs` times. */
function compileTimes(label: string, path: string): { measure: Measure; operations: number } {
  const script = new URL('./compile-contract.js', import.meta.url).pathname;
  const [command, argv] = pinnedCommand('server', process.execPath, [script, path]);
  const results = Array.from({ length: runs }, () => JSON.parse(spawnSync(command, argv, { encoding: 'utf8' }).stdout) as { operations: number; parseMs: number; compileMs: number });
  return { measure: { label: `compile ${label} (validate policy, cold)`, samplesMs: results.map((r) => r.compileMs) }, operations: results[0]!.operations };
}

function print(measures: Measure[]): void {
  console.log(`\n${'measure'.padEnd(70)} ${'median s'.padStart(8)} ${'spread s'.padStart(11)} ${'RSS MiB'.padStart(7)}  target`);
  for (const m of measures) {
    const s = median(m.samplesMs) / 1000;
    const spread = `${(Math.min(...m.samplesMs) / 1000).toFixed(2)}–${(Math.max(...m.samplesMs) / 1000).toFixed(2)}`;
    const rss = m.rssMiB ? median(m.rssMiB).toFixed(0) : '';
    const target = m.targetMs ? `≤ ${m.targetMs / 1000} s: ${median(m.samplesMs) <= m.targetMs ? 'met' : 'NOT met'}` : '';
    console.log(`${m.label.padEnd(70)} ${s.toFixed(3).padStart(8)} ${spread.padStart(11)} ${rss.padStart(7)}  ${target}`);
  }
}

async function main(): Promise<void> {
  pinPid('load', process.pid);
  console.log(`Portcullis start-up: ${runs} runs each, medians (node ${process.version})`);
  console.log(describePinning());
  const upstreamPort = await freePort();
  await startServer('upstream', upstreamPort);
  const upstream = `http://127.0.0.1:${upstreamPort}`;
  const base = (port: number) => ({ listeners: [{ name: 'bench', host: '127.0.0.1', port }], upstreams: { api: { targets: [upstream] } }, lifecycle: { watchConfigFile: false }, logging: { level: 'warn' } });
  const measures: Measure[] = [
    { label: 'portcullis --version', samplesMs: cliTimes(['--version']), targetMs: 200 },
    { label: 'portcullis --help', samplesMs: cliTimes(['--help']), targetMs: 200 },
  ];
  measures.push(await timeToServe('demo: spawn → first 200 (portcullis demo)', ['demo', '--port', '0', '--admin-port', '0', '--json'], demoReady, 1000));
  const minimal = await startConfig('minimal', (port) => ({ ...base(port), routes: [{ name: 'account', methods: ['GET'], path: '/v1/accounts/:id', upstream: 'api' }] }));
  measures.push(await timeToServe('one route, no store, no contract: spawn → first 200', minimal.args, async () => ({ url: `http://127.0.0.1:${minimal.port}/v1/accounts/123` })));
  for (const contract of CONTRACTS) {
    const compiled = compileTimes(contract.label, contract.path);
    const routes = { contractRoutes: [{ contract: contract.path, upstream: 'api', namePrefix: 'c-' }] };
    const label = `${contract.label} (${compiled.operations} ops) as routes`;
    // Cold: no contract cache, every start compiles the contract whole. Cached: a cache filled by one unmeasured start.
    const cold = await startConfig('contract', (port) => ({ ...base(port), ...routes, contractCache: { enabled: false } }));
    const cached = await startConfig('contract', (port) => ({ ...base(port), ...routes, contractCache: { dir: tempDir('contract-cache') } }));
    measures.push(compiled.measure);
    measures.push(await timeToServe(`${label}, no cache: spawn → first 200`, cold.args, async () => ({ url: `http://127.0.0.1:${cold.port}/meta` }), contract.targetMs));
    measures.push(await timeToServe(`${label}, cached: spawn → first 200`, cached.args, async () => ({ url: `http://127.0.0.1:${cached.port}/meta` }), contract.targetMs, 1));
  }
  print(measures);
  if (process.env.BENCH_JSON) {
    const rows = measures.map((m) => ({ label: m.label, medianMs: median(m.samplesMs), minMs: Math.min(...m.samplesMs), maxMs: Math.max(...m.samplesMs), ...(m.rssMiB ? { rssMiB: median(m.rssMiB) } : {}), ...(m.targetMs ? { targetMs: m.targetMs, met: median(m.samplesMs) <= m.targetMs } : {}) }));
    writeFileSync(process.env.BENCH_JSON, `${JSON.stringify({ node: process.version, pinning: describePinning(), runs, date: new Date().toISOString(), rows }, null, 2)}\n`);
    console.log(`\nresults written to ${process.env.BENCH_JSON}`);
  }
  console.log('\nTargets (issue 16): --version and --help ≤ 0.2 s; the demo serving ≤ 1 s; a ~450-operation contract serving ≤ 1.5 s (GitHub Enterprise 2.18, 501 operations, stands in for it).');
}

main()
  .catch((error: unknown) => {
    console.error(error);
    process.exitCode = 1;
  })
  .finally(stopAll);
