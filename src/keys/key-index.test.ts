import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { ManualClock } from '../core/clock.js';
import { createLogger } from '../observability/logger.js';
import { LogCapture } from '../../test/helpers/index.js';
import { migrateToLatest, openStore } from '../store/open-store.js';
import { ApiKeyRepository, ChangeFeed, ConsumerRepository } from '../store/repositories.js';
import { KeyService } from './key-service.js';
import { KeyIndex } from './key-index.js';

const PEPPER = 'a-pepper-of-at-least-thirty-two-characters';

async function setup() {
  const store = openStore({ driver: 'sqlite', path: join(mkdtempSync(join(tmpdir(), 'portcullis-index-')), 'store.db') });
  await migrateToLatest(store);
  const clock = new ManualClock();
  const consumers = new ConsumerRepository(store.db, clock);
  const keys = new ApiKeyRepository(store.db, clock);
  const service = new KeyService(keys, { pepper: PEPPER, product: 'ptc', environment: 'test', maxAgeDays: 90, warnAgeDays: 75 }, clock);
  const logs = new LogCapture();
  const index = new KeyIndex(consumers, keys, new ChangeFeed(store.db), { pepper: PEPPER, pollIntervalMs: 50, lastUsedFlushMs: 50, logger: createLogger({ level: 'info', redactHeaders: [] }, logs), clock });
  return { store, clock, consumers, service, index, logs };
}

test('answers from memory: keys verify with the store gone, and a bad checksum never gets as far as a lookup', async () => {
  const { store, clock, consumers, service, index, logs } = await setup();
  const consumer = await consumers.create({ name: 'c' });
  const { key } = await service.create({ consumerId: consumer.id, name: 'k', scopes: ['s'], createdBy: 't' });
  await index.load();
  await store.close();

  const verdict = index.verify(key, clock.now());
  assert.ok(verdict.ok);
  assert.deepEqual(verdict.principal.scopes, ['s']);
  const mistyped = key.slice(0, -1) + (key.endsWith('a') ? 'b' : 'a');
  assert.deepEqual(index.verify(mistyped, clock.now()), { ok: false, reason: 'malformed' }, 'refused by its checksum');

  await index.refresh();
  const outage = logs.records.find((r) => r.event === 'store.unreachable');
  assert.ok(outage, 'the outage is logged, not silent');
  assert.equal(outage.level, 'error');
  assert.ok(index.verify(key, clock.now()).ok, 'the last snapshot keeps serving');
  await index.stop();
});

test('tells unknown, mismatched, revoked, expired and disabled apart', async () => {
  const { clock, consumers, service, index } = await setup();
  const consumer = await consumers.create({ name: 'c' });
  const live = await service.create({ consumerId: consumer.id, name: 'live', scopes: [], createdBy: 't' });
  const revoked = await service.create({ consumerId: consumer.id, name: 'revoked', scopes: [], createdBy: 't' });
  await service.revoke(revoked.view.id);
  await index.load();
  const now = clock.now();
  assert.equal(index.verify(live.key, now).ok, true);
  const other = await setup();
  const foreign = await other.service.create({ consumerId: (await other.consumers.create({ name: 'o' })).id, name: 'x', scopes: [], createdBy: 't' });
  assert.deepEqual(index.verify(foreign.key, now), { ok: false, reason: 'unknown' });
  assert.deepEqual(index.verify(revoked.key, now), { ok: false, reason: 'revoked' });
  assert.deepEqual(index.verify(live.key, now + 90 * 86400000), { ok: false, reason: 'expired' });
  await consumers.setStatus(consumer.id, 'disabled');
  await index.refresh();
  assert.deepEqual(index.verify(live.key, now), { ok: false, reason: 'consumer_disabled' });
  await index.stop();
  await other.index.stop();
});

test('a key stored under another pepper does not verify', async () => {
  const { clock, consumers, store, index } = await setup();
  const consumer = await consumers.create({ name: 'c' });
  const otherPepper = new KeyService(new ApiKeyRepository(store.db, clock), { pepper: 'another-pepper-of-thirty-two-characters!', product: 'ptc', environment: 'test', maxAgeDays: 90, warnAgeDays: 75 }, clock);
  const { key } = await otherPepper.create({ consumerId: consumer.id, name: 'k', scopes: [], createdBy: 't' });
  await index.load();
  assert.deepEqual(index.verify(key, clock.now()), { ok: false, reason: 'mismatch' });
  await index.stop();
});
