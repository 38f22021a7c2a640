/**
 * The load generator: Debian's `wrk` (C, epoll, one thread), pinned to the load core so it never
 * competes with the server it measures. A POST body goes through a small Lua script written to a
 * temporary file. `ensureWrk()` installs wrk with apt-get when it is missing, and says so.
 */
import { spawn, spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pinnedCommand, type CpuRole } from './cpu.js';
import { tempDir } from './processes.js';
import { failureOf, parseWrkOutput, type WrkResult } from './wrk-output.js';

export interface WrkRequest {
  url: string;
  method?: 'GET' | 'POST';
  /** Sent with Content-Type application/json when method is POST. */
  body?: string;
  headers?: Record<string, string>;
}

export interface WrkRun extends WrkResult {
  /** Why the run does not count (non-2xx responses, socket errors), or undefined. */
  failure?: string;
}

function onPath(command: string): boolean {
  return spawnSync('sh', ['-c', `command -v ${command}`], { stdio: 'ignore' }).status === 0;
}

/** Makes sure `wrk` is on PATH: installs Debian's package with apt-get (as root, or with sudo) if not. Throws when that fails. */
export function ensureWrk(): void {
  if (onPath('wrk')) return;
  console.log('wrk is missing: installing it with apt-get (Debian package wrk) …');
  const sudo = process.getuid?.() === 0 ? [] : ['sudo'];
  for (const args of [['update'], ['install', '-y', 'wrk']]) {
    const [command, ...rest] = [...sudo, 'apt-get', ...args];
    const result = spawnSync(command!, rest, { stdio: 'inherit' });
    if (result.status !== 0) throw new Error(`apt-get ${args.join(' ')} failed: install wrk (apt-get install wrk) and run again`);
  }
  if (!onPath('wrk')) throw new Error('wrk is still not on PATH after apt-get install wrk');
}

const scripts = new Map<string, string>();

/** A wrk Lua script sending `body` as a JSON POST, written once per body to a temporary file. */
function postScript(body: string): string {
  let path = scripts.get(body);
  if (!path) {
    path = join(tempDir('wrk'), 'post.lua');
    // Lua long brackets with a level that the body cannot close: no escaping needed.
    const level = '='.repeat(4);
    writeFileSync(path, `wrk.method = "POST"\nwrk.body = [${level}[${body}]${level}]\nwrk.headers["Content-Type"] = "application/json"\n`);
    scripts.set(body, path);
  }
  return path;
}

/**
 * Runs `wrk --latency` for `durationSeconds` with `connections` over `threads` threads and returns
 * its numbers; `failure` is set when any response was not 2xx/3xx or any socket error happened.
 * Throws when wrk cannot run or prints something unreadable.
 */
export async function runWrk(request: WrkRequest, options: { durationSeconds: number; connections: number; threads?: number; timeoutSeconds?: number; cpu?: CpuRole }): Promise<WrkRun> {
  const args = ['--latency', '-t', String(options.threads ?? 1), '-c', String(options.connections), '-d', `${options.durationSeconds}s`, '--timeout', `${options.timeoutSeconds ?? 2}s`];
  for (const [name, value] of Object.entries(request.headers ?? {})) {
    // The POST script sets Content-Type itself: a second one from -H would be sent as well.
    if (request.method !== 'POST' || name.toLowerCase() !== 'content-type') args.push('-H', `${name}: ${value}`);
  }
  if (request.method === 'POST') args.push('-s', postScript(request.body ?? ''));
  args.push(request.url);
  const [command, commandArgs] = pinnedCommand(options.cpu ?? 'load', 'wrk', args);
  const child = spawn(command, commandArgs, { stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
  const code = await new Promise<number | null>((resolve, reject) => {
    child.once('error', reject);
    child.once('close', resolve);
  });
  if (code !== 0) throw new Error(`wrk exited with ${code}: ${stderr.trim() || stdout.trim()}`);
  const result = parseWrkOutput(stdout);
  const failure = failureOf(result);
  return failure ? { ...result, failure } : result;
}
