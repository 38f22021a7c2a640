import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Registry } from 'prom-client';
import type { AlertSignal } from '../alerts/signals.js';
import { LogEventTap } from '../observability/log-tap.js';
import { AlertSignalBatcher, BATCH_SIZE, MAX_QUEUED } from './alert-signal-batcher.js';
import { ClusterAlertRelay } from './cluster-alert-relay.js';
import type { ToWorker } from './cluster-messages.js';

const sample = (i: number): AlertSignal => ({ type: 'sample', route: 'r', kind: 'server_error', requestId: `id-${i}` });
const dropped = async (counter: AlertSignalBatcher['dropped'], reason: string) => (await counter.get()).values.find((value) => value.labels.reason === reason)?.value ?? 0;

async function until(condition: () => boolean): Promise<void> {
  const deadline = Date.now() + 5000;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('timed out');
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

test('signals go in batches, one in flight at a time; past MAX_QUEUED waiting they are dropped and counted', async () => {
  const sent: Array<{ batch: AlertSignal[]; done: (failed: boolean) => void }> = [];
  const batcher = new AlertSignalBatcher((batch, done) => (sent.push({ batch, done }), true));
  batcher.push(sample(0));
  await until(() => sent.length === 1);
  // The first batch is still in flight: the rest waits, bounded.
  for (let i = 1; i <= MAX_QUEUED + 5; i++) batcher.push(sample(i));
  assert.equal(await dropped(batcher.dropped, 'queue_full'), 5);
  assert.equal(sent.length, 1, 'one message in flight at a time');
  sent[0]!.done(false);
  await until(() => sent.length === 2);
  assert.equal(sent[1]!.batch.length, BATCH_SIZE);
  assert.equal(sent[1]!.batch[0]!.type === 'sample' && sent[1]!.batch[0]!.requestId, 'id-1', 'in order');
  sent[1]!.done(true);
  await until(() => sent.length === 3);
  assert.equal(await dropped(batcher.dropped, 'send_failed'), BATCH_SIZE, 'a batch the channel did not take is counted');
});

test('a batch that cannot be sent at all is counted as dropped, and the next is tried', async () => {
  let calls = 0;
  const batcher = new AlertSignalBatcher(() => (calls++, false));
  batcher.push(sample(1));
  await until(() => calls === 1);
  batcher.push(sample(2));
  await until(() => calls === 2);
  assert.equal(await dropped(batcher.dropped, 'send_failed'), 2);
});

test('the primary relays signals and its own watched events (fields kept only) to the lead; without a lead they are dropped and counted', async () => {
  const registry = new Registry();
  const tap = new LogEventTap();
  const toLead: ToWorker[] = [];
  let lead = false;
  const relay = new ClusterAlertRelay(registry, () => (lead ? (message) => toLead.push(message) : undefined), tap);
  relay.relay([sample(1), sample(2)]);
  assert.match(await registry.metrics(), /portcullis_alert_signals_dropped_total\{reason="no_lead"\} 2/);
  lead = true;
  tap.emit({ event: 'cluster.reload_failed', workers: 2, failures: [{ slot: 2, errors: ['secret detail'] }] });
  tap.emit({ event: 'cluster.worker_started', slot: 1 });
  assert.deepEqual(toLead, [{ kind: 'portcullis.cluster.alert_signals', signals: [{ type: 'event', event: 'cluster.reload_failed', fields: {} }] }]);
  relay.close();
  tap.emit({ event: 'cluster.reload_failed' });
  assert.equal(toLead.length, 1, 'closed: no more relayed');
});
