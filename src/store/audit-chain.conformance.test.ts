/**
 * The audit chain's seam in the unit of work, on every dialect: each recordChange appends one
 * hash-chained record in the change's transaction (a failed audit write rolls the change back),
 * `store.audit` records events that change nothing, after-commit listeners hear committed records
 * only, and concurrent writers on PostgreSQL produce one gap-free chain.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { Actor } from '../core/actor.js';
import { ManualClock } from '../core/clock.js';
import { STORE_BACKENDS, storeFor } from '../../test/helpers/store.js';
import { migrateToLatest, openStore } from './open-store.js';
import { ChangeFeed } from './change-feed.js';
import { ConsumerRepository } from './repositories.js';
import { auditRecordHash, diffChanges, GENESIS_HASH, SECRET_MARKER, type AuditRecord } from './audit-record.js';
import type { Store } from './store.js';

const ADMIN: Actor = { kind: 'admin-token', id: 'adm_1', credentialId: 'tok_1', mfa: true, ip: '192.0.2.7', requestId: 'req-1', userAgent: 'curl/8.0' };

/** The whole chain as stored, checked link by link (the full verifier is audit/verify.ts). */
async function chain(store: Store): Promise<AuditRecord[]> {
  const rows = await store.db.selectFrom('audit_records').select(['seq', 'record', 'hash']).orderBy('seq').execute();
  let prev = GENESIS_HASH;
  return rows.map((row, index) => {
    const record = JSON.parse(row.record) as AuditRecord;
    assert.equal(Number(row.seq), index + 1, 'seq is gap-free from 1');
    assert.equal(record.seq, index + 1);
    assert.equal(record.prevHash, prev, `record ${record.seq} links to the one before`);
    assert.equal(auditRecordHash(record), record.hash, `record ${record.seq} hashes to its hash`);
    assert.equal(row.hash, record.hash);
    prev = record.hash;
    return record;
  });
}

for (const backend of STORE_BACKENDS) {
  describe(`audit chain: ${backend.name}`, { skip: backend.skip }, () => {
    let store: Store;
    let cleanup: () => Promise<void>;
    const clock = new ManualClock(Date.UTC(2026, 10, 1));
    let consumers: ConsumerRepository;
    const heard: AuditRecord[] = [];

    before(async () => {
      const opened = await backend.open();
      cleanup = opened.cleanup;
      const location = openStore(opened.location);
      await migrateToLatest(location);
      store = storeFor(location, clock);
      store.onAuditCommitted((records) => heard.push(...records));
      consumers = new ConsumerRepository(store.db);
    });
    after(async () => {
      await store?.close();
      await cleanup?.();
    });

    test('every change appends one chained record with actor, request context, target and the fields that changed', async () => {
      const consumer = await store.write(ADMIN, 'consumer.create', (tx) => consumers.create(tx, { name: 'audited', metadata: { tier: 'gold' } }));
      clock.advance(1000);
      await store.write(ADMIN, 'consumer.disable', (tx) => consumers.setStatus(tx, consumer.id, 'disabled'));
      const records = await chain(store);
      const [created, disabled] = records.slice(-2);
      assert.deepEqual(created!.actor, { type: 'admin-token', id: 'adm_1', credentialId: 'tok_1', mfa: true });
      assert.deepEqual([created!.action, created!.target, created!.outcome, created!.requestId, created!.sourceIp, created!.userAgent], ['consumer.create', { kind: 'consumer', id: consumer.id }, 'success', 'req-1', '192.0.2.7', 'curl/8.0']);
      assert.equal(created!.changes?.before, undefined, 'a create has no before');
      assert.deepEqual(created!.changes?.after?.metadata, { tier: 'gold' });
      assert.deepEqual(disabled!.changes, { before: { status: 'active', updatedAt: Date.UTC(2026, 10, 1) }, after: { status: 'disabled', updatedAt: Date.UTC(2026, 10, 1) + 1000 } });
      assert.equal(disabled!.time, new Date(Date.UTC(2026, 10, 1) + 1000).toISOString());
      assert.deepEqual(heard.slice(-2).map((record) => record.seq), [created!.seq, disabled!.seq], 'listeners heard both after commit');
    });

    test('when the audit record cannot be written the change does not happen', async () => {
      const feed = new ChangeFeed(store.db, store.dialect);
      const revision = await feed.latestRevision();
      const head = await store.db.selectFrom('store_revision').select('audit_seq').where('id', '=', 1).executeTakeFirstOrThrow();
      // A row in the way of the next seq: the audit insert fails on its primary key.
      await store.db.insertInto('audit_records').values({ seq: Number(head.audit_seq) + 1, time: 0, actor_type: 'x', actor_id: 'x', action: 'x', target_kind: 'x', target_id: 'x', outcome: 'x', record: '{}', hash: 'x' }).execute();
      const heardBefore = heard.length;
      try {
        await assert.rejects(store.write(ADMIN, 'consumer.create', (tx) => consumers.create(tx, { name: 'never-audited' })));
        assert.equal((await consumers.list()).some((c) => c.name === 'never-audited'), false, 'no consumer');
        assert.equal(await feed.latestRevision(), revision, 'no change row');
        assert.equal(heard.length, heardBefore, 'nothing heard');
      } finally {
        await store.db.deleteFrom('audit_records').where('seq', '=', Number(head.audit_seq) + 1).execute();
      }
      await chain(store);
    });

    test('store.audit records an event that changes no entity, with its outcome and detail, and writes no change row', async () => {
      const feed = new ChangeFeed(store.db, store.dialect);
      const revision = await feed.latestRevision();
      const record = await store.audit({ kind: 'system', id: 'gateway', ip: '198.51.100.9' }, 'consumer.disable', { kind: 'admin_api', id: 'login' }, { outcome: 'denied', detail: { reason: 'bad token', attempts: 3, password: 'hunter2' } });
      assert.equal(await feed.latestRevision(), revision);
      assert.deepEqual([record.outcome, record.sourceIp, record.detail], ['denied', '198.51.100.9', { reason: 'bad token', attempts: 3, password: SECRET_MARKER }]);
      assert.equal(heard.at(-1)?.hash, record.hash);
      assert.equal((await chain(store)).at(-1)?.hash, record.hash);
    });

    test('a unit that rolls back after auditing delivers nothing to listeners', async () => {
      const heardBefore = heard.length;
      await assert.rejects(
        store.write(ADMIN, 'consumer.create', async (tx) => {
          await consumers.create(tx, { name: 'rolled-back-audit' });
          throw new Error('changed its mind');
        }),
      );
      assert.equal(heard.length, heardBefore);
      const records = await chain(store);
      assert.ok(!records.some((r) => r.changes?.after?.name === 'rolled-back-audit'));
    });

    test('concurrent writers append to one gap-free chain', async () => {
      await Promise.all(Array.from({ length: 12 }, (_, i) => store.write(ADMIN, 'consumer.create', (tx) => consumers.create(tx, { name: `parallel-${i}` }))));
      const records = await chain(store);
      assert.equal(records.filter((r) => String(r.changes?.after?.name ?? '').startsWith('parallel-')).length, 12);
    });
  });
}

test('secret fields are masked in before/after, and only changed fields are kept', () => {
  const changes = diffChanges(
    { id: 'c1', secretHash: 'abc', previous_secret_hash: null, name: 'same', nested: { privateKey: 'pk', ok: 1 } },
    { id: 'c1', secretHash: 'def', previous_secret_hash: 'abc', name: 'same', nested: { privateKey: 'pk2', ok: 2 } },
  );
  assert.deepEqual(changes, {
    before: { secretHash: SECRET_MARKER, previous_secret_hash: null, nested: { privateKey: SECRET_MARKER, ok: 1 } },
    after: { secretHash: SECRET_MARKER, previous_secret_hash: SECRET_MARKER, nested: { privateKey: SECRET_MARKER, ok: 2 } },
  });
  assert.equal(diffChanges({ a: 1 }, { a: 1 }), undefined, 'nothing changed: no changes');
});
