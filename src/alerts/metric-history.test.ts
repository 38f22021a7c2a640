import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Gauge, Registry } from 'prom-client';
import { MetricHistory, type Sample } from './metric-history.js';

const REQUESTS = 'portcullis_requests_total';
const UP = 'portcullis_dependency_up';
const requests = (value: number, status = '5xx'): Sample => ({ name: REQUESTS, labels: { route: 'r', status }, value });
const history = () => new MetricHistory(new Set([REQUESTS, UP]), 3600);
const total = (samples: readonly Sample[]) => samples.reduce((sum, sample) => sum + sample.value, 0);
const s = (seconds: number) => seconds * 1000;

test('sums the increases of every worker, each counted on its own series', () => {
  const h = history();
  h.addSources(s(0), [{ source: 'w1', samples: [requests(100)] }, { source: 'w2', samples: [requests(50)] }]);
  h.addSources(s(15), [{ source: 'w1', samples: [requests(103)] }, { source: 'w2', samples: [requests(57)] }]);
  assert.equal(total(h.increase(REQUESTS, 60, s(15))), 10);
});

test('a worker whose counters drop (reset) counts its new value as growth: the drop neither fires nor hides the increase', () => {
  const h = history();
  h.addSources(s(0), [{ source: 'w1', samples: [requests(100)] }, { source: 'w2', samples: [requests(50)] }]);
  // w2 reset (summed, 150 → 110 would read as a decrease, or as 110 new requests).
  h.addSources(s(15), [{ source: 'w1', samples: [requests(100)] }, { source: 'w2', samples: [requests(10)] }]);
  assert.equal(total(h.increase(REQUESTS, 60, s(15))), 10);
  h.addSources(s(30), [{ source: 'w1', samples: [requests(100)] }, { source: 'w2', samples: [requests(12)] }]);
  assert.equal(total(h.increase(REQUESTS, 60, s(30))), 12, 'each step is read on its own: 10 after the reset, 2 since');
});

test('a reset between two readings of the window is counted step by step, like Prometheus increase()', () => {
  const h = history();
  h.add(s(0), [requests(40)]);
  h.add(s(15), [requests(60)]);
  h.add(s(30), [requests(5)]);
  h.add(s(45), [requests(70)]);
  // 20, then a reset to 5, then 65: 90 (from the first and last values alone it would read 30).
  assert.equal(total(h.increase(REQUESTS, 60, s(45))), 90);
});

test('a series absent from the reading before counts from 0', () => {
  const h = history();
  h.add(s(0), []);
  h.add(s(15), [requests(7)]);
  assert.equal(total(h.increase(REQUESTS, 60, s(15))), 7);
});

test('a worker that appears (a new process) counts from 0; one that leaves keeps the growth it had', () => {
  const h = history();
  h.addSources(s(0), [{ source: 'w1', samples: [requests(5)] }]);
  h.addSources(s(15), [{ source: 'w1', samples: [requests(8)] }, { source: 'w3', samples: [requests(4)] }]);
  h.addSources(s(30), [{ source: 'w3', samples: [requests(6)] }]);
  assert.equal(total(h.increase(REQUESTS, 60, s(30))), 3 + 4 + 2);
});

test('a worker that did not answer keeps its values; one silent since before its first answer gets that answer as its baseline', () => {
  const h = history();
  h.addSources(s(0), [{ source: 'w1', samples: [requests(5)] }], ['w2']);
  h.addSources(s(15), [], ['w1', 'w2']);
  assert.deepEqual(h.latest(REQUESTS).map((sample) => sample.value), [5], 'w1 carried');
  h.addSources(s(30), [{ source: 'w1', samples: [requests(9)] }, { source: 'w2', samples: [requests(1000)] }]);
  // w2's 1000 may be counts from before this history began: not an increase.
  assert.equal(total(h.increase(REQUESTS, 60, s(30))), 4);
});

test('with one reading there is no increase; the baseline reading makes the first window count', () => {
  const h = history();
  h.add(s(0), [requests(3)]);
  assert.deepEqual(h.increase(REQUESTS, 60, s(0)), []);
  h.add(s(15), [requests(9)]);
  assert.equal(total(h.increase(REQUESTS, 60, s(15))), 6);
});

test('a gauge of several workers is combined by its aggregator (min: down in one worker is down)', async () => {
  const h = history();
  const worker = async (value: number) => {
    const registry = new Registry();
    new Gauge({ name: UP, help: 'up', labelNames: ['dependency'], aggregator: 'min', registers: [registry] }).set({ dependency: 'store' }, value);
    return registry.getMetricsAsJSON();
  };
  const [w1, w2] = [await worker(1), await worker(0)];
  await h.capture(async () => ({ sources: [{ source: 'w1', metrics: w1 }, { source: 'w2', metrics: w2 }] }), s(0));
  assert.deepEqual(h.latest(UP).map((sample) => sample.value), [0]);
});
