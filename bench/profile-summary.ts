/**
 * Where a gateway's CPU time goes under load: summarizes a V8 `.cpuprofile` (from
 * `node --cpu-prof`) by self time per function, and per file, skipping start-up (everything
 * before the first request plus `--skip` seconds) and reporting idle time apart.
 *
 *   taskset -c 1 node --cpu-prof --cpu-prof-dir=/tmp/prof dist/src/cli/main.js start --config c.json
 *   (load it with wrk pinned to the other core, then stop it with SIGTERM: the profile is written on exit)
 *   node dist/bench/profile-summary.js /tmp/prof/CPU.*.cpuprofile [--top 40] [--skip 2] [--callers writev]
 *
 * --callers NAME prints the call chains (innermost first) that lead to a function named NAME.
 */
import { readFileSync } from 'node:fs';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}

interface CpuProfile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

function option(name: string, fallback: string): string {
  const at = process.argv.indexOf(name);
  return at === -1 ? fallback : process.argv[at + 1]!;
}

const file = process.argv[2];
if (!file || file.startsWith('--')) {
  console.error('usage: profile-summary <file.cpuprofile> [--top N] [--skip seconds] [--callers name] [--first-request functionName]');
  process.exit(2);
}
const top = Number(option('--top', '40'));
const skipMicros = Number(option('--skip', '2')) * 1e6;
const callersOf = option('--callers', '');
/** A function every request runs: samples count from its first appearance (plus --skip). */
const firstRequest = option('--first-request', 'handleRequest');

const profile = JSON.parse(readFileSync(file, 'utf8')) as CpuProfile;
const nodes = new Map(profile.nodes.map((node) => [node.id, node]));
const parent = new Map<number, number>();
for (const node of profile.nodes) for (const child of node.children ?? []) parent.set(child, node.id);

const name = (node: ProfileNode) => {
  const { functionName, url, lineNumber } = node.callFrame;
  return `${functionName || '(anonymous)'} ${url ? url.split('/').at(-1) : ''}:${lineNumber + 1}`;
};
const fileOf = (node: ProfileNode) => {
  const url = node.callFrame.url;
  if (url === '') return node.callFrame.functionName;
  if (url.startsWith('node:')) return 'node internals';
  const pkg = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url);
  return pkg ? `${pkg[1]} (dependency)` : url.split('/').at(-1)!;
};
const inStack = (id: number, functionName: string) => {
  for (let at: number | undefined = id; at !== undefined; at = parent.get(at)) if (nodes.get(at)!.callFrame.functionName === functionName) return true;
  return false;
};

const timeByNode = new Map<number, number>();
let clock = 0;
let from: number | undefined;
profile.samples.forEach((id, index) => {
  clock += profile.timeDeltas[index]!;
  if (from === undefined && inStack(id, firstRequest)) from = clock + skipMicros;
  if (from !== undefined && clock >= from) timeByNode.set(id, (timeByNode.get(id) ?? 0) + profile.timeDeltas[index]!);
});
if (from === undefined) {
  console.error(`no sample ran ${firstRequest}: was the server loaded while profiled?`);
  process.exit(1);
}

let idle = 0;
let total = 0;
const bySelf = new Map<string, number>();
const byFile = new Map<string, number>();
const chains = new Map<string, number>();
for (const [id, micros] of timeByNode) {
  const node = nodes.get(id)!;
  total += micros;
  if (node.callFrame.functionName === '(idle)') {
    idle += micros;
    continue;
  }
  bySelf.set(name(node), (bySelf.get(name(node)) ?? 0) + micros);
  byFile.set(fileOf(node), (byFile.get(fileOf(node)) ?? 0) + micros);
  if (callersOf !== '' && node.callFrame.functionName === callersOf) {
    const chain: string[] = [];
    for (let at = parent.get(id); at !== undefined && chain.length < 8; at = parent.get(at)) chain.push(name(nodes.get(at)!));
    chains.set(chain.join(' < '), (chains.get(chain.join(' < ')) ?? 0) + micros);
  }
}
const busy = total - idle;
const percent = (micros: number) => `${((micros / busy) * 100).toFixed(2).padStart(6)}%`;
const ranked = (map: Map<string, number>, count: number) => [...map].sort((a, b) => b[1] - a[1]).slice(0, count);

console.log(`${(total / 1e6).toFixed(2)} s profiled after start-up, ${((idle / total) * 100).toFixed(1)}% idle; shares below are of the ${(busy / 1e6).toFixed(2)} s busy`);
console.log('\nself time by function');
for (const [label, micros] of ranked(bySelf, top)) console.log(`${percent(micros)}  ${label}`);
console.log('\nself time by file (dependencies and node internals grouped)');
for (const [label, micros] of ranked(byFile, Math.min(top, 25))) console.log(`${percent(micros)}  ${label}`);
if (callersOf !== '') {
  console.log(`\ncallers of ${callersOf}`);
  for (const [chain, micros] of ranked(chains, 12)) console.log(`${percent(micros)}  ${chain}`);
}
