/**
 * What `npm run bench` prints and writes: per row and method the median requests/s of the
 * rounds, their spread (min–max), median p50 and p99 latency, and the ratios to the row's
 * baseline measured in the same run; then the targets as met / NOT met lines.
 */
import { writeFileSync } from 'node:fs';
import type { WrkRun } from './wrk.js';

export type Method = 'GET' | 'POST';

/** One row and method: its runs, one per round (a failed run has `failure` set). */
export interface Case {
  rowId: string;
  label: string;
  method: Method;
  /** rowId of the case's baseline (same method). */
  baseline: string;
  runs: WrkRun[];
  /** A run that could not happen at all (wrk failed, the row did not start). */
  errors: string[];
}

export interface Summary {
  rowId: string;
  label: string;
  method: Method;
  baseline: string;
  rps: number;
  rpsMin: number;
  rpsMax: number;
  p50Ms: number;
  p99Ms: number;
  /** Median req/s ÷ the baseline's median req/s. */
  ratio: number;
  /** Median p99 ÷ the baseline's median p99. */
  p99Ratio: number;
  failures: string[];
}

export function median(values: number[]): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
}

/** Medians and ratios of every case; runs that failed are left out of the numbers and listed in `failures`. */
export function summarize(cases: Case[]): Summary[] {
  const partial = cases.map((c) => {
    const good = c.runs.filter((run) => !run.failure);
    const rps = good.map((run) => run.requestsPerSecond);
    return {
      rowId: c.rowId,
      label: c.label,
      method: c.method,
      baseline: c.baseline,
      rps: median(rps),
      rpsMin: Math.min(...rps),
      rpsMax: Math.max(...rps),
      p50Ms: median(good.map((run) => run.latencyMs.p50)),
      p99Ms: median(good.map((run) => run.latencyMs.p99)),
      failures: [...c.errors, ...c.runs.flatMap((run) => (run.failure ? [run.failure] : []))],
    };
  });
  return partial.map((s) => {
    const base = partial.find((b) => b.rowId === s.baseline && b.method === s.method);
    return { ...s, ratio: base ? s.rps / base.rps : Number.NaN, p99Ratio: base ? s.p99Ms / base.p99Ms : Number.NaN };
  });
}

const fixed = (value: number, digits: number, width: number) => (Number.isFinite(value) ? value.toFixed(digits) : '—').padStart(width);

/** The table, GET rows then POST rows. */
export function printTable(summaries: Summary[]): void {
  for (const method of ['GET', 'POST'] as const) {
    const rows = summaries.filter((s) => s.method === method);
    if (rows.length === 0) continue;
    console.log(`\n${method === 'GET' ? 'GET /v1/accounts/123 (199 B JSON)' : 'POST /v1/payments (94 B JSON, echoed)'}`);
    console.log(`${'row'.padEnd(42)} ${'req/s'.padStart(8)} ${'spread (min–max)'.padStart(17)} ${'p50 ms'.padStart(7)} ${'p99 ms'.padStart(7)} ${'× base'.padStart(7)} ${'p99 ×'.padStart(6)}  base`);
    for (const s of rows) {
      const spread = Number.isFinite(s.rpsMin) ? `${s.rpsMin.toFixed(0)}–${s.rpsMax.toFixed(0)}` : '—';
      const fail = s.failures.length > 0 ? `  FAILED: ${[...new Set(s.failures)].join('; ')}` : '';
      console.log(`${s.label.padEnd(42)} ${fixed(s.rps, 0, 8)} ${spread.padStart(17)} ${fixed(s.p50Ms, 2, 7)} ${fixed(s.p99Ms, 2, 7)} ${fixed(s.ratio, 2, 7)} ${fixed(s.p99Ratio, 2, 6)}  ${s.baseline}${fail}`);
    }
  }
}

export interface TargetLine {
  target: string;
  met: boolean;
  value: string;
}

/** The targets: bare ≥ 1.0× and full ≥ 0.8× the reference (GET and POST), no p99 above 2× its baseline's. */
export function targets(summaries: Summary[]): TargetLine[] {
  const lines: TargetLine[] = [];
  const find = (rowId: string, method: Method) => summaries.find((s) => s.rowId === rowId && s.method === method);
  for (const [rowId, floor] of [['bare', 1.0], ['full', 0.8]] as const) {
    for (const method of ['GET', 'POST'] as const) {
      const s = find(rowId, method);
      if (s) lines.push({ target: `${rowId} ${method} ≥ ${floor.toFixed(1)}× reference`, met: s.failures.length === 0 && s.ratio >= floor, value: `${s.ratio.toFixed(2)}×` });
    }
  }
  // The issue's p99 target is against the reference (the TLS reference for mTLS), not the workers rows' baseline.
  const measured = summaries.filter((s) => s.rowId !== s.baseline && s.baseline.endsWith('reference'));
  if (measured.length > 0) {
    const over = measured.filter((s) => !(s.p99Ratio <= 2));
    const value = over.length === 0 ? `worst ${Math.max(...measured.map((s) => s.p99Ratio)).toFixed(2)}×` : over.map((s) => `${s.rowId} ${s.method} ${s.p99Ratio.toFixed(2)}×`).join(', ');
    lines.push({ target: 'every p99 ≤ 2× the reference’s p99', met: over.length === 0, value });
  }
  return lines;
}

export function printTargets(lines: TargetLine[]): void {
  console.log('\nTargets (issue 16, ratios in this run):');
  for (const line of lines) console.log(`  ${line.met ? 'met    ' : 'NOT met'}  ${line.target}: ${line.value}`);
}

/** Writes the whole result as JSON (for pasting numbers into notes). */
export function writeJson(path: string, run: Record<string, unknown>, summaries: Summary[], lines: TargetLine[]): void {
  writeFileSync(path, `${JSON.stringify({ ...run, rows: summaries, targets: lines }, null, 2)}\n`);
  console.log(`\nresults written to ${path}`);
}
