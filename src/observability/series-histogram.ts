/**
 * A Prometheus histogram for the request path, registered in a prom-client Registry beside
 * prom-client's own metrics. Why not prom-client's Histogram: its observe() re-hashes the label
 * set, validates it and looks buckets up by number-keyed properties (a float-to-string conversion
 * per bucket) on every call, which a CPU profile put at ~3% of a bare proxied request. Here a
 * caller takes a series once (series()) and observe() is a bucket scan and three additions.
 * What get() returns has the shape of prom-client's Histogram.get(), so /metrics text and the
 * AggregatorRegistry sums under --workers (server/cluster-primary.ts) are the same as before.
 */
import type { Metric, Registry } from 'prom-client';

/** One line of the exposition, as prom-client's metrics' get() gives it. */
interface ExposedValue { readonly value: number; readonly metricName: string; readonly labels: Readonly<Record<string, string | number>> }

/** One label set's counts; `observe` is the hot-path call. */
export interface HistogramSeries {
  /** Adds one observation, in the histogram's unit (seconds here); non-finite values are ignored. */
  observe(value: number): void;
}

class Series implements HistogramSeries {
  /** Observations per bucket, not cumulative: counts[i] for bounds[i-1] < v <= bounds[i], the last for +Inf. */
  readonly counts: number[];
  sum = 0;
  count = 0;
  constructor(readonly labels: Readonly<Record<string, string>>, private readonly bounds: readonly number[]) {
    this.counts = new Array<number>(bounds.length + 1).fill(0);
  }

  observe(value: number): void {
    // prom-client throws on a non-finite value; the request path must not, and none is produced there.
    if (!Number.isFinite(value)) return;
    const { bounds } = this;
    let i = 0;
    while (i < bounds.length && value > bounds[i]!) i += 1;
    this.counts[i]! += 1;
    this.sum += value;
    this.count += 1;
  }
}

export class SeriesHistogram<L extends string> {
  readonly type = 'histogram';
  readonly aggregator = 'sum';
  readonly #bounds: readonly number[];
  /** Keyed by the label values joined with NUL (label values here are route names, methods, classes). */
  readonly #series = new Map<string, Series>();

  /**
   * @param options.buckets upper bounds in ascending order (+Inf is implied)
   * @param options.registers registries to expose it in (under `name`, which must be free there)
   */
  constructor(readonly options: { readonly name: string; readonly help: string; readonly labelNames: readonly L[]; readonly buckets: readonly number[]; readonly registers: readonly Registry[] }) {
    this.#bounds = [...options.buckets];
    // The registry types want a prom-client Metric; it reads only name, get() and (when present) collect.
    for (const registry of options.registers) registry.registerMetric(this as unknown as Metric<string>);
  }

  get name(): string { return this.options.name; }
  get help(): string { return this.options.help; }

  /**
   * The series of one label set (every label of labelNames), created at first use; keep it and
   * observe on it. It is exposed from its first observation on, not from its creation.
   */
  series(labels: Readonly<Record<L, string>>): HistogramSeries {
    const key = this.options.labelNames.map((name) => labels[name]).join('\u0000');
    let series = this.#series.get(key);
    if (series === undefined) {
      const copy: Record<string, string> = {};
      for (const name of this.options.labelNames) copy[name] = labels[name];
      series = new Series(copy, this.#bounds);
      this.#series.set(key, series);
    }
    return series;
  }

  /** Zeroes every series in place (Registry.resetMetrics calls it): series handed out stay live. */
  reset(): void {
    for (const series of this.#series.values()) {
      series.counts.fill(0);
      series.sum = 0;
      series.count = 0;
    }
  }

  /** The exposition, shaped as prom-client's Histogram.get(): cumulative `_bucket` values with `le`, then `_sum`, `_count`. */
  async get(): Promise<{ name: string; help: string; type: 'histogram'; aggregator: 'sum'; values: ExposedValue[] }> {
    const { name } = this.options;
    const values: ExposedValue[] = [];
    for (const series of this.#series.values()) {
      // As in prom-client, a label set appears once observed (and no longer after a reset).
      if (series.count === 0) continue;
      let cumulative = 0;
      for (let i = 0; i <= this.#bounds.length; i += 1) {
        cumulative += series.counts[i]!;
        values.push({ value: cumulative, metricName: `${name}_bucket`, labels: { le: i < this.#bounds.length ? this.#bounds[i]! : '+Inf', ...series.labels } });
      }
      values.push({ value: series.sum, metricName: `${name}_sum`, labels: { ...series.labels } });
      values.push({ value: series.count, metricName: `${name}_count`, labels: { ...series.labels } });
    }
    return { name, help: this.options.help, type: 'histogram', aggregator: 'sum', values };
  }
}
