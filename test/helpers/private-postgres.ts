/**
 * A PostgreSQL cluster of the test's own (issue 13's fault-injection suite): made with initdb in a
 * temporary folder on a free port, so a test may stop it (`pg_ctl stop -m immediate`, what a crash
 * or failover looks like), start it again, or freeze it (kill -STOP: connections accepted, nothing
 * answered) without touching the shared PostgreSQL on 5432.
 *
 * initdb and postgres refuse to run as root, and CI runs as root: then the folder is given to the
 * `postgres` user and every command runs through `runuser -u postgres`. The binaries are found in
 * /usr/lib/postgresql/<newest>/bin. Under CI=true a missing initdb fails the run loudly; elsewhere
 * the tests that need it are skipped with the reason.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { chownSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { freePort, sleep } from './index.js';

function findBinDir(): string | undefined {
  const root = '/usr/lib/postgresql';
  if (!existsSync(root)) return undefined;
  const versions = readdirSync(root)
    .filter((name) => existsSync(join(root, name, 'bin', 'initdb')))
    .sort((a, b) => Number.parseFloat(b) - Number.parseFloat(a));
  return versions[0] === undefined ? undefined : join(root, versions[0], 'bin');
}

const BIN = findBinDir();
const IS_ROOT = process.getuid?.() === 0;
function postgresUser(): { uid: number; gid: number } | undefined {
  const result = spawnSync('id', ['-u', 'postgres'], { encoding: 'utf8' });
  const group = spawnSync('id', ['-g', 'postgres'], { encoding: 'utf8' });
  if (result.status !== 0 || group.status !== 0) return undefined;
  return { uid: Number(result.stdout.trim()), gid: Number(group.stdout.trim()) };
}
const OWNER = IS_ROOT ? postgresUser() : undefined;

const problem = !BIN ? 'initdb was not found under /usr/lib/postgresql/*/bin' : IS_ROOT && !OWNER ? 'running as root and there is no postgres user to run initdb as' : undefined;
if (problem && process.env.CI === 'true') throw new Error(`${problem}: CI must run the PostgreSQL fault tests, not skip them`);
if (problem) console.log(`# skipping PostgreSQL fault tests: ${problem}`);

/** `false` when a private cluster can be made; otherwise the reason, for node:test's `skip`. */
export const skipWithoutInitdb: false | string = problem ?? false;

/** Runs a PostgreSQL binary as the user allowed to (postgres when we are root). */
function command(binary: string, args: string[]): [string, string[]] {
  const path = join(BIN!, binary);
  return IS_ROOT ? ['runuser', ['-u', 'postgres', '--', path, ...args]] : [path, args];
}

function run(binary: string, args: string[]): void {
  const [file, argv] = command(binary, args);
  const result = spawnSync(file, argv, { encoding: 'utf8', timeout: 60_000 });
  if (result.status !== 0) throw new Error(`${binary} ${args.join(' ')} failed (${result.status}): ${result.stderr || result.stdout}`);
}

/** Sends a signal; a process that exited meanwhile (a backend ending) is not an error. */
function signal(pid: number, name: NodeJS.Signals): void {
  try {
    process.kill(pid, name);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ESRCH') throw error;
  }
}

export class PrivatePostgres {
  #server: ChildProcess | undefined;
  #exited: Promise<void> | undefined;

  private constructor(
    readonly dir: string,
    readonly port: number,
  ) {}

  /** Makes a cluster (max_connections as given, so "too many clients" is reachable) and starts it. */
  static async create(options: { maxConnections?: number } = {}): Promise<PrivatePostgres> {
    const dir = mkdtempSync(join(tmpdir(), 'portcullis-pg-'));
    if (OWNER) chownSync(dir, OWNER.uid, OWNER.gid);
    const data = join(dir, 'data');
    run('initdb', ['-D', data, '-A', 'trust', '-U', 'postgres', '--no-sync', '-E', 'UTF8', '--locale=C']);
    const cluster = new PrivatePostgres(dir, await freePort());
    cluster.#maxConnections = options.maxConnections ?? 30;
    await cluster.start();
    return cluster;
  }

  #maxConnections = 30;

  /** A connection URL for a database of this cluster. */
  url(database = 'postgres'): string {
    return `postgres://postgres@127.0.0.1:${this.port}/${database}`;
  }

  /** Starts (again) on the same port and folder, and waits until it answers. */
  async start(): Promise<void> {
    const [file, argv] = command('postgres', [
      '-D', join(this.dir, 'data'),
      '-p', String(this.port),
      '-c', 'listen_addresses=127.0.0.1',
      '-c', `unix_socket_directories=${this.dir}`,
      '-c', `max_connections=${this.#maxConnections}`,
      '-c', 'superuser_reserved_connections=0',
      '-c', 'fsync=off',
      '-c', 'full_page_writes=off',
      '-c', 'logging_collector=off',
    ]);
    const server = spawn(file, argv, { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    server.stderr!.on('data', (data: Buffer) => (stderr = (stderr + data.toString()).slice(-4000)));
    this.#server = server;
    this.#exited = new Promise((resolve) => server.once('exit', () => resolve()));
    const deadline = Date.now() + 60_000;
    for (;;) {
      if (server.exitCode !== null) throw new Error(`private postgres exited at start: ${stderr}`);
      const client = new pg.Client({ connectionString: this.url(), connectionTimeoutMillis: 1000 });
      client.on('error', () => {});
      try {
        await client.connect();
        await client.query('select 1');
        await client.end();
        return;
      } catch (error) {
        await client.end().catch(() => {});
        if (Date.now() > deadline) throw new Error(`private postgres on ${this.port} did not start: ${(error as Error).message}\n${stderr}`);
        await sleep(50);
      }
    }
  }

  /** The postmaster's process id (read from its pid file: runuser stands between us and it). */
  #postmasterPid(): number | undefined {
    try {
      return Number(readFileSync(join(this.dir, 'data', 'postmaster.pid'), 'utf8').split('\n')[0]);
    } catch {
      return undefined;
    }
  }

  /** Every process of the cluster: the postmaster and its children (backends, writer, ...). */
  #allPids(): number[] {
    const main = this.#postmasterPid();
    if (!main) return [];
    const children = spawnSync('pgrep', ['-P', String(main)], { encoding: 'utf8' }).stdout.split('\n').filter(Boolean).map(Number);
    return [main, ...children];
  }

  /** Stops it: `immediate` is a crash (no checkpoint, connections cut), `fast` an orderly stop. */
  async stop(mode: 'immediate' | 'fast' = 'immediate'): Promise<void> {
    if (!this.#server || this.#server.exitCode !== null) return;
    this.resume();
    run('pg_ctl', ['stop', '-D', join(this.dir, 'data'), '-m', mode, '-w', '-t', '20']);
    await this.#exited;
    this.#server = undefined;
  }

  async restart(mode: 'immediate' | 'fast' = 'immediate'): Promise<void> {
    await this.stop(mode);
    await this.start();
  }

  /** Freezes every process of the cluster (kill -STOP): connections are accepted, nothing answers. */
  pause(): void {
    for (const pid of this.#allPids()) signal(pid, 'SIGSTOP');
  }

  /** Thaws what pause() froze (runuser, which stops itself when its child stops, included). */
  resume(): void {
    for (const pid of this.#allPids()) signal(pid, 'SIGCONT');
    if (this.#server?.pid !== undefined && this.#server.exitCode === null) signal(this.#server.pid, 'SIGCONT');
  }

  /** Stops it and deletes its folder. */
  async destroy(): Promise<void> {
    try {
      await this.stop('immediate');
    } finally {
      rmSync(this.dir, { recursive: true, force: true });
    }
  }
}
