/**
 * The gateway's own metrics, read on the evaluation timer and kept for the longest rule window:
 * rules ask "how much did this counter grow over the last N seconds" (Prometheus' `increase()`)
 * or "what does this gauge say now", so the request path counts nothing extra for alerting. Only
 * the metric names some rule reads are kept. A series missing from an older snapshot counted 0
 * then (series appear on their first increment).
 */
import type { Registry } from 'prom-client';

/** One series' value: its metric name (`_bucket`, `_count` suffixes included) and labels. */
export interface Sample {
  readonly name: string;
  readonly labels: Readonly<Record<string, string>>;
  readonly value: number;
}

interface Snapshot {
  readonly at: number;
  readonly values: ReadonlyMap<string, number>;
}

const seriesKey = (name: string, labels: Readonly<Record<string, string>>): string =>
  `${name}{${Object.keys(labels)
    .sort()
    .map((key) => `${key}=${JSON.stringify(labels[key])}`)
    .join(',')}}`;

export class MetricHistory {
  readonly #snapshots: Snapshot[] = [];
  readonly #labels = new Map<string, Sample>();

  /**
   * `metrics`: the metric families kept (their exposition names, e.g. `portcullis_requests_total`,
   * `portcullis_request_duration_seconds`); `retainSeconds`: how far back windows reach.
   */
  constructor(
    private readonly metrics: ReadonlySet<string>,
    private readonly retainSeconds: number,
  ) {}

  /** Reads the registry's current values (its collect callbacks run, as for a scrape). */
  async capture(registry: Registry, at: number): Promise<void> {
    const samples: Sample[] = [];
    for (const family of await registry.getMetricsAsJSON()) {
      if (!this.metrics.has(family.name)) continue;
      for (const value of family.values) {
        const labels = Object.fromEntries(Object.entries(value.labels).map(([key, label]) => [key, String(label)]));
        samples.push({ name: (value as { metricName?: string }).metricName ?? family.name, labels, value: value.value });
      }
    }
    this.add(at, samples);
  }

  /** Adds one snapshot taken at `at` (ms); drops those older than the retention. */
  add(at: number, samples: readonly Sample[]): void {
    const values = new Map<string, number>();
    for (const sample of samples) {
      const key = seriesKey(sample.name, sample.labels);
      values.set(key, sample.value);
      if (!this.#labels.has(key)) this.#labels.set(key, sample);
    }
    this.#snapshots.push({ at, values });
    // Keep one snapshot at or before the retention edge, so a full window always has a baseline.
    while (this.#snapshots.length > 2 && this.#snapshots[1]!.at <= at - this.retainSeconds * 1000) this.#snapshots.shift();
  }

  /** The newest value of every series of `name` (a gauge now). */
  latest(name: string): Sample[] {
    const last = this.#snapshots.at(-1);
    if (!last) return [];
    const out: Sample[] = [];
    for (const [key, value] of last.values) {
      const sample = this.#labels.get(key)!;
      if (sample.name === name) out.push({ name, labels: sample.labels, value });
    }
    return out;
  }

  /**
   * How much each series of the counter `name` grew over the last `windowSeconds` before `now`:
   * newest value minus the value in the newest snapshot at or before the window's start (the
   * oldest one kept when the history is shorter). A drop (a counter reset) counts as growth from 0.
   */
  increase(name: string, windowSeconds: number, now: number): Sample[] {
    const last = this.#snapshots.at(-1);
    if (!last || this.#snapshots.length < 2) return [];
    const start = now - windowSeconds * 1000;
    let base = this.#snapshots[0]!;
    for (const snapshot of this.#snapshots) if (snapshot.at <= start) base = snapshot;
    if (base === last) return [];
    const out: Sample[] = [];
    for (const [key, value] of last.values) {
      const sample = this.#labels.get(key)!;
      if (sample.name !== name) continue;
      const before = base.values.get(key) ?? 0;
      out.push({ name, labels: sample.labels, value: value >= before ? value - before : value });
    }
    return out;
  }

  /** How far back the history reaches, in seconds before `now` (0 with fewer than two snapshots). */
  spanSeconds(now: number): number {
    return this.#snapshots.length < 2 ? 0 : (now - this.#snapshots[0]!.at) / 1000;
  }
}

/** Sums samples by the values of `labels` (others dropped), like PromQL's `sum by (…)`. */
export function sumBy(samples: readonly Sample[], labels: readonly string[]): Map<string, { labels: Record<string, string>; value: number }> {
  const out = new Map<string, { labels: Record<string, string>; value: number }>();
  for (const sample of samples) {
    const kept = Object.fromEntries(labels.map((label) => [label, sample.labels[label] ?? '']));
    const key = JSON.stringify(kept);
    const entry = out.get(key);
    if (entry) entry.value += sample.value;
    else out.set(key, { labels: kept, value: sample.value });
  }
  return out;
}

/**
 * The q-quantile of a histogram from its cumulative `_bucket` increases (one label set), by linear
 * interpolation inside the bucket, as Prometheus' histogram_quantile() does; NaN without observations.
 */
export function histogramQuantile(q: number, buckets: ReadonlyArray<{ le: number; count: number }>): number {
  const sorted = [...buckets].sort((a, b) => a.le - b.le);
  const total = sorted.at(-1)?.count ?? 0;
  if (total === 0) return Number.NaN;
  const rank = q * total;
  let previousLe = 0;
  let previousCount = 0;
  for (const bucket of sorted) {
    if (bucket.count >= rank) {
      // In the +Inf bucket the answer is the highest finite bound (histogram_quantile's rule).
      if (!Number.isFinite(bucket.le)) return previousLe;
      return previousLe + (bucket.le - previousLe) * ((rank - previousCount) / Math.max(bucket.count - previousCount, 1e-12));
    }
    previousLe = bucket.le;
    previousCount = bucket.count;
  }
  return previousLe;
}
