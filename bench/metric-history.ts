/**
 * `npm run bench:metric-history`: what the alert engine's metric history costs under `--workers`.
 * The history (src/alerts/metric-history.ts) is filled as the engine fills it: one reading every
 * BENCH_INTERVAL_SECONDS (15) for the engine's retention (7200 s), from BENCH_SOURCES (4) workers of
 * BENCH_SERIES (4500) series each (a requests counter and a latency histogram's buckets), one
 * worker restarting half-way. Printed: the memory the history holds (JS heap and typed arrays), the time of one reading added,
 * and the time of one `increase()` over the slow window (3600 s: 240 steps), the median of
 * BENCH_ROUNDS (20). Run with `node --expose-gc` so the heap is measured after a full collection.
 */
import { MetricHistory, type Sample } from '../src/alerts/metric-history.js';

const sources = Number(process.env.BENCH_SOURCES ?? 4);
const seriesPerSource = Number(process.env.BENCH_SERIES ?? 4500);
const intervalSeconds = Number(process.env.BENCH_INTERVAL_SECONDS ?? 15);
const rounds = Number(process.env.BENCH_ROUNDS ?? 20);
const RETAIN_SECONDS = 7200;
const WINDOW_SECONDS = 3600;
const REQUESTS = 'portcullis_requests_total';
const BUCKETS = 'portcullis_request_duration_seconds_bucket';
const LE = ['0.005', '0.01', '0.025', '0.05', '0.1', '0.25', '0.5', '1', '2.5', '5', '10', '+Inf'];

/** One worker's series: per route, its requests by status and its duration buckets. */
function shape(): Array<{ name: string; labels: Record<string, string> }> {
  const out: Array<{ name: string; labels: Record<string, string> }> = [];
  for (let route = 0; out.length < seriesPerSource; route++) {
    for (const status of ['2xx', '4xx', '5xx']) out.push({ name: REQUESTS, labels: { route: `route-${route}`, method: 'GET', status } });
    for (const le of LE) out.push({ name: BUCKETS, labels: { route: `route-${route}`, method: 'GET', le } });
  }
  return out.slice(0, seriesPerSource);
}

const collect = (): number => {
  globalThis.gc?.();
  // Typed arrays' contents live outside the JS heap: count both.
  const { heapUsed, arrayBuffers } = process.memoryUsage();
  return heapUsed + arrayBuffers;
};
const median = (values: number[]): number => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;

function main(): void {
  if (!globalThis.gc) console.log('(no --expose-gc: heap figures include garbage)');
  const series = shape();
  const values = Array.from({ length: sources }, () => new Float64Array(series.length));
  const heapBefore = collect();
  const history = new MetricHistory(new Set([REQUESTS, BUCKETS.replace(/_bucket$/, '')]), RETAIN_SECONDS);
  const readings = RETAIN_SECONDS / intervalSeconds + 1;
  const addMs: number[] = [];
  for (let step = 0; step < readings; step++) {
    const reading = values.map((counts, source) => {
      // Worker 2 restarts half-way: its counters are back at 0.
      if (source === 1 && step === Math.floor(readings / 2)) counts.fill(0);
      const samples: Sample[] = series.map(({ name, labels }, index) => ({ name, labels: { ...labels }, value: (counts[index]! += index % 7) }));
      return { source: `pid:${1000 + source}`, samples };
    });
    const started = performance.now();
    history.addSources(step * intervalSeconds * 1000, reading);
    addMs.push(performance.now() - started);
  }
  const heapAfter = collect();
  const now = (readings - 1) * intervalSeconds * 1000;
  const increaseMs: number[] = [];
  let checksum = 0;
  for (let round = 0; round < rounds; round++) {
    const started = performance.now();
    checksum += history.increase(BUCKETS, WINDOW_SECONDS, now).length;
    increaseMs.push(performance.now() - started);
  }
  console.log(`${sources} sources × ${series.length} series, ${readings} readings every ${intervalSeconds} s (checksum ${checksum})`);
  console.log(`memory held by the history: ${((heapAfter - heapBefore) / 2 ** 20).toFixed(1)} MiB`);
  console.log(`one reading added:        median ${median(addMs).toFixed(2)} ms`);
  console.log(`one increase() (${WINDOW_SECONDS / intervalSeconds} steps): median ${median(increaseMs).toFixed(2)} ms over ${rounds} rounds`);
}

main();
