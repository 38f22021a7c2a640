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

test('a full slow window (240 readings) over 3 workers sums each worker growth, across a reset and a silence', () => {
  const h = history();
  const steps = 240;
  const value = { w1: 1000, w2: 500, w3: 0 };
  h.addSources(s(0), [
    { source: 'w1', samples: [requests(value.w1)] },
    { source: 'w2', samples: [requests(value.w2)] },
    { source: 'w3', samples: [requests(value.w3)] },
  ]);
  for (let step = 1; step <= steps; step++) {
    value.w1 += 1;
    // w2 restarts at step 120: its counter reads 5, then grows again.
    value.w2 = step === 120 ? 5 : value.w2 + 2;
    value.w3 += 3;
    const silent = step >= 100 && step < 110; // w3 does not answer for 10 readings, then catches up
    h.addSources(
      s(step * 15),
      [{ source: 'w1', samples: [requests(value.w1)] }, { source: 'w2', samples: [requests(value.w2)] }, ...(silent ? [] : [{ source: 'w3', samples: [requests(value.w3)] }])],
      silent ? ['w3'] : [],
    );
  }
  // w1: 240 × 1; w2: 119 × 2 before the reset, 5 at it, 120 × 2 after; w3: 240 × 3 (the silence adds nothing, the catch-up all of it).
  assert.equal(total(h.increase(REQUESTS, 3600, s(steps * 15))), 240 + (238 + 5 + 240) + 720);
  assert.equal(total(h.increase(REQUESTS, 60, s(steps * 15))), 4 * (1 + 2 + 3));
  assert.equal(h.snapshotWidth, 1, 'one number per series in a snapshot, however many workers');
});

test('a series gone longer than the retention is forgotten; a new one takes its slot and counts only its own growth', () => {
  const h = history();
  const routes = Array.from({ length: 50 }, (_, index) => `route-${index}`);
  const reading = (step: number) => [
    ...routes.map((route) => ({ name: REQUESTS, labels: { route, status: '2xx' }, value: step })),
    ...(step < 10 ? [requests(step * 100, 'gone')] : []),
  ];
  let step = 0;
  // The 'gone' series is last seen at 135 s; the oldest snapshot kept is the newest at or before now − 3600 s.
  for (; step * 15 < 3735; step++) h.addSources(s(step * 15), [{ source: 'w1', samples: reading(step) }, { source: 'w2', samples: reading(step) }]);
  h.addSources(s(step * 15), [{ source: 'w1', samples: reading(step) }, { source: 'w2', samples: reading(step) }]);
  assert.equal(h.seriesCount, 51, 'at 3735 s the snapshot of 135 s is still kept');
  assert.equal(h.snapshotWidth, 51);
  step++;
  h.addSources(s(step * 15), [{ source: 'w1', samples: reading(step) }, { source: 'w2', samples: reading(step) }]);
  assert.equal(h.seriesCount, 50, 'absent from every kept snapshot: its labels are dropped');
  assert.equal(h.snapshotWidth, 51, 'its slot waits for the next new series');
  assert.ok(!h.latest(REQUESTS).some((sample) => sample.labels['status'] === 'gone'));

  step++;
  h.addSources(s(step * 15), [{ source: 'w1', samples: [...reading(step), requests(7, 'new')] }, { source: 'w2', samples: reading(step) }]);
  step++;
  h.addSources(s(step * 15), [{ source: 'w1', samples: [...reading(step), requests(9, 'new')] }, { source: 'w2', samples: reading(step) }]);
  assert.equal(h.seriesCount, 51);
  assert.equal(h.snapshotWidth, 51, 'the slot was reused');
  const fresh = h.increase(REQUESTS, 3600, s(step * 15)).filter((sample) => sample.labels['status'] === 'new');
  assert.deepEqual(fresh.map((sample) => sample.value), [9], 'counted from 0 at its first reading, nothing of the series before it');
});
