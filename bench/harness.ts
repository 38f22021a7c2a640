/**
 * What the older single-purpose benchmarks (bench:keys, bench:jwt, bench:geo, …) share: the child
 * processes of processes.ts and an autocannon run from this process. `npm run bench` uses wrk
 * (wrk.ts) instead; these compare cases inside one gateway, where a Node load generator is enough.
 */
import type { ChildProcess } from 'node:child_process';
import autocannon from 'autocannon';
import { pinningEnabled, pinPid } from './cpu.js';
import { startGateway } from './processes.js';

export { freePort, startServer, stopAll, track } from './processes.js';

// autocannon runs in this process: it is the load side.
pinPid('load', process.pid);

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
