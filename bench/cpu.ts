/**
 * Where the benchmark's processes run. On a small machine the load generator competes with the
 * server it measures and ratios swing with the scheduler, so when `taskset` (util-linux) is there
 * and the machine has at least 2 cores: the load side (wrk, the upstream, stunnel, this process)
 * gets core 0 and the measured servers (gateways, the reference proxy) the other cores.
 * BENCH_PIN=0 turns pinning off; without taskset it is off and the output says so.
 */
import { spawnSync } from 'node:child_process';
import { availableParallelism } from 'node:os';

export type CpuRole = 'load' | 'server' | 'none';

/** Cores this process may use, read before it pins itself to the load core. */
export const cores = availableParallelism();
const hasTaskset = spawnSync('taskset', ['--version'], { stdio: 'ignore' }).status === 0;
const wanted = process.env.BENCH_PIN !== '0';

/** True when processes are pinned by role. */
export const pinningEnabled = wanted && hasTaskset && cores >= 2;

const CPUS: Record<Exclude<CpuRole, 'none'>, string> = { load: '0', server: cores > 2 ? `1-${cores - 1}` : '1' };

/** One line for the output: what runs where, or why nothing is pinned. */
export function describePinning(): string {
  if (pinningEnabled) return `pinned with taskset: load (wrk, upstream, stunnel, the bench itself) on core ${CPUS.load}; measured server on core(s) ${CPUS.server}; Redis (a system service) not pinned`;
  if (!wanted) return 'no CPU pinning (BENCH_PIN=0): load generator and servers share every core';
  if (!hasTaskset) return 'no CPU pinning: taskset is missing (apt-get install util-linux); load generator and servers share every core';
  return `no CPU pinning: ${cores} core(s); load generator and servers share it`;
}

/** The command and arguments that run `command` pinned to the cores of `role` (unchanged when not pinning). */
export function pinnedCommand(role: CpuRole, command: string, args: readonly string[]): [string, string[]] {
  if (!pinningEnabled || role === 'none') return [command, [...args]];
  return ['taskset', ['-c', CPUS[role], command, ...args]];
}

/** Moves a running process (and all its threads) to the cores of `role`. */
export function pinPid(role: CpuRole, pid: number | undefined): void {
  if (!pinningEnabled || role === 'none' || pid === undefined) return;
  spawnSync('taskset', ['-a', '-cp', CPUS[role], String(pid)], { stdio: 'ignore' });
}
