/**
 * Delivery of the audit chain to a sink, on SQLite and PostgreSQL: in seq order, resumed from the
 * cursor in the store after a restart, kept while the sink fails (buffer, bounded) or refusing admin
 * writes (block), and one deliverer per sink among several processes (the lease).
 *
 * The sink here is a collecting one that can be switched off: the real sinks are tested against
 * real receivers in sinks/sinks.test.ts. The records come from a small in-test chain; the
 * end-to-end test (test/audit-sinks.test.ts) streams the real chain.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { systemClock } from '../core/clock.js';
import { GatewayError } from '../core/errors.js';
import { createLogger } from '../observability/logger.js';
import { STORE_BACKENDS } from '../../test/helpers/store.js';
import { eventually, LogCapture } from '../../test/helpers/index.js';
import { migrateToLatest, openStore, type OpenedStore } from '../store/open-store.js';
import { SinkBlockGuard } from './block-guard.js';
import { SinkCursors } from './sink-cursors.js';
import { SinkDeliverer, type AuditRecordSource, type SinkDelivererOptions, type SinkMetrics } from './sink-deliverer.js';
import type { AuditSink, SinkRecord } from './sinks/sink.js';

class TestChain implements AuditRecordSource {
  readonly records: SinkRecord[] = [];
  append(count: number): void {
    for (let i = 0; i < count; i++) {
      const seq = this.records.length + 1;
      this.records.push({ v: 1, seq, time: new Date(Date.UTC(2026, 10, 30, 0, 0, seq)).toISOString(), action: 'consumer.create', hash: `h${seq}` });
    }
  }
  async readAfter(after: number, limit: number): Promise<SinkRecord[]> {
    return this.records.filter((record) => record.seq > after).slice(0, limit);
  }
  async headSeq(): Promise<number> {
    return this.records.length;
  }
}

class CollectingSink implements AuditSink {
  readonly got: number[] = [];
  up = true;
  constructor(readonly name: string) {}
  async deliver(records: readonly SinkRecord[]): Promise<void> {
    if (!this.up) throw Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' });
    this.got.push(...records.map((record) => record.seq));
  }
  async close(): Promise<void> {}
}

const noMetrics: SinkMetrics = { delivered() {}, failed() {}, skipped() {}, up() {}, backlog() {} };

for (const backend of STORE_BACKENDS) {
  describe(`audit sink delivery: ${backend.name}`, { skip: backend.skip }, () => {
    let store: OpenedStore;
    let cleanup: () => Promise<void>;
    let cursors: SinkCursors;
    const running: SinkDeliverer[] = [];
    before(async () => {
      const opened = await backend.open();
      cleanup = opened.cleanup;
      store = openStore(opened.location);
      await migrateToLatest(store);
      cursors = new SinkCursors(store.db);
    });
    after(async () => {
      await Promise.all(running.map((deliverer) => deliverer.stop()));
      await store.close();
      await cleanup();
    });

    function deliverer(sink: AuditSink, chain: TestChain, logs: LogCapture, options: Partial<SinkDelivererOptions> = {}): SinkDeliverer {
      const logger = createLogger({ level: 'debug', redactHeaders: [] }, logs);
      const made = new SinkDeliverer({ sink, onFailure: 'buffer', cursors, source: chain, owner: 'node-a:1', clock: systemClock, logger: () => logger, metrics: noMetrics, batchSize: 4, maxBacklogRecords: 1000, leaseMs: 30000, pollIntervalMs: 20, retryMinMs: 10, retryMaxMs: 40, ...options });
      running.push(made);
      return made;
    }

    test('delivers every record once, in seq order, and a restarted deliverer resumes from its cursor', async () => {
      const chain = new TestChain();
      chain.append(3);
      const sink = new CollectingSink('resume');
      const first = deliverer(sink, chain, new LogCapture());
      await first.start();
      // A new sink starts at the chain's head: the 3 older records are not replayed.
      chain.append(10);
      first.nudge();
      await eventually(() => sink.got.length === 10, 'ten records delivered');
      await first.stop();
      chain.append(5);
      const second = deliverer(sink, chain, new LogCapture(), { owner: 'node-a:2' });
      await second.start();
      await eventually(() => sink.got.length === 15, 'the five newer records delivered after the restart');
      assert.deepEqual(sink.got, Array.from({ length: 15 }, (_, i) => i + 4));
      await second.stop();
    });

    test('buffer: keeps the records while the sink fails, logs the outage once, and delivers them in order when it is back', async () => {
      const chain = new TestChain();
      const sink = new CollectingSink('buffered');
      const logs = new LogCapture();
      const made = deliverer(sink, chain, logs);
      await made.start();
      sink.up = false;
      chain.append(6);
      made.nudge();
      await logs.waitFor((record) => record.event === 'audit.sink_failing');
      await eventually(async () => (await cursors.failing(['buffered'])).length === 1, 'the failure is in the store');
      assert.equal((await cursors.list()).find((row) => row.sink === 'buffered')?.lastError, 'ECONNREFUSED');
      chain.append(3);
      sink.up = true;
      await eventually(() => sink.got.length === 9, 'the kept records delivered');
      assert.deepEqual(sink.got, [1, 2, 3, 4, 5, 6, 7, 8, 9]);
      await logs.waitFor((record) => record.event === 'audit.sink_recovered');
      assert.equal(logs.records.filter((record) => record.event === 'audit.sink_failing').length, 1, 'one failing line per outage');
      assert.deepEqual(await cursors.failing(['buffered']), []);
      await made.stop();
    });

    test('buffer: past maxBacklogRecords the oldest records are skipped for the sink, said and counted', async () => {
      const chain = new TestChain();
      const sink = new CollectingSink('bounded');
      const logs = new LogCapture();
      let skipped = 0;
      const made = deliverer(sink, chain, logs, { maxBacklogRecords: 3, metrics: { ...noMetrics, skipped: (_sink, records) => (skipped += records) } });
      await made.start();
      sink.up = false;
      chain.append(10);
      made.nudge();
      await logs.waitFor((record) => record.event === 'audit.sink_failing');
      sink.up = true;
      await eventually(() => sink.got.length === 3, 'the newest three delivered');
      assert.deepEqual(sink.got, [8, 9, 10]);
      const line = await logs.waitFor((record) => record.event === 'audit.sink_records_skipped');
      assert.deepEqual([line.fromSeq, line.toSeq, line.reason], [1, 7, 'backlog_full']);
      assert.equal(skipped, 7);
      await made.stop();
    });

    test('block: while the sink fails every node\'s guard refuses admin writes with 503 audit.sink_unavailable, and lets them through once it is back', async () => {
      const chain = new TestChain();
      const sink = new CollectingSink('blocking');
      const logs = new LogCapture();
      const made = deliverer(sink, chain, logs, { onFailure: 'block', maxBacklogRecords: 1 });
      await made.start();
      // Another node's guard: its own view of the store, not the deliverer's memory.
      const guard = new SinkBlockGuard(new SinkCursors(store.db), ['blocking']);
      await guard.check();
      sink.up = false;
      chain.append(5);
      made.nudge();
      await eventually(async () => (await cursors.failing(['blocking'])).length === 1, 'the failure is in the store');
      await assert.rejects(guard.check(), (error: unknown) => error instanceof GatewayError && error.code === 'audit.sink_unavailable' && error.status === 503);
      sink.up = true;
      await eventually(() => sink.got.length === 5, 'every record delivered, none skipped in block mode');
      assert.deepEqual(sink.got, [1, 2, 3, 4, 5]);
      await eventually(async () => (await cursors.failing(['blocking'])).length === 0, 'the failure cleared');
      await guard.check();
      await made.stop();
    });

    test('two processes with one sink: only the lease holder delivers, and the other takes over when it stops', async () => {
      const chain = new TestChain();
      const sink = new CollectingSink('leased');
      const logsA = new LogCapture();
      const logsB = new LogCapture();
      const a = deliverer(sink, chain, logsA, { owner: 'node-a:1' });
      const b = deliverer(sink, chain, logsB, { owner: 'node-b:1' });
      await a.start();
      await logsA.waitFor((record) => record.event === 'audit.sink_lease_acquired');
      await b.start();
      chain.append(20);
      a.nudge();
      b.nudge();
      await eventually(() => sink.got.length >= 20, 'twenty records delivered');
      assert.equal(b.holdsLease, false);
      await a.stop();
      chain.append(5);
      await logsB.waitFor((record) => record.event === 'audit.sink_lease_acquired');
      await eventually(() => sink.got.length >= 25, 'the newer records delivered by the other process');
      assert.deepEqual(sink.got, Array.from({ length: 25 }, (_, i) => i + 1), 'each record once, in order');
      await b.stop();
    });
  });
}
