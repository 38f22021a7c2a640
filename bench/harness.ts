/** Shared pieces of the benchmarks: free ports, child servers, a gateway process, autocannon runs. */
import { fork, spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { availableParallelism } from 'node:os';
import { writeFileSync, mkdtempSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import autocannon from 'autocannon';

const SERVERS = fileURLToPath(new URL('./servers.js', import.meta.url));

/**
 * On a small machine the load generator competes with the servers it measures, and the ratios
 * swing with the scheduler. When `taskset` is there (util-linux) and there are at least 2 cores,
 * the load generator (this process) gets core 0 and every server the other cores.
 * BENCH_PIN=0 turns this off.
 */
const PIN = process.env.BENCH_PIN !== '0' && availableParallelism() >= 2 && spawnSync('taskset', ['-cp', '0', String(process.pid)], { stdio: 'ignore' }).status === 0;
const SERVER_CPUS = `1-${availableParallelism() - 1}`;

export function pinned(): boolean {
  return PIN;
}

function pinChild(child: ChildProcess): ChildProcess {
  if (PIN && child.pid) spawnSync('taskset', ['-cp', SERVER_CPUS, String(child.pid)], { stdio: 'ignore' });
  return child;
}
const CLI = fileURLToPath(new URL('../src/cli/main.js', import.meta.url));
const children: ChildProcess[] = [];

export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

export async function startServer(role: 'upstream' | 'reference' | 'sink', port: number, upstream?: string): Promise<ChildProcess> {
  const child = pinChild(fork(SERVERS, [role, String(port), ...(upstream ? [upstream] : [])], { stdio: 'ignore' }));
  children.push(child);
  await new Promise<void>((resolve, reject) => {
    child.once('message', () => resolve());
    child.once('exit', (code) => reject(new Error(`${role} exited with ${code}`)));
  });
  return child;
}

/** Starts `portcullis start` on a config; its JSON logs go to /dev/null (formatted and written all the same). */
export async function startGatewayProcess(config: Record<string, unknown>, port: number): Promise<ChildProcess> {
  // `port` must be a plain-HTTP listener of the config: it is polled until the gateway answers.
  const dir = mkdtempSync(join(tmpdir(), 'portcullis-bench-'));
  const file = join(dir, 'portcullis.json');
  writeFileSync(file, JSON.stringify(config));
  const child = pinChild(spawn(process.execPath, [CLI, 'start', '--config', file], { stdio: ['ignore', 'ignore', 'inherit'] }));
  children.push(child);
  const deadline = Date.now() + 10000;
  for (;;) {
    try {
      const response = await fetch(`http://127.0.0.1:${port}/__bench_ping`);
      await response.arrayBuffer();
      return child;
    } catch {
      if (Date.now() > deadline) throw new Error('the gateway did not start');
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }
}

/** Children started elsewhere that stopAll() must end too. */
export function track(child: ChildProcess): ChildProcess {
  children.push(child);
  return pinChild(child);
}

export function stopAll(): void {
  for (const child of children) child.kill('SIGKILL');
}

export interface LoadResult {
  requestsPerSecond: number;
  p50Ms: number;
  p99Ms: number;
  errors: number;
  non2xx: number;
}

export async function load(
  url: string,
  options: { durationSeconds: number; connections: number; method?: string; body?: string; headers?: Record<string, string>; tlsOptions?: { ca?: string; cert?: string; key?: string } },
): Promise<LoadResult> {
  const result = await autocannon({
    // For https URLs: the client certificate (mTLS); autocannon itself does not verify the server.
    ...(options.tlsOptions ? { tlsOptions: options.tlsOptions } : {}),
    url,
    connections: options.connections,
    duration: options.durationSeconds,
    method: (options.method ?? 'GET') as 'GET',
    body: options.body,
    headers: options.headers,
  });
  return {
    requestsPerSecond: result.requests.average,
    p50Ms: result.latency.p50,
    p99Ms: result.latency.p99,
    errors: result.errors + result.timeouts,
    non2xx: result.non2xx,
  };
}

export function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
}
