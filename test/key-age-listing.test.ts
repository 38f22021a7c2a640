/**
 * Issue 24 §5: the warn age is relative to each consumer's key-age policy, and keys are listed by
 * how soon they end or how old they are (GET /v1/keys?expiring=&olderThan=, `keys list
 * --expiring 30d --older-than 90d`). The gateway runs on a manual clock; the CLI is the real bin.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { ManualClock } from '../src/core/clock.js';
import { runCliAsync } from './helpers/cli.js';
import { assertProblem, startUpstream, type TestUpstream } from './helpers/index.js';
import { ADMIN_TOKEN, startKeyGateway } from './helpers/keys.js';

const DAY = 86400000;
const START = Date.UTC(2026, 0, 1);

interface Key {
  id: string;
  status: string;
  createdAt: string;
  expiresAt: string | null;
  policyExpiresAt: string;
  pastWarningAge: boolean;
}

describe('key-age warn window per consumer and age filters of key listings', () => {
  let upstream: TestUpstream;
  let gw: Awaited<ReturnType<typeof startKeyGateway>>;
  const clock = new ManualClock(START);
  let shortConsumer: string;
  let plainConsumer: string;
  // Made on day 0: a 30-day key, a 90-day key and a 10-day key; on day 20 another 90-day key.
  let short: string;
  let plain: string;
  let tenDay: string;
  let young: string;
  let revoked: string;

  before(async () => {
    upstream = await startUpstream();
    // maxAgeDays 90, warnAgeDays 75: a warn window of 15 days before each key's end.
    gw = await startKeyGateway(upstream.url, { apiKeys: { pepper: '${env:PORTCULLIS_KEY_PEPPER}', lastUsedFlushMs: 200, maxAgeDays: 90, warnAgeDays: 75 } }, { clock });
    shortConsumer = (await gw.admin.call('POST', '/v1/consumers', { name: 'short-co', metadata: { apiKeys: { maxAgeDays: 30 } } })).json<{ id: string }>().id;
    plainConsumer = await gw.admin.consumer('plain-co');
    short = (await gw.admin.key(shortConsumer, [])).id;
    plain = (await gw.admin.key(plainConsumer, [])).id;
    tenDay = (await gw.admin.key(plainConsumer, [], { expiresInDays: 10 })).id;
    revoked = (await gw.admin.key(plainConsumer, [])).id;
    assert.equal((await gw.admin.call('POST', `/v1/keys/${revoked}/revoke`, {})).status, 200);
    clock.advance(20 * DAY);
    young = (await gw.admin.key(plainConsumer, [])).id;
  });
  after(async () => {
    await gw.close();
    await upstream.close();
  });

  const key = async (id: string) => {
    const reply = await gw.admin.call('GET', `/v1/keys/${id}`);
    assert.equal(reply.status, 200, reply.text);
    return reply.json<Key>();
  };
  const listed = async (query: string) => {
    const reply = await gw.admin.call('GET', `/v1/keys?${query}`);
    assert.equal(reply.status, 200, reply.text);
    return reply.json<{ items: Key[] }>().items.map((item) => item.id);
  };
  const sorted = (...ids: string[]) => [...ids].sort();
  /** The CLI's table: columns padded to the widest cell, two spaces apart, no trailing blanks. */
  const textTable = (rows: string[][]) => {
    const widths = rows[0]!.map((_, i) => Math.max(...rows.map((row) => row[i]!.length)));
    return rows.map((row) => row.map((cell, i) => cell.padEnd(widths[i]!)).join('  ').trimEnd()).join('\n') + '\n';
  };

  test("flags a key past its consumer's warn age: 15 days before a 30-day policy ends, not at the organisation's 75 days", async () => {
    // Day 20 (from before): the 30-day key is 5 days from its end, inside the 15-day window.
    assert.equal((await key(short)).pastWarningAge, true);
    assert.equal((await key(short)).policyExpiresAt, new Date(START + 30 * DAY).toISOString());
    assert.equal((await key(plain)).pastWarningAge, false, 'an organisation-policy key is flagged from day 75 only');
    assert.equal((await key(plain)).policyExpiresAt, new Date(START + 90 * DAY).toISOString());
    assert.deepEqual([(await key(tenDay)).status, (await key(tenDay)).pastWarningAge], ['expired', false]);
  });

  test('filters by ?expiring= (ends within N days, or already past its policy) and ?olderThan= (created more than N days ago), active keys only', async () => {
    // Day 20: short ends day 30 (in 10 days), tenDay expired on day 10, plain ends day 90 (in 70), young ends day 110 (in 90).
    assert.deepEqual(await listed('expiring=10d'), [short]);
    assert.deepEqual(await listed('expiring=9d'), []);
    assert.deepEqual(await listed('expiring=70d'), sorted(short, plain));
    assert.deepEqual(await listed('expiring=90d'), sorted(short, plain, young));
    assert.deepEqual(await listed('olderThan=19d'), sorted(short, plain));
    assert.deepEqual(await listed('olderThan=20d'), [], 'exactly 20 days old is not older than 20 days');
    assert.deepEqual(await listed(`olderThan=19d&expiring=30d&consumerId=${plainConsumer}`), []);
    assert.deepEqual(await listed(`olderThan=19d&expiring=70d&consumerId=${plainConsumer}`), [plain]);
    // A page of one: the filter fills each page, and the cursor continues after the last listed key.
    const first = (await gw.admin.call('GET', '/v1/keys?olderThan=19d&limit=1')).json<{ items: Key[]; nextCursor: string }>();
    assert.equal(first.items.length, 1);
    const second = (await gw.admin.call('GET', `/v1/keys?olderThan=19d&limit=1&cursor=${first.nextCursor}`)).json<{ items: Key[]; nextCursor: string | null }>();
    assert.deepEqual(sorted(first.items[0]!.id, ...second.items.map((k) => k.id)), sorted(short, plain));
    for (const bad of ['expiring=30', 'expiring=0d', 'olderThan=1w', 'olderThan=5000d']) assertProblem(await gw.admin.call('GET', `/v1/keys?${bad}`), 400, 'admin.invalid_request');
  });

  test('keys list --expiring / --older-than print exactly the matching keys, and refuse a value that is not days', async () => {
    const env = { PORTCULLIS_ADMIN_URL: gw.gateway.adminUrl, PORTCULLIS_ADMIN_TOKEN: ADMIN_TOKEN };
    const expiring = await runCliAsync(['keys', 'list', '--expiring', '30d'], env);
    assert.equal(expiring.status, 0, expiring.stderr);
    const created = new Date(START).toISOString();
    const ends = new Date(START + 30 * DAY).toISOString();
    assert.equal(expiring.stdout, textTable([
      ['ID', 'CONSUMERID', 'NAME', 'STATUS', 'SCOPES', 'EXPIRESAT', 'POLICYEXPIRESAT', 'LASTUSEDAT', 'AGE'],
      [short, shortConsumer, 'test key', 'active', '-', ends, ends, '-', 'ROTATE'],
    ]));
    const older = await runCliAsync(['keys', 'list', '--older-than', '19d', '--consumer', plainConsumer, '--json'], env);
    assert.equal(older.status, 0, older.stderr);
    assert.deepEqual(
      (JSON.parse(older.stdout) as Key[]).map((k) => [k.id, k.createdAt, k.policyExpiresAt, k.pastWarningAge]),
      [[plain, created, new Date(START + 90 * DAY).toISOString(), false]],
    );
    for (const [option, value] of [
      ['--expiring', '30'],
      ['--older-than', '3 months'],
    ] as const) {
      const bad = await runCliAsync(['keys', 'list', option, value], env);
      assert.equal(bad.status, 1);
      assert.equal(bad.stdout, '');
      assert.match(bad.stderr, new RegExp(`${option} must be a number of days from 1 to 3650 written like 30d, not "${value}"`));
    }
  });
});
