/**
 * One suite, run against every dialect: SQLite in a temporary file and the real PostgreSQL. Writes
 * go through the unit of work as TEST_ACTOR (unit-of-work.conformance.test.ts tests the unit itself).
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { SYSTEM_ACTOR } from '../core/actor.js';
import { ManualClock } from '../core/clock.js';
import { consumerWriter, STORE_BACKENDS, storeFor, TEST_ACTOR } from '../../test/helpers/store.js';
import { migrateToLatest, openStore } from './open-store.js';
import { OAuthClientRepository, SigningKeyRepository, TokenRevocationRepository } from './oauth-repositories.js';
import { ChangeFeed } from './change-feed.js';
import { PkiRepository } from './pki-repository.js';
import { ApiKeyRepository, ConflictError, ConsumerRepository, NotFoundError, type NewApiKey } from './repositories.js';
import type { Store } from './store.js';

const newKey = (id: string, consumerId: string, overrides: Partial<NewApiKey> = {}): NewApiKey => ({
  id,
  consumerId,
  name: `key ${id}`,
  environment: 'test',
  hash: `hash-of-${id}`,
  scopes: ['accounts:read'],
  expiresAt: null,
  createdBy: 'tester',
  ...overrides,
});

for (const backend of STORE_BACKENDS) {
  describe(`store conformance: ${backend.name}`, { skip: backend.skip }, () => {
    let store: Store;
    let cleanup: () => Promise<void>;
    const clock = new ManualClock(Date.UTC(2026, 10, 1));
    let consumerRepository: ConsumerRepository;
    let keys: ApiKeyRepository;
    let feed: ChangeFeed;
    let consumers: ReturnType<typeof consumerWriter> & Pick<ConsumerRepository, 'get' | 'list'>;
    const insertKey = (key: NewApiKey) => store.write(TEST_ACTOR, 'api_key.create', (tx) => keys.insert(tx, key));
    const revokeKey = (id: string) => store.write(TEST_ACTOR, 'api_key.revoke', (tx) => keys.revoke(tx, id));
    const rotateKey = (id: string, replacement: NewApiKey, graceUntil: number) => store.write(TEST_ACTOR, 'api_key.rotate', (tx) => keys.rotate(tx, id, replacement, graceUntil));

    before(async () => {
      const opened = await backend.open();
      cleanup = opened.cleanup;
      const location = openStore(opened.location);
      await migrateToLatest(location);
      store = storeFor(location, clock);
      consumerRepository = new ConsumerRepository(store.db);
      keys = new ApiKeyRepository(store.db);
      feed = new ChangeFeed(store.db, store.dialect);
      consumers = { ...consumerWriter(store, consumerRepository), get: (id) => consumerRepository.get(id), list: () => consumerRepository.list() };
    });
    after(async () => {
      await store?.close();
      await cleanup?.();
    });

    test('migrations are idempotent', async () => {
      const again = await migrateToLatest(store);
      assert.deepEqual(again.results, []);
    });

    test('creates, reads and lists consumers with their metadata', async () => {
      const created = await consumers.create({ name: 'acme-bank', metadata: { tier: 'gold', contacts: ['ops@acme.test'] } });
      assert.match(created.id, /^con_[0-9A-Za-z]{16}$/);
      assert.deepEqual(await consumers.get(created.id), created);
      assert.equal(created.status, 'active');
      assert.equal(created.createdAt, clock.now());
      assert.ok((await consumers.list()).some((c) => c.id === created.id));
    });

    test('refuses a second consumer with the same name', async () => {
      await consumers.create({ name: 'unique-co' });
      await assert.rejects(consumers.create({ name: 'unique-co' }), ConflictError);
    });

    test('reports a missing consumer or key as not found', async () => {
      await assert.rejects(consumers.get('con_missing'), NotFoundError);
      await assert.rejects(keys.get('missing'), NotFoundError);
      await assert.rejects(revokeKey('missing'), NotFoundError);
    });

    test('stores keys by id with their hash, scopes and expiry, and lists them by consumer', async () => {
      const consumer = await consumers.create({ name: 'payroll-co' });
      const stored = await insertKey(newKey('k1', consumer.id, { expiresAt: clock.now() + 1000, scopes: ['a', 'b'] }));
      assert.deepEqual(await keys.get('k1'), stored);
      assert.deepEqual(stored.scopes, ['a', 'b']);
      assert.equal(stored.status, 'active');
      assert.deepEqual((await keys.list({ consumerId: consumer.id })).map((k) => k.id), ['k1']);
    });

    test('refuses keys for a disabled or unknown consumer', async () => {
      const consumer = await consumers.create({ name: 'soon-disabled' });
      await consumers.setStatus(consumer.id, 'disabled');
      await assert.rejects(insertKey(newKey('k-disabled', consumer.id)), ConflictError);
      await assert.rejects(insertKey(newKey('k-orphan', 'con_nobody')), NotFoundError);
    });

    test('revokes a key at once, and revoking twice changes nothing', async () => {
      const consumer = await consumers.create({ name: 'revoker' });
      await insertKey(newKey('k-rev', consumer.id));
      clock.advance(5);
      const revoked = await revokeKey('k-rev');
      assert.equal(revoked.status, 'revoked');
      assert.equal(revoked.revokedAt, clock.now());
      const revision = await feed.latestRevision();
      await revokeKey('k-rev');
      assert.equal(await feed.latestRevision(), revision);
    });

    test('rotates a key: the replacement is active and the old one expires at the grace deadline', async () => {
      const consumer = await consumers.create({ name: 'rotator' });
      await insertKey(newKey('k-old', consumer.id, { expiresAt: clock.now() + 10 * 86400000 }));
      const graceUntil = clock.now() + 3600000;
      const { old, replacement } = await rotateKey('k-old', newKey('k-new', consumer.id), graceUntil);
      assert.equal(old.replacedBy, 'k-new');
      assert.equal(old.expiresAt, graceUntil);
      assert.equal(replacement.status, 'active');
      await assert.rejects(rotateKey('k-old', newKey('k-newer', consumer.id), graceUntil), ConflictError, 'a key rotates once');
    });

    test('lets only one of several concurrent rotations (or a racing revocation) win', async () => {
      const consumer = await consumers.create({ name: 'racer' });
      await insertKey(newKey('k-race', consumer.id));
      const attempts = await Promise.allSettled([1, 2, 3].map((i) => rotateKey('k-race', newKey(`k-race-${i}`, consumer.id), clock.now() + 1000)));
      assert.equal(attempts.filter((a) => a.status === 'fulfilled').length, 1);
      assert.ok(attempts.filter((a) => a.status === 'rejected').every((a) => (a as PromiseRejectedResult).reason instanceof ConflictError));
      const active = (await keys.list({ consumerId: consumer.id })).filter((k) => k.id.startsWith('k-race-'));
      assert.equal(active.length, 1, 'the losers left no replacement behind');
      await insertKey(newKey('k-race-revoke', consumer.id));
      await Promise.allSettled([revokeKey('k-race-revoke'), rotateKey('k-race-revoke', newKey('k-race-revoke-2', consumer.id), clock.now() + 1000)]);
      const after = await keys.get('k-race-revoke');
      if (after.replacedBy === null) await assert.rejects(keys.get('k-race-revoke-2'), NotFoundError, 'a revoked key got no replacement');
    });

    test('never pushes an expiry back on rotation', async () => {
      const consumer = await consumers.create({ name: 'short-lived' });
      const expiresAt = clock.now() + 1000;
      await insertKey(newKey('k-short', consumer.id, { expiresAt }));
      const { old } = await rotateKey('k-short', newKey('k-short-2', consumer.id), clock.now() + 86400000);
      assert.equal(old.expiresAt, expiresAt);
    });

    test('records last-used times in one batch', async () => {
      const consumer = await consumers.create({ name: 'busy' });
      await insertKey(newKey('k-used-1', consumer.id));
      await insertKey(newKey('k-used-2', consumer.id));
      const revision = await feed.latestRevision();
      await store.write(SYSTEM_ACTOR, 'api_key.record_last_used', (tx) => keys.recordLastUsed(tx, new Map([['k-used-1', 111], ['k-used-2', 222]])));
      assert.equal(await feed.latestRevision(), revision, 'last-used times write no change rows');
      assert.equal((await keys.get('k-used-1')).lastUsedAt, 111);
      assert.equal((await keys.get('k-used-2')).lastUsedAt, 222);
    });

    test('the change feed names every changed entity after a revision, in order', async () => {
      const start = await feed.latestRevision();
      const consumer = await consumers.create({ name: 'feed-watcher' });
      await insertKey(newKey('k-feed', consumer.id));
      await consumers.setStatus(consumer.id, 'disabled');
      const batch = await feed.since(start);
      assert.equal(batch.revision, start + 3);
      assert.deepEqual(batch.changed.consumer, [consumer.id]);
      assert.deepEqual(batch.changed.api_key, ['k-feed']);
      const next = await feed.since(batch.revision);
      assert.deepEqual([next.revision, next.complete], [batch.revision, true]);
      for (const ids of Object.values(next.changed)) assert.deepEqual(ids, []);
    });

    test('concurrent writers get distinct revisions that a follower never skips', async () => {
      const start = await feed.latestRevision();
      const created = await Promise.all(Array.from({ length: 12 }, (_, i) => consumers.create({ name: `parallel-${i}` })));
      const batch = await feed.since(start);
      assert.equal(batch.revision, start + 12);
      assert.deepEqual(new Set(batch.changed.consumer), new Set(created.map((c) => c.id)));
    });

    test('OAuth clients keep the previous secret hash until the grace deadline, and their changes are in the feed', async () => {
      const repository = new OAuthClientRepository(store.db);
      const clients = {
        insert: (client: Parameters<OAuthClientRepository['insert']>[1]) => store.write(TEST_ACTOR, 'oauth_client.create', (tx) => repository.insert(tx, client)),
        rotateSecret: (id: string, hash: string, graceUntil: number) => store.write(TEST_ACTOR, 'oauth_client.rotate_secret', (tx) => repository.rotateSecret(tx, id, hash, graceUntil)),
        revoke: (id: string) => store.write(TEST_ACTOR, 'oauth_client.revoke', (tx) => repository.revoke(tx, id)),
      };
      const consumer = await consumers.create({ name: 'oauth-partner' });
      const start = await feed.latestRevision();
      const client = await clients.insert({ id: 'cli-1', consumerId: consumer.id, name: 'sync', secretHash: 'aa', jwks: null, scopes: ['accounts:read'] });
      assert.deepEqual(client.scopes, ['accounts:read']);
      assert.equal(client.createdBy, 'cli:test', 'the actor is the creator');
      const rotated = await clients.rotateSecret('cli-1', 'bb', clock.now() + 60000);
      assert.deepEqual([rotated.secretHash, rotated.previousSecretHash, rotated.previousSecretExpiresAt], ['bb', 'aa', clock.now() + 60000]);
      assert.equal((await clients.revoke('cli-1')).status, 'revoked');
      await assert.rejects(clients.rotateSecret('cli-1', 'cc', 0), ConflictError);
      await assert.rejects(clients.insert({ id: 'cli-2', consumerId: 'con_nobody', name: 'x', secretHash: null, jwks: null, scopes: [] }), NotFoundError);
      assert.deepEqual((await feed.since(start)).changed.oauth_client, ['cli-1']);
    });

    test('signing keys rotate once when due, however many nodes ask at once, and retired keys get a publish deadline', async () => {
      const repository = new SigningKeyRepository(store.db);
      const keysRepo = {
        rotateIfDue: (maxAgeMs: number, publishForMs: number, force: boolean, next: () => Promise<{ id: string; algorithm: string; publicJwk: Record<string, unknown>; privateJwkEncrypted: string }>, algorithm?: string) =>
          store.write(SYSTEM_ACTOR, 'signing_key.rotate', (tx) => repository.rotateIfDue(tx, maxAgeMs, publishForMs, force, next, algorithm)),
        list: () => repository.list(),
      };
      let made = 0;
      const next = async () => ({ id: `sk-${++made}`, algorithm: 'ES256', publicJwk: { kty: 'EC' }, privateJwkEncrypted: 'v1.x.y.z' });
      const first = await Promise.all([1, 2, 3].map(() => keysRepo.rotateIfDue(1000, 500, false, next)));
      assert.equal(first.filter(Boolean).length, 1, 'one node made the first key');
      assert.equal(await keysRepo.rotateIfDue(1000, 500, false, next), undefined, 'not due yet');
      const forced = await keysRepo.rotateIfDue(1000, 500, true, next);
      const all = await keysRepo.list();
      assert.deepEqual(all.filter((key) => key.status === 'active').map((key) => key.id), [forced!.id]);
      const retired = all.find((key) => key.status === 'retired')!;
      assert.equal(retired.publishUntil, clock.now() + 500);
      const nextRs = async () => ({ id: `sk-rs-${++made}`, algorithm: 'RS256', publicJwk: { kty: 'RSA' }, privateJwkEncrypted: 'v1.x.y.z' });
      assert.ok(await keysRepo.rotateIfDue(1000, 500, false, nextRs, 'RS256'), 'a changed algorithm makes the key due');
      assert.equal(await keysRepo.rotateIfDue(1000, 500, false, nextRs, 'RS256'), undefined);
    });

    test('a client assertion jti is accepted once; revoked tokens are listed until they expire', async () => {
      const repository = new TokenRevocationRepository(store.db, clock);
      const revocations = {
        useAssertion: (clientId: string, jti: string, expiresAt: number) => repository.useAssertion(clientId, jti, expiresAt),
        revoke: (jti: string, clientId: string, expiresAt: number) => store.write({ kind: 'data-plane', id: clientId }, 'oauth_token.revoke', (tx) => repository.revoke(tx, jti, clientId, expiresAt)),
        listLive: () => repository.listLive(),
      };
      assert.equal(await revocations.useAssertion('cli-1', 'jti-1', clock.now() + 1000), true);
      assert.equal(await revocations.useAssertion('cli-1', 'jti-1', clock.now() + 1000), false);
      assert.equal(await revocations.useAssertion('cli-other', 'jti-1', clock.now() + 1000), true);
      await revocations.revoke('tok-1', 'cli-1', clock.now() + 1000);
      await revocations.revoke('tok-1', 'cli-1', clock.now() + 1000);
      assert.deepEqual((await revocations.listLive()).map((token) => token.jti), ['tok-1']);
      clock.advance(2000);
      assert.deepEqual(await revocations.listLive(), []);
    });

    test('keeps private CA certificates per CA, revokes each once, and keeps the newest CRL, each a change', async () => {
      const pki = new PkiRepository(store.db);
      const start = await feed.latestRevision();
      const record = { caId: 'ca-a', serial: '1f', consumerId: 'acme', subject: 'CN=acme', fingerprintSha256: 'ab', notBefore: 1, notAfter: 2, status: 'active' as const, revokedAt: null };
      assert.equal(await store.write(TEST_ACTOR, 'certificate.issue', (tx) => pki.insert(tx, record)), true);
      assert.equal(await store.write(TEST_ACTOR, 'certificate.import', (tx) => pki.insert(tx, record)), false, 'a serial is recorded once');
      await store.write(TEST_ACTOR, 'certificate.issue', (tx) => pki.insert(tx, { ...record, caId: 'ca-b' }));
      assert.equal((await pki.get('ca-a', '1f'))?.issuedBy, 'cli:test');
      assert.equal(await store.write(TEST_ACTOR, 'certificate.revoke', (tx) => pki.revoke(tx, 'ca-a', '1f')), true);
      assert.equal(await store.write(TEST_ACTOR, 'certificate.revoke', (tx) => pki.revoke(tx, 'ca-a', '1f')), false, 'revoking twice changes nothing');
      assert.deepEqual([(await pki.get('ca-a', '1f'))?.status, (await pki.get('ca-b', '1f'))?.status], ['revoked', 'active']);
      await store.write(TEST_ACTOR, 'crl.sign', (tx) => pki.saveCrl(tx, { caId: 'ca-a', crlNumber: 5, thisUpdate: 1, nextUpdate: 2, pem: 'first' }));
      await store.write(TEST_ACTOR, 'crl.sign', (tx) => pki.saveCrl(tx, { caId: 'ca-a', crlNumber: 6, thisUpdate: 3, nextUpdate: 4, pem: 'second' }));
      assert.deepEqual(await pki.latestCrl('ca-a'), { caId: 'ca-a', crlNumber: 6, thisUpdate: 3, nextUpdate: 4, pem: 'second' });
      const batch = await feed.since(start);
      assert.deepEqual(new Set(batch.changed.certificate), new Set(['ca-a:1f', 'ca-b:1f']));
      assert.deepEqual(batch.changed.crl, ['ca-a']);
      assert.equal(batch.revision, start + 5);
    });
  });
}
