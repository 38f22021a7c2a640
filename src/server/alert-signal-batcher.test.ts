import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Registry } from 'prom-client';
import type { AlertSignal } from '../alerts/signals.js';
import { ManualClock } from '../core/clock.js';
import { LogEventTap } from '../observability/log-tap.js';
import { AlertSignalBatcher, BATCH_SIZE, MAX_QUEUED, sendOver, type SignalChannel } from './alert-signal-batcher.js';
import { ClusterAlertRelay, leadChannel, MAX_TO_LEAD_IN_FLIGHT, type SendToLead } from './cluster-alert-relay.js';
import type { FromWorker, ToWorker } from './cluster-messages.js';
import { WorkerLink } from './cluster-worker.js';

/** Distinct events: none coalesces with another. */
const event = (i: number): AlertSignal => ({ type: 'event', event: 'log.lines_dropped', fields: { i: String(i) }, at: 0 });
const dropped = async (counter: AlertSignalBatcher['dropped'], reason: string) => (await counter.get()).values.find((value) => value.labels.reason === reason)?.value ?? 0;

async function until(condition: () => boolean): Promise<void> {
  const deadline = Date.now() + 5000;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('timed out');
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

const settle = () => new Promise((resolve) => setTimeout(resolve, 150));

/** A worker's IPC channel that writes nothing: each send is kept with its callback, and answers `returns`. */
function fakeChannel(returns: boolean): SignalChannel & { connected: boolean; sent: Array<{ message: FromWorker; callback: (error: Error | null) => void }> } {
  const sent: Array<{ message: FromWorker; callback: (error: Error | null) => void }> = [];
  return {
    connected: true,
    sent,
    send(message, _handle, _options, callback) {
      sent.push({ message, callback });
      return returns;
    },
  };
}

test('signals go in batches, one in flight at a time; past MAX_QUEUED waiting they are dropped and counted', async () => {
  const sent: Array<{ batch: AlertSignal[]; done: (failed: boolean) => void }> = [];
  const batcher = new AlertSignalBatcher((batch, done) => (sent.push({ batch, done }), true));
  batcher.push(event(0));
  await until(() => sent.length === 1);
  // The first batch is still in flight: the rest waits, bounded.
  for (let i = 1; i <= MAX_QUEUED + 5; i++) batcher.push(event(i));
  assert.equal(await dropped(batcher.dropped, 'queue_full'), 5);
  assert.equal(sent.length, 1, 'one message in flight at a time');
  sent[0]!.done(false);
  await until(() => sent.length === 2);
  assert.equal(sent[1]!.batch.length, BATCH_SIZE);
  assert.deepEqual(sent[1]!.batch[0], event(1), 'in order');
  sent[1]!.done(true);
  await until(() => sent.length === 3);
  assert.equal(await dropped(batcher.dropped, 'send_failed'), BATCH_SIZE, 'a batch the channel did not take is counted');
});

test('while the channel is closed each batch is counted as send_failed, and the next is tried', async () => {
  const channel = fakeChannel(true);
  channel.connected = false;
  const batcher = new AlertSignalBatcher(sendOver(channel));
  batcher.push(event(1));
  await settle();
  assert.equal(await dropped(batcher.dropped, 'send_failed'), 1);
  batcher.push(event(2));
  await settle();
  assert.equal(await dropped(batcher.dropped, 'send_failed'), 2);
  assert.equal(channel.sent.length, 0, 'nothing written to a closed channel');
});

test('send() answering false is back-pressure, not failure: the batch counts as sent once its callback comes, and stays the only one in flight', async () => {
  const channel = fakeChannel(false);
  const batcher = new AlertSignalBatcher(sendOver(channel));
  batcher.push(event(1));
  await until(() => channel.sent.length === 1);
  batcher.push(event(2));
  await settle();
  assert.equal(channel.sent.length, 1, 'the first is still queued in the channel: the second waits');
  assert.equal(await dropped(batcher.dropped, 'send_failed'), 0);
  channel.sent[0]!.callback(null);
  await until(() => channel.sent.length === 2);
  assert.deepEqual(channel.sent[1]!.message, { kind: 'portcullis.cluster.alert_signals', signals: [event(2)] });
  assert.equal(await dropped(batcher.dropped, 'send_failed'), 0, 'nothing counted as lost');
});

test('a batch\'s done counts once: a second call neither counts again nor frees the slot of the next batch', async () => {
  const sent: Array<(failed: boolean) => void> = [];
  const batcher = new AlertSignalBatcher((_batch, done) => (sent.push(done), true));
  batcher.push(event(1));
  await until(() => sent.length === 1);
  batcher.push(event(2));
  sent[0]!(true);
  await until(() => sent.length === 2);
  batcher.push(event(3));
  sent[0]!(true);
  await settle();
  assert.equal(sent.length, 2, 'batch 2 is still the one in flight');
  assert.equal(await dropped(batcher.dropped, 'send_failed'), 1);
});

test('flushAll sends what waits at once, batch after batch, and resolves when all went', async () => {
  const sent: AlertSignal[][] = [];
  const batcher = new AlertSignalBatcher((batch, done) => (sent.push(batch), setImmediate(() => done(false)), true));
  for (let i = 0; i < BATCH_SIZE + 10; i++) batcher.push(event(i));
  const started = Date.now();
  await batcher.flushAll(5000);
  assert.deepEqual(sent.map((batch) => batch.length), [BATCH_SIZE, 10]);
  assert.ok(Date.now() - started < 1000, 'without waiting for the flush timer');
  assert.equal(await dropped(batcher.dropped, 'not_sent_at_exit'), 0);
});

test('flushAll gives up after its timeout and counts what still waits as not_sent_at_exit', async () => {
  const batcher = new AlertSignalBatcher(() => true); // never calls back
  for (let i = 0; i < BATCH_SIZE + 7; i++) batcher.push(event(i));
  await batcher.flushAll(200);
  assert.equal(await dropped(batcher.dropped, 'not_sent_at_exit'), 7, 'the batch in flight may yet arrive: not counted');
});

test('the primary relays signals and its own watched events (fields kept only, with when they happened) to the lead; without a lead they are dropped and counted', async () => {
  const registry = new Registry();
  const tap = new LogEventTap();
  const clock = new ManualClock(1_700_000_000_000);
  const toLead: ToWorker[] = [];
  let lead = false;
  const relay = new ClusterAlertRelay(registry, () => (lead ? (message, done) => (toLead.push(message), done(false)) : undefined), tap, clock);
  relay.relay([event(1), event(2)]);
  assert.match(await registry.metrics(), /portcullis_alert_signals_dropped_total\{reason="no_lead"\} 2/);
  lead = true;
  tap.emit({ event: 'cluster.reload_failed', workers: 2, failures: [{ slot: 2, errors: ['secret detail'] }] });
  tap.emit({ event: 'cluster.worker_started', slot: 1 });
  assert.deepEqual(toLead, [{ kind: 'portcullis.cluster.alert_signals', signals: [{ type: 'event', event: 'cluster.reload_failed', fields: {}, at: clock.now() }] }]);
  relay.close();
  tap.emit({ event: 'cluster.reload_failed' });
  assert.equal(toLead.length, 1, 'closed: no more relayed');
});

test(`at most ${MAX_TO_LEAD_IN_FLIGHT} batches are on their way to the lead; past that they are dropped as lead_busy`, async () => {
  const registry = new Registry();
  const pending: Array<(failed: boolean) => void> = [];
  const send: SendToLead = (_message, done) => void pending.push(done);
  const relay = new ClusterAlertRelay(registry, () => send, undefined);
  for (let i = 0; i < MAX_TO_LEAD_IN_FLIGHT + 2; i++) relay.relay([event(i), event(i + 100)]);
  assert.equal(pending.length, MAX_TO_LEAD_IN_FLIGHT);
  assert.match(await registry.metrics(), /portcullis_alert_signals_dropped_total\{reason="lead_busy"\} 4/);
  pending[0]!(false);
  pending[0]!(false); // once only
  pending[1]!(true);
  relay.relay([event(9)]);
  relay.relay([event(10)]);
  relay.relay([event(11)]);
  assert.equal(pending.length, MAX_TO_LEAD_IN_FLIGHT + 2, 'two slots freed, two more sent');
  assert.match(await registry.metrics(), /portcullis_alert_signals_dropped_total\{reason="lead_busy"\} 5/);
  assert.match(await registry.metrics(), /portcullis_alert_signals_dropped_total\{reason="send_failed"\} 2/);
});

test('a lead that is ready but whose channel is closed is no lead: its signals are counted as no_lead', async () => {
  const sends: unknown[] = [];
  const worker = { connected: false, isConnected() { return this.connected; }, send: (message: unknown) => (sends.push(message), true) };
  const slot = { ready: true, worker: worker as never };
  assert.equal(leadChannel({ ready: false, worker: { ...worker, isConnected: () => true } as never }), undefined, 'not ready');
  assert.equal(leadChannel(slot), undefined, 'disconnected');
  const registry = new Registry();
  const relay = new ClusterAlertRelay(registry, () => leadChannel(slot), undefined);
  relay.relay([event(1)]);
  assert.match(await registry.metrics(), /portcullis_alert_signals_dropped_total\{reason="no_lead"\} 1/);
  worker.connected = true;
  relay.relay([event(2)]);
  assert.equal(sends.length, 1, 'connected: sent');
});

test('signals relayed to the lead before its gateway runs are counted as not_ready', async () => {
  const link = new WorkerLink(1);
  process.emit('message', { kind: 'portcullis.cluster.alert_signals', signals: [event(1), event(2), event(3)] } satisfies ToWorker, undefined);
  await settle();
  assert.equal(await dropped(link.signalsDropped, 'not_ready'), 3);
});
