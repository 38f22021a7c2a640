/**
 * The request-path histogram (src/observability/series-histogram.ts) against prom-client's own
 * Histogram fed the same observations: /metrics text and the cluster aggregation must not change.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { AggregatorRegistry, Histogram, Registry } from 'prom-client';
import { LATENCY_BUCKETS_SECONDS } from '../src/observability/metrics.js';
import { SeriesHistogram } from '../src/observability/series-histogram.js';

const NAME = 'portcullis_request_duration_seconds';
const LABELS = ['route', 'method', 'status'] as const;
type Labels = Record<(typeof LABELS)[number], string>;

/** Observations on bucket bounds, between them, past the last one and at zero, over three series. */
const OBSERVATIONS: ReadonlyArray<[Labels, number]> = [0, 0.005, 0.0051, 0.01, 0.3, 2.5, 9.99, 10, 11, 250].flatMap((value, i) => [
  [{ route: 'users', method: 'GET', status: '2xx' }, value],
  [{ route: i % 2 === 0 ? 'orders' : 'users', method: 'POST', status: i % 3 === 0 ? '5xx' : '2xx' }, value / 3],
]);

const both = (): { ours: SeriesHistogram<(typeof LABELS)[number]>; theirs: Histogram<(typeof LABELS)[number]>; oursRegistry: Registry; theirsRegistry: Registry } => {
  const oursRegistry = new Registry();
  const theirsRegistry = new Registry();
  const help = 'Request duration.';
  const ours = new SeriesHistogram({ name: NAME, help, labelNames: LABELS, buckets: LATENCY_BUCKETS_SECONDS, registers: [oursRegistry] });
  const theirs = new Histogram({ name: NAME, help, labelNames: LABELS, buckets: [...LATENCY_BUCKETS_SECONDS], registers: [theirsRegistry] });
  return { ours, theirs, oursRegistry, theirsRegistry };
};

describe('SeriesHistogram', () => {
  test('gives the same /metrics text as prom-client\'s Histogram for the same observations', async () => {
    const { ours, theirs, oursRegistry, theirsRegistry } = both();
    for (const [labels, value] of OBSERVATIONS) {
      ours.series(labels).observe(value);
      theirs.observe(labels, value);
    }
    assert.equal(await oursRegistry.metrics(), await theirsRegistry.metrics());
  });

  test('exposes a series only once observed, and none after a reset', async () => {
    const { ours, oursRegistry } = both();
    const series = ours.series({ route: 'users', method: 'GET', status: '2xx' });
    assert.doesNotMatch(await oursRegistry.metrics(), /route="users"/);
    series.observe(0.2);
    assert.match(await oursRegistry.metrics(), /_count\{route="users",method="GET",status="2xx"\} 1\n/);
    oursRegistry.resetMetrics();
    assert.doesNotMatch(await oursRegistry.metrics(), /route="users"/);
    series.observe(0.2);
    assert.match(await oursRegistry.metrics(), /_count\{route="users",method="GET",status="2xx"\} 1\n/);
  });

  test('sums across workers\' registries as prom-client\'s Histogram does (AggregatorRegistry)', async () => {
    const workers = [both(), both()];
    workers.forEach(({ ours, theirs }, w) => {
      for (const [labels, value] of OBSERVATIONS.slice(w * 5)) {
        ours.series(labels).observe(value);
        theirs.observe(labels, value);
      }
    });
    const aggregate = async (registries: Registry[]): Promise<string> => AggregatorRegistry.aggregate(await Promise.all(registries.map((r) => r.getMetricsAsJSON()))).metrics();
    assert.equal(await aggregate(workers.map((w) => w.oursRegistry)), await aggregate(workers.map((w) => w.theirsRegistry)));
  });
});
