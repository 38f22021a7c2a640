/**
 * Runs the Dockerfile's steps as a script, since docker cannot build here (no base image can be
 * pulled): each stage gets a folder standing for its root filesystem; WORKDIR, COPY (from the
 * build context or `--from` a stage), ENV and the `npm` RUN steps are carried out in it as written;
 * (a `--mount=type=cache` of the npm cache is this machine's npm cache); the system RUN steps (groupadd, useradd, mkdir, chown) are stood in for: the data folder is made
 * and given to an unprivileged user. Then the runtime stage's ENTRYPOINT + CMD start the built
 * gateway as that user (setpriv, when run as root) with code it cannot write, the image's
 * HEALTHCHECK command is run until it passes, and the gateway must stop on SIGTERM having written
 * nothing outside its data folder and /tmp (what a read-only root filesystem allows).
 *
 * `npm run docker:steps` (after `npm run build`); .ci/run runs it. Takes a minute or two (npm ci
 * twice and a build). Exits 1 with the reason on any failure.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { chmodSync, chownSync, cpSync, mkdirSync, mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join, posix } from 'node:path';
import { fileURLToPath } from 'node:url';
import { dockerStages, type DockerStage } from './helpers/dockerfile.js';

const CONTEXT = fileURLToPath(new URL('../../', import.meta.url));
const NOBODY = 65534;
/** RUN steps that change the system rather than the image's files: stood in for, never run here. */
const SYSTEM_COMMANDS = new Set(['groupadd', 'useradd', 'mkdir', 'chown']);
const STEP_TIMEOUT_MS = 10 * 60_000;

interface StageState {
  readonly root: string;
  workdir: string;
  env: Record<string, string>;
}

function log(message: string): void {
  process.stdout.write(`docker-steps: ${message}\n`);
}

const inRoot = (state: StageState, path: string) => join(state.root, posix.isAbsolute(path) ? path : posix.join(state.workdir, path));

function runStage(stage: DockerStage, states: Map<string, StageState>, work: string): StageState {
  const state: StageState = { root: join(work, stage.name), workdir: '/', env: {} };
  mkdirSync(state.root, { recursive: true });
  for (const step of stage.steps) {
    switch (step.keyword) {
      case 'WORKDIR':
        state.workdir = posix.resolve(state.workdir, step.text);
        mkdirSync(inRoot(state, '.'), { recursive: true });
        break;
      case 'ENV': {
        const [name, ...value] = step.text.split('=');
        state.env[name!] = value.join('=');
        break;
      }
      case 'COPY': {
        const from = step.flags.from === undefined ? undefined : states.get(step.flags.from);
        if (step.flags.from !== undefined && !from) throw new Error(`line ${step.line}: COPY --from=${step.flags.from}: no such stage before it`);
        const sources = step.args.slice(0, -1);
        const target = inRoot(state, step.args.at(-1)!);
        for (const source of sources) {
          const path = from ? join(from.root, source) : join(CONTEXT, source);
          const destination = step.args.at(-1)!.endsWith('/') ? join(target, posix.basename(source)) : target;
          mkdirSync(dirname(destination), { recursive: true });
          cpSync(path, destination, { recursive: true, filter: (file) => !file.includes('/node_modules/') && !file.endsWith('/node_modules') });
        }
        break;
      }
      case 'RUN': {
        const commands = step.text.split('&&').map((part) => part.trim().split(/\s+/)[0]!);
        if (commands.every((command) => command === 'npm')) {
          log(`line ${step.line} (${stage.name}): ${step.text}`);
          const started = Date.now();
          const result = spawnSync('sh', ['-c', step.text], { cwd: inRoot(state, '.'), env: { ...process.env, ...state.env }, stdio: ['ignore', 'inherit', 'inherit'], timeout: STEP_TIMEOUT_MS });
          if (result.status !== 0) throw new Error(`line ${step.line}: \`${step.text}\` exited ${result.status ?? result.signal}`);
          log(`  done in ${((Date.now() - started) / 1000).toFixed(1)} s`);
        } else if (commands.every((command) => SYSTEM_COMMANDS.has(command))) {
          log(`line ${step.line} (${stage.name}): system step stood in for: ${step.text}`);
          for (const [, path] of step.text.matchAll(/mkdir -p ((?:\/\S+\s*)+)/g)) for (const dir of path!.trim().split(/\s+/)) mkdirSync(join(state.root, dir), { recursive: true });
        } else {
          throw new Error(`line ${step.line}: a RUN step this script does not know how to stand in for: ${step.text} (teach test/docker-steps.ts)`);
        }
        break;
      }
      default:
        break;
    }
  }
  return state;
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer().listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
    server.on('error', reject);
  });
}

/** Every file under dir, relative, except under the given prefixes. */
function listFiles(dir: string, except: string[], prefix = ''): string[] {
  const files: string[] = [];
  for (const entry of readdirSync(join(dir, prefix), { withFileTypes: true })) {
    const relative = posix.join(prefix, entry.name);
    if (except.some((skip) => relative === skip || relative.startsWith(`${skip}/`))) continue;
    if (entry.isDirectory()) files.push(...listFiles(dir, except, relative));
    else files.push(relative);
  }
  return files;
}

async function waitFor(condition: () => boolean, what: string, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

async function main(): Promise<void> {
  const work = mkdtempSync(join(tmpdir(), 'portcullis-docker-steps-'));
  let gateway: ChildProcess | undefined;
  try {
    chmodSync(work, 0o755);
    const stages = dockerStages();
    const states = new Map<string, StageState>();
    for (const stage of stages) states.set(stage.name, runStage(stage, states, work));
    const runtime = stages.at(-1)!;
    const state = states.get(runtime.name)!;
    const exec = (keyword: string) => runtime.steps.filter((step) => step.keyword === keyword).at(-1)?.exec ?? [];

    // The data folder (VOLUME) belongs to the unprivileged user; everything else stays root's.
    const root = getuid() === 0;
    const dataDir = join(state.root, 'var/lib/portcullis');
    mkdirSync(dataDir, { recursive: true });
    if (root) chownSync(dataDir, NOBODY, NOBODY);
    const [publicPort, probePort] = [await freePort(), await freePort()];
    const configFile = join(state.root, 'etc/portcullis/portcullis.yaml');
    mkdirSync(dirname(configFile), { recursive: true });
    writeFileSync(configFile, [
      'listeners: [{ name: public, host: 127.0.0.1, port: ' + publicPort + ' }]',
      'admin: { host: 127.0.0.1, port: 0 }',
      'probes: { enabled: true, host: 127.0.0.1, port: ' + probePort + ' }',
      `store: { driver: sqlite, path: ${join(dataDir, 'portcullis.db')} }`,
      'apiKeys: { pepper: "${env:PORTCULLIS_KEY_PEPPER}" }',
      'upstreams: { backend: { targets: ["http://127.0.0.1:9"] } }',
      'routes: [{ name: all, methods: [GET], path: "/*", upstream: backend }]',
    ].join('\n'));
    const before = listFiles(state.root, ['var/lib/portcullis']);

    const mapPath = (arg: string) => (arg.startsWith('/app/') || arg.startsWith('/etc/portcullis/') ? join(state.root, arg) : arg);
    const command = [...exec('ENTRYPOINT'), ...exec('CMD')].map(mapPath);
    const asUser = root ? ['setpriv', `--reuid=${NOBODY}`, `--regid=${NOBODY}`, '--clear-groups', '--'] : [];
    const env = { PATH: process.env.PATH ?? '/usr/bin:/bin', ...state.env, HOME: dataDir, TMPDIR: tmpdir(), PORTCULLIS_KEY_PEPPER: 'docker-steps-pepper-0123456789abcdefghij' };
    log(`starting ${root ? `as uid ${NOBODY} ` : '(not root: as this user) '}${command.join(' ')}`);
    const [program, ...args] = [...asUser, ...command];
    const child = spawn(program!, args, { env, stdio: ['ignore', 'pipe', 'pipe'] });
    gateway = child;
    let output = '';
    child.stdout!.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString()));
    let exited: number | null | undefined;
    child.on('exit', (code) => (exited = code));

    const healthcheck = exec('HEALTHCHECK').map((arg) => arg.replace(/127\.0\.0\.1:\d+/, `127.0.0.1:${probePort}`));
    let healthy = false;
    const deadline = Date.now() + 60_000;
    while (!healthy && exited === undefined && Date.now() < deadline) {
      const [bin, ...rest] = [...asUser, ...healthcheck];
      healthy = spawnSync(bin!, rest, { env, timeout: 5_000 }).status === 0;
      if (!healthy) await new Promise((resolve) => setTimeout(resolve, 500));
    }
    if (!healthy) throw new Error(`the HEALTHCHECK never passed (gateway ${exited === undefined ? 'running' : `exited ${exited}`}):\n${output}`);
    log('HEALTHCHECK passed');
    if (root) {
      const written = spawnSync('setpriv', [`--reuid=${NOBODY}`, `--regid=${NOBODY}`, '--clear-groups', '--', 'sh', '-c', `touch ${join(state.root, 'app/dist/src/cli/main.js')} 2>/dev/null`]);
      if (written.status === 0) throw new Error('the gateway user can write its own code');
      log('the gateway user cannot write its code');
    }
    child.kill('SIGTERM');
    await waitFor(() => exited !== undefined, 'the gateway to stop on SIGTERM', 30_000);
    if (exited !== 0) throw new Error(`the gateway exited ${exited} on SIGTERM:\n${output}`);
    const after = listFiles(state.root, ['var/lib/portcullis']);
    const added = after.filter((file) => !before.includes(file));
    if (added.length > 0) throw new Error(`the gateway wrote outside its data folder: ${added.join(', ')}`);
    if (statSync(join(dataDir, 'portcullis.db')).size === 0) throw new Error('the store was not written in the data folder');
    log('stopped with 0 on SIGTERM, having written only to its data folder');
    log('all steps passed');
  } finally {
    if (gateway && gateway.exitCode === null) gateway.kill('SIGKILL');
    rmSync(work, { recursive: true, force: true });
  }
}

function getuid(): number {
  return process.getuid?.() ?? -1;
}

main().catch((error: unknown) => {
  process.stderr.write(`docker-steps: FAILED: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exitCode = 1;
});
