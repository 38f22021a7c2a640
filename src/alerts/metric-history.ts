/**
 * The gateway's own metrics, read on the evaluation timer and kept for the longest rule window:
 * rules ask "how much did this counter grow over the last N seconds" (Prometheus' `increase()`)
 * or "what does this gauge say now", so the request path counts nothing extra for alerting. Only
 * the metric names some rule reads are kept.
 *
 * The values come from one or more *sources*: the process itself, or under `--workers N` every
 * worker process (server/cluster-metrics-source.ts). Each source's series are kept apart and only
 * summed when a rule reads them, because a sum across workers cannot tell a restarted worker (its
 * counters back at 0) from no traffic: kept apart, each worker's counter is read like Prometheus'
 * `increase()` over one series, step by step, a drop counting as a reset (growth from 0), and a
 * worker that appears (a new process) counts from 0. A source asked but silent keeps its last
 * values; one silent since the first reading has no baseline, so its first answer becomes one.
 */
import type { MetricObjectWithValues, MetricValue } from 'prom-client';

/** One series' value: its metric name (`_bucket`, `_count` suffixes included) and labels. */
export interface Sample {
  readonly name: string;
  readonly labels: Readonly<Record<string, string>>;
  readonly value: number;
}

/** How a gauge's values from several sources combine (prom-client's `aggregator`). */
export type Aggregator = 'sum' | 'min' | 'max' | 'average' | 'first' | 'omit';

/** One reading of every source: each process's registry as JSON, and the sources asked that did not answer. */
export interface MetricReading {
  readonly sources: ReadonlyArray<{ readonly source: string; readonly metrics: ReadonlyArray<MetricObjectWithValues<MetricValue<string>>> }>;
  readonly unanswered?: readonly string[];
}

/** Reads the metrics a rule may need: the process's registry, or the whole cluster's. */
export type MetricSource = (names: readonly string[]) => Promise<MetricReading>;

interface Snapshot {
  readonly at: number;
  /** Per source, its series' values. */
  readonly values: ReadonlyMap<string, ReadonlyMap<string, number>>;
  /** Sources asked that never answered yet: no baseline for them in this snapshot. */
  readonly unknown: ReadonlySet<string>;
}

const seriesKey = (name: string, labels: Readonly<Record<string, string>>): string =>
  `${name}{${Object.keys(labels)
    .sort()
    .map((key) => `${key}=${JSON.stringify(labels[key])}`)
    .join(',')}}`;

export class MetricHistory {
  readonly #snapshots: Snapshot[] = [];
  readonly #labels = new Map<string, Sample>();
  readonly #aggregators = new Map<string, Aggregator>();

  /**
   * `metrics`: the metric families kept (their exposition names, e.g. `portcullis_requests_total`,
   * `portcullis_request_duration_seconds`); `retainSeconds`: how far back windows reach.
   */
  constructor(
    private readonly metrics: ReadonlySet<string>,
    private readonly retainSeconds: number,
  ) {}

  /** Reads every source (their collect callbacks run, as for a scrape) and keeps the kept families. */
  async capture(read: MetricSource, at: number): Promise<void> {
    const reading = await read([...this.metrics]);
    const sources = reading.sources.map(({ source, metrics }) => {
      const samples: Sample[] = [];
      for (const family of metrics) {
        if (!this.metrics.has(family.name)) continue;
        const aggregator = (family as { aggregator?: Aggregator }).aggregator;
        if (aggregator) this.#aggregators.set(family.name, aggregator);
        for (const value of family.values) {
          const labels = Object.fromEntries(Object.entries(value.labels).map(([key, label]) => [key, String(label)]));
          samples.push({ name: (value as { metricName?: string }).metricName ?? family.name, labels, value: value.value });
        }
      }
      return { source, samples };
    });
    this.addSources(at, sources, reading.unanswered ?? []);
  }

  /** Adds one snapshot of a single source (the process itself) taken at `at` (ms). */
  add(at: number, samples: readonly Sample[]): void {
    this.addSources(at, [{ source: 'local', samples }]);
  }

  /** Adds one snapshot of several sources taken at `at` (ms); drops those older than the retention. */
  addSources(at: number, sources: ReadonlyArray<{ readonly source: string; readonly samples: readonly Sample[] }>, unanswered: readonly string[] = []): void {
    const previous = this.#snapshots.at(-1);
    const values = new Map<string, Map<string, number>>();
    const unknown = new Set<string>();
    for (const { source, samples } of sources) {
      const series = new Map<string, number>();
      for (const sample of samples) {
        const key = seriesKey(sample.name, sample.labels);
        series.set(key, sample.value);
        if (!this.#labels.has(key)) this.#labels.set(key, sample);
      }
      values.set(source, series);
    }
    for (const source of unanswered) {
      if (values.has(source)) continue;
      const last = previous?.values.get(source);
      if (last) values.set(source, new Map(last));
      else unknown.add(source);
    }
    this.#snapshots.push({ at, values, unknown });
    // Keep one snapshot at or before the retention edge, so a full window always has a baseline.
    while (this.#snapshots.length > 2 && this.#snapshots[1]!.at <= at - this.retainSeconds * 1000) this.#snapshots.shift();
  }

  /** The newest value of every series of `name` (a gauge now), the sources' values combined by the family's aggregator. */
  latest(name: string): Sample[] {
    const last = this.#snapshots.at(-1);
    if (!last) return [];
    const bySeries = new Map<string, number[]>();
    for (const series of last.values.values()) {
      for (const [key, value] of series) {
        if (this.#labels.get(key)!.name !== name) continue;
        let list = bySeries.get(key);
        if (!list) bySeries.set(key, (list = []));
        list.push(value);
      }
    }
    const aggregator = this.#aggregators.get(name) ?? 'sum';
    return [...bySeries].map(([key, list]) => ({ name, labels: this.#labels.get(key)!.labels, value: combine(aggregator, list) }));
  }

  /**
   * How much each series of the counter `name` grew over the last `windowSeconds` before `now`,
   * summed over the sources: from the newest snapshot at or before the window's start (the oldest
   * kept when the history is shorter) to the newest, step by step as Prometheus' `increase()`: a
   * drop is a reset (the new value is growth from 0), a series or source absent from the step
   * before counts from 0, and a source without a baseline in the step before counts nothing.
   */
  increase(name: string, windowSeconds: number, now: number): Sample[] {
    if (this.#snapshots.length < 2) return [];
    const start = now - windowSeconds * 1000;
    let first = 0;
    this.#snapshots.forEach((snapshot, index) => {
      if (snapshot.at <= start) first = index;
    });
    if (first === this.#snapshots.length - 1) return [];
    const grown = new Map<string, number>();
    for (let index = first + 1; index < this.#snapshots.length; index++) {
      const before = this.#snapshots[index - 1]!;
      for (const [source, series] of this.#snapshots[index]!.values) {
        if (before.unknown.has(source)) continue;
        const then = before.values.get(source);
        for (const [key, value] of series) {
          if (this.#labels.get(key)!.name !== name) continue;
          const was = then?.get(key) ?? 0;
          grown.set(key, (grown.get(key) ?? 0) + (value >= was ? value - was : value));
        }
      }
    }
    return [...grown].map(([key, value]) => ({ name, labels: this.#labels.get(key)!.labels, value }));
  }

  /** How far back the history reaches, in seconds before `now` (0 with fewer than two snapshots). */
  spanSeconds(now: number): number {
    return this.#snapshots.length < 2 ? 0 : (now - this.#snapshots[0]!.at) / 1000;
  }
}

function combine(aggregator: Aggregator, values: readonly number[]): number {
  switch (aggregator) {
    case 'min':
      return Math.min(...values);
    case 'max':
      return Math.max(...values);
    case 'first':
    case 'omit':
      return values[0]!;
    case 'average':
      return values.reduce((a, b) => a + b, 0) / values.length;
    case 'sum':
      return values.reduce((a, b) => a + b, 0);
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
