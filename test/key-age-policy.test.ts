import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { ManualClock } from '../src/core/clock.js';
import { assertProblem, startUpstream, type TestUpstream } from './helpers/index.js';
import { startKeyGateway } from './helpers/keys.js';

const DAY = 86400000;

describe('key-age policy per consumer (metadata.apiKeys.maxAgeDays)', () => {
  let upstream: TestUpstream;
  let gw: Awaited<ReturnType<typeof startKeyGateway>>;
  const clock = new ManualClock(Date.UTC(2026, 10, 22));

  before(async () => {
    upstream = await startUpstream();
    gw = await startKeyGateway(upstream.url, { apiKeys: { pepper: '${env:PORTCULLIS_KEY_PEPPER}', lastUsedFlushMs: 200, maxAgeDays: 90, warnAgeDays: 75 } }, { clock });
  });
  after(async () => {
    await gw.close();
    await upstream.close();
  });

  const createConsumer = async (name: string, metadata?: unknown) => gw.admin.call('POST', '/v1/consumers', metadata === undefined ? { name } : { name, metadata });
  const expiresAt = async (consumerId: string, extra: Record<string, unknown> = {}) => {
    const reply = await gw.admin.call('POST', '/v1/keys', { consumerId, name: 'k', scopes: [], ...extra });
    return reply;
  };

  test('a consumer with its own policy gets keys of that life by default and cannot ask for longer; others keep the organisation policy', async () => {
    const short = (await createConsumer('short-lived', { apiKeys: { maxAgeDays: 30 } })).json<{ id: string }>().id;
    const plain = (await createConsumer('plain')).json<{ id: string }>().id;

    const created = await expiresAt(short);
    assert.equal(created.status, 201);
    assert.equal(created.json<{ apiKey: { expiresAt: string } }>().apiKey.expiresAt, new Date(clock.now() + 30 * DAY).toISOString());
    const tooLong = await expiresAt(short, { expiresInDays: 31 });
    assertProblem(tooLong, 400, 'admin.invalid_request');
    assert.match(tooLong.json<{ detail: string }>().detail, /between 1 and 30 \(the key-age policy of consumer/);
    assert.equal((await expiresAt(short, { expiresInDays: 30 })).status, 201);

    const ordinary = await expiresAt(plain);
    assert.equal(ordinary.json<{ apiKey: { expiresAt: string } }>().apiKey.expiresAt, new Date(clock.now() + 90 * DAY).toISOString());
    assert.equal((await expiresAt(plain, { expiresInDays: 31 })).status, 201, 'the organisation policy allows 90 days');

    // Rotation issues the replacement under the same consumer's policy.
    const id = created.json<{ apiKey: { id: string } }>().apiKey.id;
    const rotated = await gw.admin.call('POST', `/v1/keys/${id}/rotate`, {});
    assert.equal(rotated.status, 201, rotated.text);
    assert.equal(rotated.json<{ apiKey: { expiresAt: string } }>().apiKey.expiresAt, new Date(clock.now() + 30 * DAY).toISOString());
  });

  test('a policy that is not a whole number of days from 1 to 3650 is refused when the consumer is created', async () => {
    for (const metadata of [{ apiKeys: { maxAgeDays: 0 } }, { apiKeys: { maxAgeDays: 3651 } }, { apiKeys: { maxAgeDays: 1.5 } }, { apiKeys: { maxAgeDays: '30' } }, { apiKeys: 30 }]) {
      const reply = await createConsumer(`bad-${JSON.stringify(metadata).replace(/[^a-z0-9]/gi, '')}`, metadata);
      assertProblem(reply, 400, 'admin.invalid_request');
    }
    assert.equal((await createConsumer('other-metadata', { apiKeys: {}, team: 'x' })).status, 201, 'no maxAgeDays: no override');
  });
});
