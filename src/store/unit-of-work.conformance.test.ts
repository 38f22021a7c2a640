/**
 * The unit of work (`store.write(actor, action, tx => …)`), run against every dialect: each change
 * row names its actor and action, a failing unit leaves nothing behind, listeners hear committed
 * revisions, and on PostgreSQL the revision row lock keeps concurrent writers in commit order.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { sql } from 'kysely';
import { ManualClock } from '../core/clock.js';
import { createLogger } from '../observability/logger.js';
import { LogCapture } from '../../test/helpers/index.js';
import { STORE_BACKENDS, storeFor } from '../../test/helpers/store.js';
import { migrateToLatest, openStore } from './open-store.js';
import { ChangeFeed } from './change-feed.js';
import { ConsumerRepository } from './repositories.js';
import type { Store } from './store.js';

const ADMIN = { kind: 'bootstrap-token', id: 'bootstrap', ip: '127.0.0.1' } as const;

for (const backend of STORE_BACKENDS) {
  describe(`unit of work: ${backend.name}`, { skip: backend.skip }, () => {
    let store: Store;
    let cleanup: () => Promise<void>;
    const clock = new ManualClock(Date.UTC(2026, 10, 1));
    const logs = new LogCapture();
    let consumers: ConsumerRepository;
    let feed: ChangeFeed;
    const heard: number[] = [];

    before(async () => {
      const opened = await backend.open();
      cleanup = opened.cleanup;
      const location = openStore(opened.location);
      await migrateToLatest(location);
      store = storeFor(location, clock, createLogger({ level: 'info', redactHeaders: [] }, logs));
      store.onCommitted((revision) => heard.push(revision));
      consumers = new ConsumerRepository(store.db);
      feed = new ChangeFeed(store.db, store.dialect);
    });
    after(async () => {
      await store?.close();
      await cleanup?.();
    });

    const changeRows = (revisionAbove: number) =>
      store.db.selectFrom('changes').select(['revision', 'entity', 'entity_id', 'actor_kind', 'actor_id', 'action']).where('revision', '>', revisionAbove).orderBy('revision').execute();

    test('a write records its actor and action in the change row, logs them, and tells listeners the new revision', async () => {
      const start = await feed.latestRevision();
      const consumer = await store.write(ADMIN, 'consumer.create', (tx) => consumers.create(tx, { name: 'attributed' }));
      const rows = await changeRows(start);
      assert.deepEqual(
        rows.map((row) => ({ ...row, revision: Number(row.revision) })),
        [{ revision: start + 1, entity: 'consumer', entity_id: consumer.id, actor_kind: 'bootstrap-token', actor_id: 'bootstrap', action: 'consumer.create' }],
      );
      assert.equal(heard.at(-1), start + 1);
      const line = logs.records.find((record) => record.event === 'store.changed' && record.revision === start + 1);
      assert.deepEqual(
        { actor: line?.actor, actorIp: line?.actorIp, action: line?.action, changes: line?.changes },
        { actor: 'bootstrap-token:bootstrap', actorIp: '127.0.0.1', action: 'consumer.create', changes: [`consumer:${consumer.id}`] },
      );
    });

    test('a unit whose callback throws rolls back the entity and its change row, and notifies no one', async () => {
      const start = await feed.latestRevision();
      const heardBefore = heard.length;
      const failure = new Error('the caller changed its mind');
      await assert.rejects(
        store.write(ADMIN, 'consumer.create', async (tx) => {
          await consumers.create(tx, { name: 'rolled-back' });
          throw failure;
        }),
        (error) => error === failure,
      );
      assert.equal(await feed.latestRevision(), start, 'the revision did not move');
      assert.deepEqual(await changeRows(start), [], 'no change row');
      assert.equal((await consumers.list()).filter((c) => c.name === 'rolled-back').length, 0, 'no consumer');
      assert.equal(heard.length, heardBefore);
      assert.equal(logs.records.filter((record) => record.event === 'store.changed' && record.revision === start + 1).length, 0, 'nothing logged as changed');
    });

    test('a unit that changes nothing writes no change row and notifies no one', async () => {
      const consumer = await store.write(ADMIN, 'consumer.create', (tx) => consumers.create(tx, { name: 'unchanged' }));
      const start = await feed.latestRevision();
      const heardBefore = heard.length;
      const again = await store.write(ADMIN, 'consumer.disable', async (tx) => consumers.get(consumer.id, tx.db));
      assert.equal(again.id, consumer.id);
      assert.equal(await feed.latestRevision(), start);
      assert.equal(heard.length, heardBefore);
    });

    test('a write that spans several entities gives each its own revision, all under one actor and action', async () => {
      const start = await feed.latestRevision();
      await store.write({ kind: 'cli', id: 'ops' }, 'consumer.create', async (tx) => {
        await consumers.create(tx, { name: 'pair-1' });
        await consumers.create(tx, { name: 'pair-2' });
      });
      const rows = await changeRows(start);
      assert.deepEqual(rows.map((row) => Number(row.revision)), [start + 1, start + 2]);
      assert.ok(rows.every((row) => row.actor_kind === 'cli' && row.actor_id === 'ops' && row.action === 'consumer.create'));
      assert.equal(heard.at(-1), start + 2, 'listeners hear the newest revision');
    });

    test('a listener that throws does not fail the committed write', async () => {
      const unsubscribe = store.onCommitted(() => {
        throw new Error('listener bug');
      });
      try {
        const consumer = await store.write(ADMIN, 'consumer.create', (tx) => consumers.create(tx, { name: 'listener-bug' }));
        assert.equal((await consumers.get(consumer.id)).name, 'listener-bug');
        assert.ok(logs.records.some((record) => record.event === 'store.listener_failed'));
      } finally {
        unsubscribe();
      }
    });

    test('concurrent writers wait on the revision row: a later revision never commits before an earlier one', { skip: backend.name !== 'PostgreSQL' && 'SQLite has one writer at a time anyway' }, async () => {
      const start = await feed.latestRevision();
      let release!: () => void;
      const released = new Promise<void>((resolve) => (release = resolve));
      let firstPid = 0;
      const first = store.write(ADMIN, 'consumer.create', async (tx) => {
        const created = await consumers.create(tx, { name: 'holds-the-lock' });
        firstPid = Number((await sql<{ pid: number }>`select pg_backend_pid() as pid`.execute(tx.db)).rows[0]!.pid);
        await released;
        return created;
      });
      // Wait (bounded) until the first unit holds the revision row.
      for (let i = 0; i < 500 && firstPid === 0; i++) await new Promise((resolve) => setTimeout(resolve, 10));
      assert.notEqual(firstPid, 0, 'the first unit started');
      const second = store.write(ADMIN, 'consumer.create', (tx) => consumers.create(tx, { name: 'waits-for-it' }));
      // The second unit must block on the first one's row lock (a sequence would let it commit first).
      let waiting = 0;
      for (let i = 0; i < 500 && waiting === 0; i++) {
        const { rows } = await sql<{ waiting: string }>`select count(*) as waiting from pg_stat_activity where ${firstPid} = any(pg_blocking_pids(pid))`.execute(store.db);
        waiting = Number(rows[0]!.waiting);
        if (waiting === 0) await new Promise((resolve) => setTimeout(resolve, 10));
      }
      assert.equal(waiting, 1, 'the second writer waits on the first');
      assert.deepEqual(await changeRows(start), [], 'a follower sees nothing while the first unit is open');
      release();
      const [a, b] = await Promise.all([first, second]);
      const rows = await changeRows(start);
      assert.deepEqual(
        rows.map((row) => [Number(row.revision), row.entity_id]),
        [
          [start + 1, a.id],
          [start + 2, b.id],
        ],
      );
    });
  });
}
