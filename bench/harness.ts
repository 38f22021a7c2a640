/**
 * What the single-purpose benchmarks (bench:keys, bench:jwt, bench:geo, …) share: the child
 * processes of processes.ts and a wrk run (wrk.ts) on the load core.
 */
import type { ChildProcess } from 'node:child_process';
import { pinningEnabled, pinPid } from './cpu.js';
import { startGateway } from './processes.js';
import { ensureWrk, runWrk } from './wrk.js';

export { freePort, startServer, stopAll, track } from './processes.js';

// This process is the load side (it drives wrk).
pinPid('load', process.pid);
ensureWrk();

export function pinned(): boolean {
  return pinningEnabled;
}

/** Starts `portcullis start` on a config; `port` must be a plain-HTTP listener of it (polled until it answers). */
export async function startGatewayProcess(config: Record<string, unknown>, port: number): Promise<ChildProcess> {
  return startGateway(config, { probeUrl: `http://127.0.0.1:${port}/__bench_ping` });
}

export interface LoadResult {
  requestsPerSecond: number;
  p50Ms: number;
  p99Ms: number;
  errors: number;
  non2xx: number;
}

/** One wrk run (wrk.ts) on the load core; a POST body is sent as JSON. */
export async function load(url: string, options: { durationSeconds: number; connections: number; method?: string; body?: string; headers?: Record<string, string> }): Promise<LoadResult> {
  const result = await runWrk(
    { url, method: options.method === 'POST' ? 'POST' : 'GET', ...(options.body !== undefined ? { body: options.body } : {}), ...(options.headers ? { headers: options.headers } : {}) },
    { durationSeconds: options.durationSeconds, connections: options.connections },
  );
  const s = result.socketErrors;
  return { requestsPerSecond: result.requestsPerSecond, p50Ms: result.latencyMs.p50, p99Ms: result.latencyMs.p99, errors: s.connect + s.read + s.write + s.timeout, non2xx: result.non2xx };
}

export function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
}
