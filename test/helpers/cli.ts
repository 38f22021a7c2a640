/** Runs the real `portcullis` CLI (the compiled bin) as a child process. */
import { spawn, spawnSync, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { freePort } from './index.js';

/**
 * How long to wait for a line from a CLI child. A child process loads the whole gateway before its
 * first line: under CPU load (a second suite in parallel) that alone took over 10 s, which failed
 * the SIGHUP lifecycle test 4 runs in 5. The bound only decides how long a failing test takes.
 */
const CLI_LINE_TIMEOUT_MS = 60_000;

export const CLI = fileURLToPath(new URL('../../src/cli/main.js', import.meta.url));

export function runCli(args: string[], env: NodeJS.ProcessEnv = {}): { status: number | null; stdout: string; stderr: string } {
  const result = spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8', env: { ...process.env, ...env }, timeout: 300_000 });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

export interface CliProcess {
  child: ChildProcessWithoutNullStreams;
  output(): string;
  /** Waits for a line of output that matches; returns it. */
  waitForLine(pattern: RegExp, timeoutMs?: number): Promise<string>;
  exited: Promise<number | null>;
}

export function spawnCli(args: string[], env: NodeJS.ProcessEnv = {}): CliProcess {
  const child = spawn(process.execPath, [CLI, ...args], { env: { ...process.env, ...env } });
  let output = '';
  child.stdout.on('data', (data: Buffer) => (output += data.toString()));
  child.stderr.on('data', (data: Buffer) => (output += data.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return {
    child,
    output: () => output,
    exited,
    async waitForLine(pattern, timeoutMs = CLI_LINE_TIMEOUT_MS) {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const line = output.split('\n').find((l) => pattern.test(l));
        if (line) return line;
        if (Date.now() > deadline || child.exitCode !== null) throw new Error(`no output line matching ${pattern} (exit code ${child.exitCode}, signal ${child.signalCode}); output so far:\n${output}`);
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
    },
  };
}

/** Like runCli, without blocking this process (which may host the gateway the CLI talks to). */
export function runCliAsync(args: string[], env: NodeJS.ProcessEnv = {}): Promise<{ status: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [CLI, ...args], { env: { ...process.env, ...env } });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (data: Buffer) => (stdout += data.toString()));
    child.stderr.on('data', (data: Buffer) => (stderr += data.toString()));
    child.once('close', (status) => resolve({ status, stdout, stderr }));
  });
}

export interface GatewayNodes {
  readonly nodes: CliProcess[];
  /** Each node's listener and admin ports, in order. */
  readonly ports: Array<{ port: number; adminPort: number }>;
  stop(): void;
}

/**
 * Starts `count` gateway processes (`portcullis start`), each with its own config file and ports,
 * and waits until every one has started. `config` gets a node's ports and returns its config.
 */
export async function startGatewayNodes(count: number, config: (ports: { port: number; adminPort: number }) => Record<string, unknown>, env: NodeJS.ProcessEnv = {}): Promise<GatewayNodes> {
  const dir = mkdtempSync(join(tmpdir(), 'portcullis-nodes-'));
  const nodes: CliProcess[] = [];
  const ports: Array<{ port: number; adminPort: number }> = [];
  const stop = () => nodes.forEach((node) => node.child.kill('SIGKILL'));
  try {
    for (let i = 0; i < count; i++) {
      const nodePorts = { port: await freePort(), adminPort: await freePort() };
      const file = join(dir, `node${i}.json`);
      writeFileSync(file, JSON.stringify({ lifecycle: { watchConfigFile: false }, ...config(nodePorts) }));
      const node = spawnCli(['start', '--config', file], env);
      nodes.push(node);
      ports.push(nodePorts);
      await node.waitForLine(/gateway\.started/);
    }
  } catch (error) {
    stop();
    throw error;
  }
  return { nodes, ports, stop };
}
