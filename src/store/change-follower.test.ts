/**
 * The node's one change follower, against SQLite and the real PostgreSQL: every projection is
 * installed from the same batch, pruning keeps the newest row, a cursor behind the retention
 * reloads from a snapshot, and on PostgreSQL a NOTIFY wakes the follower (the poll never would
 * within these tests) and a lost LISTEN connection comes back.
 */
import assert from 'node:assert/strict';
import { before, describe, test } from 'node:test';
import pg from 'pg';
import { ManualClock } from '../core/clock.js';
import { createLogger } from '../observability/logger.js';
import { eventually, LogCapture } from '../../test/helpers/index.js';
import { POSTGRES_URL } from '../../test/helpers/services.js';
import { migratedStore, STORE_BACKENDS } from '../../test/helpers/store-backends.js';
import { ChangeFeed, type ChangeSet } from './change-feed.js';
import { ChangeFollower, type Install, type Projection } from './change-follower.js';
import { ConsumerDirectory } from './consumer-directory.js';
import { followStore } from './follow-store.js';
import { openStore, type OpenedStore } from './open-store.js';
import { ConsumerRepository } from './repositories.js';
import { consumerWriter, storeFor } from '../../test/helpers/store.js';

const RETENTION_SECONDS = 60;
/** Longer than any test here: whatever a follower sees, it saw because it was woken. */
const NO_POLL_MS = 3_600_000;

/** A projection that records which ids it was given, and when its read and install ran. */
class Recorder implements Projection {
  readonly entities = ['consumer'] as const;
  readonly events: string[] = [];
  constructor(
    readonly name: string,
    private readonly readFor: () => Promise<void> = async () => {},
  ) {}
  async loadSnapshot(): Promise<Install> {
    return () => this.events.push(`${this.name}:snapshot`);
  }
  async apply(changed: ChangeSet): Promise<Install> {
    this.events.push(`${this.name}:read`);
    await this.readFor();
    return () => this.events.push(`${this.name}:install ${changed.consumer.length}`);
  }
}

for (const backend of STORE_BACKENDS) {
  describe(`change follower: ${backend.name}`, { skip: backend.skip }, () => {
    const opened = migratedStore(backend);
    let store: OpenedStore;
    const clock = new ManualClock(Date.UTC(2026, 10, 1));
    const logs = new LogCapture();
    const logger = createLogger({ level: 'info', redactHeaders: [] }, logs);
    let consumers: ConsumerRepository;
    let writer: ReturnType<typeof consumerWriter>;

    before(() => {
      store = opened.store;
      consumers = new ConsumerRepository(store.db);
      writer = consumerWriter(storeFor(store, clock), consumers);
    });

    test('installs every projection from the same batch, only after all of them have read it', async () => {
      let release!: () => void;
      const slow = new Recorder('slow', () => new Promise<void>((resolve) => (release = resolve)));
      const fast = new Recorder('fast');
      const follower = new ChangeFollower(new ChangeFeed(store.db, store.dialect), { pollIntervalMs: NO_POLL_MS, retentionSeconds: RETENTION_SECONDS, logger, clock });
      await follower.add(slow);
      await follower.add(fast);
      await follower.start();
      await writer.create({ name: 'same-batch' });
      const caughtUp = follower.catchUp();
      await eventually(() => slow.events.includes('slow:read') && fast.events.includes('fast:read'), 'both read the batch');
      assert.ok(!fast.events.some((event) => event.startsWith('fast:install')), 'the fast one waits for the slow one');
      release();
      await caughtUp;
      assert.deepEqual(fast.events.slice(-1), ['fast:install 1']);
      assert.deepEqual(slow.events.slice(-1), ['slow:install 1']);
      await follower.stop();
    });

    test('pruning removes rows older than the retention but always keeps the newest one', async () => {
      const feed = new ChangeFeed(store.db, store.dialect);
      await writer.create({ name: 'old-1' });
      await writer.create({ name: 'old-2' });
      const newest = await feed.latestRevision();
      clock.advance(RETENTION_SECONDS * 1000 + 1);
      assert.ok((await feed.prune(clock.now() - RETENTION_SECONDS * 1000)) >= 1);
      assert.equal(await feed.prune(clock.now() - RETENTION_SECONDS * 1000), 0, 'idempotent');
      const left = await store.db.selectFrom('changes').select('revision').execute();
      assert.deepEqual(left.map((row) => Number(row.revision)), [newest], 'only the newest row is left');
    });

    test('a follower whose cursor is older than the oldest retained change reloads from a snapshot and sees the state', async () => {
      const directory = new ConsumerDirectory(consumers);
      const follower = new ChangeFollower(new ChangeFeed(store.db, store.dialect), { pollIntervalMs: NO_POLL_MS, retentionSeconds: RETENTION_SECONDS, logger, clock });
      await follower.add(directory);
      await follower.start();
      const doomed = await writer.create({ name: 'disabled-while-away' });
      await follower.catchUp();
      assert.equal(directory.consumer(doomed.id)?.active, true);
      // The node stops following (nothing wakes it), meanwhile the consumer is disabled, time
      // passes, another change is made, and a node prunes the disabling away.
      await writer.setStatus(doomed.id, 'disabled');
      clock.advance(RETENTION_SECONDS * 1000 + 1);
      const later = await writer.create({ name: 'made-after' });
      assert.ok((await new ChangeFeed(store.db, store.dialect).prune(clock.now() - RETENTION_SECONDS * 1000)) >= 1);
      await follower.catchUp();
      assert.ok(logs.records.some((record) => record.event === 'store.change_feed_reload'), 'the reload is logged');
      assert.equal(directory.consumer(doomed.id)?.active, false, 'the pruned disabling is seen');
      assert.equal(directory.consumer(later.id)?.active, true);
      assert.equal(follower.revision, await new ChangeFeed(store.db, store.dialect).latestRevision());
      await follower.stop();
    });

    test('PostgreSQL: a NOTIFY wakes the follower at commit, and a lost LISTEN connection comes back', { skip: backend.name !== 'PostgreSQL' && 'LISTEN/NOTIFY is PostgreSQL only' }, async () => {
      const directory = new ConsumerDirectory(consumers);
      const followed = followStore(store, { pollIntervalMs: NO_POLL_MS, retentionSeconds: RETENTION_SECONDS, postgres: { url: POSTGRES_URL, connectTimeoutMs: 2000 } }, { logger, clock });
      await followed.follower.add(directory);
      await followed.start();
      try {
        await eventually(() => followed.listener!.listening, 'listening');
        // Written through another connection, as another node would.
        const otherNode = openStore({ driver: 'postgres', url: POSTGRES_URL, schema: store.schema });
        const started = performance.now();
        const made = await consumerWriter(storeFor(otherNode, clock)).create({ name: 'notified' });
        await eventually(() => directory.consumer(made.id) !== undefined, 'the NOTIFY woke the follower');
        console.log(`# NOTIFY to applied: ${Math.round(performance.now() - started)} ms (poll interval ${NO_POLL_MS} ms)`);

        const admin = new pg.Client({ connectionString: POSTGRES_URL });
        await admin.connect();
        await admin.query('select pg_terminate_backend($1)', [followed.listener!.backendPid]);
        await admin.end();
        await logs.waitFor((record) => record.event === 'store.listen_lost');
        await logs.waitFor((record) => record.event === 'store.listen_resumed', 5000);
        const again = await consumerWriter(storeFor(otherNode, clock)).create({ name: 'notified-again' });
        await eventually(() => directory.consumer(again.id) !== undefined, 'woken again after the reconnect');
        await otherNode.close();
      } finally {
        await followed.stop();
      }
    });
  });
}
