import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { ManualClock } from '../core/clock.js';
import { createLogger } from '../observability/logger.js';
import { LogCapture } from '../../test/helpers/index.js';
import { consumerWriter, storeFor, TEST_ACTOR } from '../../test/helpers/store.js';
import { migrateToLatest, openStore } from '../store/open-store.js';
import { ChangeFeed } from '../store/change-feed.js';
import { ChangeFollower } from '../store/change-follower.js';
import { ConsumerDirectory } from '../store/consumer-directory.js';
import { ApiKeyRepository, ConsumerRepository } from '../store/repositories.js';
import { KeyService } from './key-service.js';
import { KeyIndex } from './key-index.js';
import { VerifiedTokenCache } from '../jwt/verified-token-cache.js';

const PEPPER = 'a-pepper-of-at-least-thirty-two-characters';

async function setup(verified?: ConstructorParameters<typeof KeyIndex>[2]['verified']) {
  const opened = openStore({ driver: 'sqlite', path: join(mkdtempSync(join(tmpdir(), 'portcullis-index-')), 'store.db') });
  await migrateToLatest(opened);
  const clock = new ManualClock();
  const store = storeFor(opened, clock);
  const consumerRepository = new ConsumerRepository(store.db);
  const consumers = consumerWriter(store, consumerRepository);
  const keys = new ApiKeyRepository(store.db);
  const service = new KeyService(store, keys, { pepper: PEPPER, product: 'ptc', environment: 'test', maxAgeDays: 90, warnAgeDays: 75 }, clock, consumerRepository);
  const logs = new LogCapture();
  const logger = createLogger({ level: 'info', redactHeaders: [] }, logs);
  const directory = new ConsumerDirectory(consumerRepository);
  const index = new KeyIndex(directory, keys, { pepper: PEPPER, lastUsedFlushMs: 50, logger, clock, store, ...(verified ? { verified } : {}) });
  // The node's follower, as services.ts makes it: the consumer directory and the key index.
  const follower = new ChangeFollower(new ChangeFeed(store.db, store.dialect), { pollIntervalMs: 60_000, retentionSeconds: 86400, logger, clock });
  await follower.add(directory);
  await follower.add(index);
  const follow = {
    load: () => follower.start(),
    refresh: () => follower.catchUp(),
    stop: async () => {
      await follower.stop();
      await index.stop();
    },
  };
  return { store, clock, consumers, service, index, follow, logs };
}

test('answers from memory: keys verify with the store gone, and a bad checksum never gets as far as a lookup', async () => {
  const { store, clock, consumers, service, index, follow, logs } = await setup();
  const consumer = await consumers.create({ name: 'c' });
  const { key } = await service.create(TEST_ACTOR, { consumerId: consumer.id, name: 'k', scopes: ['s'] });
  await follow.load();
  await store.close();

  const verdict = index.verify(key, clock.now());
  assert.ok(verdict.ok);
  assert.deepEqual(verdict.principal.scopes, ['s']);
  const mistyped = key.slice(0, -1) + (key.endsWith('a') ? 'b' : 'a');
  assert.deepEqual(index.verify(mistyped, clock.now()), { ok: false, reason: 'malformed' }, 'refused by its checksum');

  await follow.refresh();
  const outage = logs.records.find((r) => r.event === 'store.unreachable');
  assert.ok(outage, 'the outage is logged, not silent');
  assert.equal(outage.level, 'error');
  assert.ok(index.verify(key, clock.now()).ok, 'the last snapshot keeps serving');
  await follow.stop();
});

test('tells unknown, mismatched, revoked, expired and disabled apart', async () => {
  const { clock, consumers, service, index, follow } = await setup();
  const consumer = await consumers.create({ name: 'c' });
  const live = await service.create(TEST_ACTOR, { consumerId: consumer.id, name: 'live', scopes: [] });
  const revoked = await service.create(TEST_ACTOR, { consumerId: consumer.id, name: 'revoked', scopes: [] });
  await service.revoke(TEST_ACTOR, revoked.view.id);
  await follow.load();
  const now = clock.now();
  assert.equal(index.verify(live.key, now).ok, true);
  const other = await setup();
  const foreign = await other.service.create(TEST_ACTOR, { consumerId: (await other.consumers.create({ name: 'o' })).id, name: 'x', scopes: [] });
  assert.deepEqual(index.verify(foreign.key, now), { ok: false, reason: 'unknown' });
  assert.deepEqual(index.verify(revoked.key, now), { ok: false, reason: 'revoked', keyId: revoked.view.id });
  assert.deepEqual(index.verify(live.key, now + 90 * 86400000), { ok: false, reason: 'expired' });
  await consumers.setStatus(consumer.id, 'disabled');
  await follow.refresh();
  assert.deepEqual(index.verify(live.key, now), { ok: false, reason: 'consumer_disabled' });
  await follow.stop();
  await other.follow.stop();
});

test('catches up on a batch larger than the database takes in one query, and still sees a revocation', async () => {
  const { store, clock, consumers, service, index, follow } = await setup();
  const consumer = await consumers.create({ name: 'bulk' });
  const victim = await service.create(TEST_ACTOR, { consumerId: consumer.id, name: 'victim', scopes: [] });
  await follow.load();
  // 40 000 changes at once (a bulk import, or a long outage): more than SQLite's 32 766 bind parameters.
  await store.db.transaction().execute(async (tx) => {
    const { value } = await tx.selectFrom('store_revision').select('value').where('id', '=', 1).executeTakeFirstOrThrow();
    const now = clock.now();
    for (let start = 0; start < 40000; start += 500) {
      const rows = Array.from({ length: 500 }, (_, i) => start + i);
      await tx.insertInto('api_keys').values(rows.map((n) => ({ id: `bulk${String(n).padStart(6, '0')}`, consumer_id: consumer.id, name: 'b', environment: 'test', hash: '00'.repeat(32), scopes: '[]', status: 'active' as const, expires_at: null, created_by: 'b', created_at: now, last_used_at: null, replaced_by: null, revoked_at: null }))).execute();
      await tx.insertInto('changes').values(rows.map((n) => ({ revision: Number(value) + n + 1, entity: 'api_key' as const, entity_id: `bulk${String(n).padStart(6, '0')}`, changed_at: now, actor_kind: 'cli', actor_id: 'test', action: 'api_key.create' }))).execute();
    }
    await tx.updateTable('store_revision').set({ value: Number(value) + 40000 }).where('id', '=', 1).execute();
  });
  await service.revoke(TEST_ACTOR, victim.view.id);
  await follow.refresh();
  assert.deepEqual(index.verify(victim.key, clock.now()), { ok: false, reason: 'revoked', keyId: victim.view.id });
  assert.equal(index.size, 40001);
  await follow.stop();
});

test('a revoked key presented with a wrong secret is just invalid', async () => {
  const { clock, consumers, service, index, follow } = await setup();
  const consumer = await consumers.create({ name: 'c' });
  const created = await service.create(TEST_ACTOR, { consumerId: consumer.id, name: 'k', scopes: [] });
  await service.revoke(TEST_ACTOR, created.view.id);
  await follow.load();
  const { generateApiKey } = await import('./api-key-format.js');
  // Same id, other secret, valid checksum: only the holder of the real key learns it was revoked.
  const forged = generateApiKey('ptc', 'test').key;
  const body = `ptc_test_${created.view.id}${forged.slice(17, 41)}`;
  const { createHash } = await import('node:crypto');
  const { encodeBase62 } = await import('../store/ids.js');
  const withChecksum = `${body}_${encodeBase62(createHash('sha256').update(body).digest().subarray(0, 8), 6)}`;
  assert.deepEqual(index.verify(withChecksum, clock.now()), { ok: false, reason: 'mismatch' });
  assert.deepEqual(index.verify(created.key, clock.now()), { ok: false, reason: 'revoked', keyId: created.view.id });
  await follow.stop();
});

test('a key stored under another pepper does not verify', async () => {
  const { clock, consumers, store, index, follow } = await setup();
  const consumer = await consumers.create({ name: 'c' });
  const otherPepper = new KeyService(store, new ApiKeyRepository(store.db), { pepper: 'another-pepper-of-thirty-two-characters!', product: 'ptc', environment: 'test', maxAgeDays: 90, warnAgeDays: 75 }, clock, new ConsumerRepository(store.db));
  const { key } = await otherPepper.create(TEST_ACTOR, { consumerId: consumer.id, name: 'k', scopes: [] });
  await follow.load();
  assert.deepEqual(index.verify(key, clock.now()), { ok: false, reason: 'mismatch' });
  await follow.stop();
});

test('remembers verified keys by digest only, bounded, and still refuses a revoked, expired or disabled one at once', async () => {
  const cache = new VerifiedTokenCache<{ id: string; key: unknown }>(60_000, 2);
  const { clock, consumers, service, index, follow } = await setup(cache as never);
  const consumer = await consumers.create({ name: 'c' });
  const issued = await Promise.all(['a', 'b', 'c'].map((name) => service.create(TEST_ACTOR, { consumerId: consumer.id, name, scopes: [] })));
  await follow.load();
  const now = clock.now();
  for (const { key } of issued) assert.equal(index.verify(key, now).ok, true);
  assert.equal(cache.size, 2, 'bounded: the oldest success is dropped');
  const held = [...cache.keys()];
  for (const { key, view } of issued) {
    assert.ok(held.every((entry) => !entry.includes(key) && !entry.includes(view.id) && !entry.includes(key.slice(17, 41))), 'no key, id or secret in the cache keys');
  }
  for (const value of [...cache.keys()].map((entry) => JSON.stringify(cache.get(entry, now)))) {
    for (const { key } of issued) assert.ok(!value.includes(key.slice(17, 41)), 'no secret in the cached values');
  }
  const [, second, third] = issued as [unknown, { key: string; view: { id: string } }, { key: string; view: { id: string } }];
  assert.equal(cache.size, 2);
  // A cached key with another secret in the same id is no hit: its digest differs.
  const wrong = second.key.slice(0, 17) + (second.key[17] === 'a' ? 'b' : 'a') + second.key.slice(18);
  assert.equal(index.verify(wrong, now).ok, false);

  // Revoked while remembered: refused from the moment the index has it.
  await service.revoke(TEST_ACTOR, second.view.id);
  await follow.refresh();
  assert.deepEqual(index.verify(second.key, now), { ok: false, reason: 'revoked', keyId: second.view.id });
  // Expired while remembered: the injected clock decides, not the cache.
  assert.equal(index.verify(third.key, now).ok, true);
  assert.deepEqual(index.verify(third.key, now + 90 * 86400000), { ok: false, reason: 'expired' });
  // The consumer disabled while remembered.
  assert.equal(index.verify(third.key, now).ok, true);
  await consumers.setStatus(consumer.id, 'disabled');
  await follow.refresh();
  assert.deepEqual(index.verify(third.key, now), { ok: false, reason: 'consumer_disabled' });
  await follow.stop();
});
