/**
 * The gateway's own metrics, read on the evaluation timer and kept for the longest rule window:
 * rules ask "how much did this counter grow over the last N seconds" or "what does this gauge say
 * now", so the request path counts nothing extra for alerting. Only the metric names some rule
 * reads are kept.
 *
 * The values come from one or more *sources*: the process itself, or under `--workers N` every
 * worker process (server/cluster-metrics-source.ts). A sum across workers cannot tell a restarted
 * worker (its counters back at 0) from no traffic, so each source's series is compared with that
 * source's previous reading, when the reading is taken: growth is `value − previous`, a drop is a
 * reset (the new value is all growth, from 0), a series or source absent from the reading before
 * (a new process, a first request) counts from 0. A source asked but silent keeps its last values;
 * one silent since the first reading has no baseline, so its first answer becomes one. The very
 * first reading is the baseline of everything in it.
 *
 * Unlike Prometheus' `increase()` this is exact growth between readings, not extrapolated to the
 * window's edges, and a series that appears counts its first value (Prometheus needs two samples).
 *
 * What is kept: the last raw value per (source, series), and per reading one number per series,
 * its running total of growth summed over the sources. An increase over a window is then the
 * newest total minus the total at the window's start, one subtraction per series, however many
 * readings the window spans.
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

/** One series (a metric name and label set), interned: every reading of it shares this object. */
interface Series {
  readonly name: string;
  readonly labels: Readonly<Record<string, string>>;
  /** Its slot in the running totals (reused after the series is pruned). */
  readonly id: number;
  /** The newest reading in which some source had it. */
  seenSeq: number;
  /** The newest reading in which its growth was counted (a source with a baseline had it). */
  countedSeq: number;
}

interface Snapshot {
  readonly at: number;
  /** Sequence number of the reading: the `seenSeq`/`countedSeq` it compares with (clock-independent). */
  readonly seq: number;
  /** Per series id, its running total of growth at this reading; ids past the end were not yet in use (0). */
  readonly totals: Float64Array;
}

const seriesKey = (name: string, labels: Readonly<Record<string, string>>): string =>
  `${name}{${Object.keys(labels)
    .sort()
    .map((key) => `${key}=${JSON.stringify(labels[key])}`)
    .join(',')}}`;

export class MetricHistory {
  readonly #snapshots: Snapshot[] = [];
  readonly #aggregators = new Map<string, Aggregator>();
  /** Every series kept, by its key, and by metric name (what `increase()` and `latest()` walk). */
  readonly #series = new Map<string, Series>();
  readonly #byName = new Map<string, Set<Series>>();
  /** Ids of pruned series, for the next new series. */
  readonly #freeIds: number[] = [];
  #nextId = 0;
  /** The running total of growth per series id, summed over the sources. */
  #totals = new Float64Array(256);
  /** Per source of the newest reading (answered or kept while silent), its series' last raw values. */
  #raw = new Map<string, Map<Series, number>>();
  /** Sources asked that never answered yet: no baseline for them. */
  #unknown = new Set<string>();
  #seq = 0;

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

  /**
   * Adds one snapshot of several sources taken at `at` (ms): counts each series' growth since its
   * source's previous reading into the running totals; drops snapshots older than the retention,
   * and the series no kept snapshot has seen.
   */
  addSources(at: number, sources: ReadonlyArray<{ readonly source: string; readonly samples: readonly Sample[] }>, unanswered: readonly string[] = []): void {
    const seq = ++this.#seq;
    const baseline = this.#snapshots.length === 0;
    const raw = new Map<string, Map<Series, number>>();
    const unknown = new Set<string>();
    for (const { source, samples } of sources) {
      const before = this.#raw.get(source);
      // A source without a baseline (the first reading, or asked and silent until now) counts nothing this time.
      const counted = !baseline && !this.#unknown.has(source);
      const now = new Map<Series, number>();
      for (const sample of samples) {
        const series = this.#intern(sample);
        now.set(series, sample.value);
        series.seenSeq = seq;
        if (!counted) continue;
        const was = before?.get(series) ?? 0;
        this.#totals[series.id] += sample.value >= was ? sample.value - was : sample.value;
        series.countedSeq = seq;
      }
      raw.set(source, now);
    }
    for (const source of unanswered) {
      if (raw.has(source)) continue;
      const last = this.#raw.get(source);
      if (!last) {
        unknown.add(source);
        continue;
      }
      // Silent: its last values stand (no growth), and its series are still there.
      raw.set(source, last);
      for (const series of last.keys()) series.seenSeq = series.countedSeq = seq;
    }
    this.#raw = raw;
    this.#unknown = unknown;
    this.#snapshots.push({ at, seq, totals: this.#totals.slice(0, this.#nextId) });
    // Keep one snapshot at or before the retention edge, so a full window always has a baseline.
    while (this.#snapshots.length > 2 && this.#snapshots[1]!.at <= at - this.retainSeconds * 1000) this.#snapshots.shift();
    this.#prune();
  }

  /** The newest value of every series of `name` (a gauge now), the sources' values combined by the family's aggregator. */
  latest(name: string): Sample[] {
    const aggregator = this.#aggregators.get(name) ?? 'sum';
    const out: Sample[] = [];
    for (const series of this.#byName.get(name) ?? []) {
      const values: number[] = [];
      for (const last of this.#raw.values()) {
        const value = last.get(series);
        if (value !== undefined) values.push(value);
      }
      if (values.length > 0) out.push({ name, labels: series.labels, value: combine(aggregator, values) });
    }
    return out;
  }

  /**
   * How much each series of the counter `name` grew over the last `windowSeconds` before `now`,
   * summed over the sources: from the newest snapshot at or before the window's start (the oldest
   * kept when the history is shorter) to the newest, counted reading by reading as the module
   * header says (a drop is a reset, the new value growth from 0; a series or source absent from
   * the reading before counts from 0; a source without a baseline in the reading before counts
   * nothing). Series counted in none of the window's readings are left out.
   */
  increase(name: string, windowSeconds: number, now: number): Sample[] {
    if (this.#snapshots.length < 2) return [];
    const start = now - windowSeconds * 1000;
    let first = 0;
    this.#snapshots.forEach((snapshot, index) => {
      if (snapshot.at <= start) first = index;
    });
    if (first === this.#snapshots.length - 1) return [];
    const base = this.#snapshots[first]!;
    const last = this.#snapshots.at(-1)!;
    const out: Sample[] = [];
    for (const series of this.#byName.get(name) ?? []) {
      if (series.countedSeq <= base.seq) continue;
      out.push({ name, labels: series.labels, value: last.totals[series.id]! - (base.totals[series.id] ?? 0) });
    }
    return out;
  }

  /** How far back the history reaches, in seconds before `now` (0 with fewer than two snapshots). */
  spanSeconds(now: number): number {
    return this.#snapshots.length < 2 ? 0 : (now - this.#snapshots[0]!.at) / 1000;
  }

  /** How many series are kept (each snapshot holds one number per series id in use). For tests. */
  get seriesCount(): number {
    return this.#series.size;
  }

  /** How many numbers the newest snapshot holds (ids in use, pruned ones waiting for reuse included). For tests. */
  get snapshotWidth(): number {
    return this.#snapshots.at(-1)?.totals.length ?? 0;
  }

  #intern(sample: Sample): Series {
    const key = seriesKey(sample.name, sample.labels);
    let series = this.#series.get(key);
    if (series) return series;
    const id = this.#freeIds.pop() ?? this.#nextId++;
    if (id >= this.#totals.length) {
      const grown = new Float64Array(this.#totals.length * 2);
      grown.set(this.#totals);
      this.#totals = grown;
    }
    series = { name: sample.name, labels: sample.labels, id, seenSeq: 0, countedSeq: 0 };
    this.#series.set(key, series);
    let named = this.#byName.get(sample.name);
    if (!named) this.#byName.set(sample.name, (named = new Set()));
    named.add(series);
    return series;
  }

  /**
   * Forgets the series no kept snapshot has seen: no window can reach a reading where they grew.
   * Their total stays the same in every kept snapshot, so a new series that takes the id carries
   * on from it and every window's difference is still its own growth.
   */
  #prune(): void {
    const oldest = this.#snapshots[0]!.seq;
    for (const [key, series] of this.#series) {
      if (series.seenSeq >= oldest) continue;
      this.#series.delete(key);
      const named = this.#byName.get(series.name)!;
      named.delete(series);
      if (named.size === 0) this.#byName.delete(series.name);
      this.#freeIds.push(series.id);
    }
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
