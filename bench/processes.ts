/**
 * The benchmarks' child processes: free ports, the servers of servers.ts, `portcullis start` on a
 * config, each pinned by role (cpu.ts), and one place that ends them all.
 */
import { fork, spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, openSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { pinnedCommand, pinPid, type CpuRole } from './cpu.js';

const SERVERS = fileURLToPath(new URL('./servers.js', import.meta.url));
/** The built CLI, dist/src/cli/main.js. */
export const CLI = fileURLToPath(new URL('../src/cli/main.js', import.meta.url));
const children: ChildProcess[] = [];
const dirs: string[] = [];
// Also on a crash: no gateway, upstream or stunnel outlives the benchmark that started it.
process.once('exit', () => stopAll());

/** A fresh temporary folder, removed by stopAll(). */
export function tempDir(name: string): string {
  const dir = mkdtempSync(join(tmpdir(), `portcullis-bench-${name}-`));
  dirs.push(dir);
  return dir;
}

export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/** Children started elsewhere that stopAll() must end too; pinned to `cpu` if given. */
export function track(child: ChildProcess, cpu: CpuRole = 'none'): ChildProcess {
  children.push(child);
  pinPid(cpu, child.pid);
  return child;
}

/** Ends every child started here (SIGKILL: nothing they hold needs a clean shutdown) and removes the temporary folders. */
export function stopAll(): void {
  for (const child of children) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
}

/**
 * Starts a role of servers.ts on `port` and resolves once it listens. The upstream and the sink are
 * load-side processes (core 0 when pinning); the reference is a measured server.
 */
export async function startServer(role: 'upstream' | 'reference' | 'sink', port: number, upstream?: string): Promise<ChildProcess> {
  const child = track(fork(SERVERS, [role, String(port), ...(upstream ? [upstream] : [])], { stdio: 'ignore' }), role === 'reference' ? 'server' : 'load');
  await new Promise<void>((resolve, reject) => {
    child.once('message', () => resolve());
    child.once('exit', (code) => reject(new Error(`${role} exited with ${code}`)));
  });
  return child;
}

/** Polls `check` every 20 ms until it returns true; throws after `timeoutMs` or when `check` throws. */
export async function waitFor(what: string, check: () => Promise<boolean>, timeoutMs = 60000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await check()) return;
    if (Date.now() > deadline) throw new Error(`${what} did not happen within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

export interface GatewayOptions {
  /** Polled until it answers (with `probeStatus` if given, else any status): a plain-HTTP URL the gateway serves. */
  probeUrl: string;
  probeStatus?: number;
  env?: Record<string, string>;
  /** Where the gateway's stdout (JSON logs, access log) goes; default /dev/null. */
  stdoutFile?: string;
  /** Extra arguments after `start --config <file>`. */
  args?: string[];
  cpu?: CpuRole;
}

/** Writes `config` to a temporary file, runs `portcullis start` on it (pinned to the server cores by default) and resolves once `probeUrl` answers. */
export async function startGateway(config: Record<string, unknown>, options: GatewayOptions): Promise<ChildProcess> {
  const file = join(tempDir('config'), 'portcullis.json');
  writeFileSync(file, JSON.stringify(config));
  const stdout = openSync(options.stdoutFile ?? '/dev/null', 'a');
  const [command, args] = pinnedCommand(options.cpu ?? 'server', process.execPath, [CLI, 'start', '--config', file, ...(options.args ?? [])]);
  const child = track(spawn(command, args, { stdio: ['ignore', stdout, 'inherit'], env: { ...process.env, ...options.env } }));
  let exited = false;
  child.once('exit', () => (exited = true));
  await waitFor(`the gateway on ${options.probeUrl} answering`, async () => {
    if (exited) throw new Error(`the gateway exited with ${child.exitCode ?? child.signalCode} before serving`);
    try {
      const response = await fetch(options.probeUrl);
      await response.arrayBuffer();
      return options.probeStatus === undefined || response.status === options.probeStatus;
    } catch {
      return false; // not listening yet
    }
  });
  return child;
}
