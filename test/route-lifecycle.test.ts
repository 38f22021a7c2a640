/**
 * Route lifecycle (issue 24 §3): Deprecation (RFC 9745) and Sunset (RFC 8594) headers with their
 * links on every response of a deprecated route, 410 route.sunset from the sunset date on (an
 * injected clock), and the calls counted per consumer in the store (route_traffic), never per
 * request in the database.
 */
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { ManualClock } from '../src/core/clock.js';
import { validateConfig } from '../src/config/loader.js';
import { openStore } from '../src/store/open-store.js';
import { RouteTrafficCounters, routeTrafficSummary, usageByConsumer } from '../src/store/route-traffic.js';
import { createLogger } from '../src/observability/logger.js';
import { migratedStore, STORE_BACKENDS } from './helpers/store-backends.js';
import { assertProblem, baseConfig, httpRequest, startUpstream } from './helpers/index.js';
import { startKeyGateway } from './helpers/keys.js';
import { writeContract } from './helpers/contracts.js';

const silentLogger = createLogger({ level: 'silent', redactHeaders: [] }, { write: () => true });
const DAY = 86_400_000;
const START = Date.UTC(2026, 5, 1, 12);
const DEPRECATED = Date.UTC(2026, 4, 1);
const SUNSET = Date.UTC(2026, 5, 15);

test('a deprecated route announces Deprecation, Sunset and its links, answers 410 route.sunset from the sunset on, and its callers are counted per consumer', async () => {
  const clock = new ManualClock(START);
  let upstreamCalls = 0;
  const upstream = await startUpstream((_req, res) => {
    upstreamCalls++;
    res.writeHead(200, { 'content-type': 'application/json', link: '</v1/accounts?page=2>; rel="next"' });
    res.end('{}');
  });
  const path = join(mkdtempSync(join(tmpdir(), 'portcullis-lifecycle-')), 'store.db');
  const gw = await startKeyGateway(
    upstream.url,
    {
      routes: [
        { name: 'accounts-v1', methods: ['GET'], path: '/v1/accounts', upstream: 'backend', version: 'v1', owner: 'team-accounts', deprecated: '2026-05-01', sunset: '2026-06-15', successor: 'https://api.example.com/v2/accounts', deprecationLink: 'https://developer.example.com/deprecations/accounts-v1', policies: { 'auth-apikey': {} } },
        { name: 'accounts-v2', methods: ['GET'], path: '/v2/accounts', upstream: 'backend', version: 'v2', policies: { 'auth-apikey': {} } },
      ],
    },
    { clock, store: { path, pollIntervalMs: 100 } },
  );
  try {
    const acme = await gw.admin.consumer('acme');
    const { key } = await gw.admin.key(acme, []);
    const before = await httpRequest(`${gw.url}/v1/accounts`, { headers: { 'x-api-key': key } });
    assert.equal(before.status, 200, before.text);
    // RFC 9745 §2: a Structured Field Date, @ and epoch seconds; RFC 8594 §3: an HTTP-date.
    assert.equal(before.headers.deprecation, `@${DEPRECATED / 1000}`);
    assert.equal(before.headers.sunset, 'Mon, 15 Jun 2026 00:00:00 GMT');
    assert.equal(
      before.headers.link,
      [
        '</v1/accounts?page=2>; rel="next"',
        '<https://developer.example.com/deprecations/accounts-v1>; rel="deprecation"',
        '<https://developer.example.com/deprecations/accounts-v1>; rel="sunset"',
        '<https://api.example.com/v2/accounts>; rel="successor-version"',
      ].join(', '),
    );
    // A refusal on the route says so too (every response of the route).
    const refused = await httpRequest(`${gw.url}/v1/accounts`);
    assertProblem(refused, 401, 'auth.missing_credentials');
    assert.equal(refused.headers.deprecation, `@${DEPRECATED / 1000}`);
    // A route without a lifecycle sends none of it.
    const current = await httpRequest(`${gw.url}/v2/accounts`, { headers: { 'x-api-key': key } });
    assert.equal(current.status, 200);
    assert.equal(current.headers.deprecation, undefined);
    assert.equal(current.headers.sunset, undefined);
    assert.equal(current.headers.link, '</v1/accounts?page=2>; rel="next"');

    // One millisecond before the sunset the route still answers; at the sunset it is gone.
    clock.advance(SUNSET - START - 1);
    assert.equal((await httpRequest(`${gw.url}/v1/accounts`, { headers: { 'x-api-key': key } })).status, 200);
    const callsBefore = upstreamCalls;
    clock.advance(1);
    const gone = await httpRequest(`${gw.url}/v1/accounts`, { headers: { 'x-api-key': key } });
    const problem = assertProblem(gone, 410, 'route.sunset');
    assert.match(String(problem.detail), /https:\/\/api\.example\.com\/v2\/accounts/);
    assert.equal(gone.headers.sunset, 'Mon, 15 Jun 2026 00:00:00 GMT');
    assert.match(String(gone.headers.link), /<https:\/\/api\.example\.com\/v2\/accounts>; rel="successor-version"/);
    assert.equal(upstreamCalls, callsBefore, 'a sunset route never calls the upstream');
    // An anonymous caller of the retired route is refused by authentication first: 401, not 410.
    assertProblem(await httpRequest(`${gw.url}/v1/accounts`), 401, 'auth.missing_credentials');
  } finally {
    await gw.close();
    await upstream.close();
  }
  const store = openStore({ driver: 'sqlite', path });
  try {
    const consumers = await store.db.selectFrom('consumers').select(['id', 'name']).execute();
    const acme = consumers.find((c) => c.name === 'acme')!.id;
    const now = clock.now();
    assert.deepEqual(await usageByConsumer(store, ['accounts-v1'], now), [
      { route: 'accounts-v1', consumer: acme, requests: 3, lastSeen: SUNSET },
      { route: 'accounts-v1', consumer: '-', requests: 2, lastSeen: SUNSET },
    ]);
    const summary = await routeTrafficSummary(store, now);
    // The 24 hours before the sunset hold the last two calls; the 30 days all of them.
    assert.deepEqual(summary.get('accounts-v1'), { last24h: { requests: 3, errors: 0, consumers: 1 }, last30d: { requests: 5, errors: 0, consumers: 1 } });
    assert.deepEqual(summary.get('accounts-v2'), { last24h: { requests: 0, errors: 0, consumers: 0 }, last30d: { requests: 1, errors: 0, consumers: 1 } });
    // Counters, not entity changes: nothing in the change feed names them.
    const changes = await store.db.selectFrom('changes').select('entity').execute();
    assert.ok(!changes.some((row) => /traffic/.test(row.entity)));
  } finally {
    await store.close();
  }
});

test('config: lifecycle dates must be real dates, the sunset not before the deprecation, deprecationLink only with a date', () => {
  const config = baseConfig(['http://127.0.0.1:1'], {
    routes: [
      { name: 'a', methods: ['GET'], path: '/a', upstream: 'backend', deprecated: '2026-02-30' },
      { name: 'b', methods: ['GET'], path: '/b', upstream: 'backend', deprecated: '2026-06-01', sunset: '2026-05-01' },
      { name: 'c', methods: ['GET'], path: '/c', upstream: 'backend', deprecationLink: 'https://example.com/d' },
      { name: 'd', methods: ['GET'], path: '/d', upstream: 'backend', deprecated: '2026-06-01T10:00:00+02:00', sunset: '2026-12-01', successor: '/v2/d' },
    ],
  });
  const result = validateConfig(config, {});
  assert.equal(result.ok, false);
  const issues = result.ok ? [] : result.issues.map((issue) => `${issue.path}: ${issue.message}`);
  assert.deepEqual(issues.sort(), [
    'routes[0].deprecated: "2026-02-30" is not a date (YYYY-MM-DD or an RFC 3339 date-time)',
    'routes[1].sunset: is before the deprecation date: a route is deprecated first, then sunset',
    'routes[2].deprecationLink: applies only with deprecated or sunset',
  ]);
});

test('config: successor and deprecationLink are URIs (RFC 3986 characters only), so the Link header they go into stays well-formed', () => {
  const bad = ['/v2\nX-Injected: 1', '/v2> ; rel="x"', 'https://a b', '/v2\u0000', 'https://example.com/"quoted"'];
  for (const successor of bad) {
    for (const field of ['successor', 'deprecationLink'] as const) {
      const config = baseConfig(['http://127.0.0.1:1'], { routes: [{ name: 'a', methods: ['GET'], path: '/a', upstream: 'backend', deprecated: '2026-06-01', [field]: successor }] });
      const result = validateConfig(config, {});
      assert.equal(result.ok, false, `${field} ${JSON.stringify(successor)} is refused`);
      assert.ok(!result.ok && result.issues.some((issue) => issue.path === `routes[0].${field}`), JSON.stringify(result.ok ? [] : result.issues));
    }
  }
  const good = validateConfig(baseConfig(['http://127.0.0.1:1'], { routes: [{ name: 'a', methods: ['GET'], path: '/a', upstream: 'backend', deprecated: '2026-06-01', successor: 'https://api.example.com/v2/accounts?x=1&y=%20#top', deprecationLink: '/docs/deprecations/a' }] }), {});
  assert.ok(good.ok, good.ok ? '' : JSON.stringify(good.issues));
});

test("contractRoutes: every generated route carries the entry's metadata, and the document's info.version by default", () => {
  const config = baseConfig(['http://127.0.0.1:1'], {
    routes: [],
    contractRoutes: [{ contract: writeContract(), upstream: 'backend', pathPrefix: '/v1', owner: 'payments-team', tags: ['payments'], deprecated: '2026-01-01' }],
  });
  const result = validateConfig(config, {});
  assert.ok(result.ok, result.ok ? '' : JSON.stringify(result.issues));
  assert.ok(result.config.routes.length > 0);
  for (const route of result.config.routes) {
    assert.equal(route.owner, 'payments-team');
    assert.deepEqual(route.tags, ['payments']);
    assert.equal(route.deprecated, '2026-01-01');
    assert.equal(route.version, '1');
  }
});

for (const backend of STORE_BACKENDS) {
  describe(`route traffic on ${backend.name}`, { skip: backend.skip }, () => {
    const holder = migratedStore(backend);

    test('flushes from two nodes add up by route, consumer and hour; the windows count whole hours; rows past 31 days are pruned', async () => {
      const clock = new ManualClock(Date.UTC(2026, 0, 1, 10, 30));
      const logger = () => silentLogger;
      const one = new RouteTrafficCounters(holder.store, { flushMs: 60_000, logger, now: () => clock.now() });
      const two = new RouteTrafficCounters(holder.store, { flushMs: 60_000, logger, now: () => clock.now() });
      one.record('r', 'c1', false, clock.now());
      one.record('r', 'c1', true, clock.now());
      two.record('r', 'c1', false, clock.now() + 1);
      two.record('r', '-', false, clock.now());
      await one.flush();
      await two.stop();
      clock.advance(20 * DAY);
      one.record('r', 'c2', false, clock.now());
      one.record('other', 'c1', false, clock.now());
      await one.flush();
      const summary = await routeTrafficSummary(holder.store, clock.now());
      assert.deepEqual(summary.get('r'), { last24h: { requests: 1, errors: 0, consumers: 1 }, last30d: { requests: 5, errors: 1, consumers: 2 } });
      assert.deepEqual(await usageByConsumer(holder.store, ['r'], clock.now()), [
        { route: 'r', consumer: 'c1', requests: 3, lastSeen: Date.UTC(2026, 0, 1, 10, 30) + 1 },
        { route: 'r', consumer: '-', requests: 1, lastSeen: Date.UTC(2026, 0, 1, 10, 30) },
        { route: 'r', consumer: 'c2', requests: 1, lastSeen: clock.now() },
      ]);
      // 32 days after the first calls, the next flush removes their hour.
      clock.advance(12 * DAY);
      await one.flush();
      const left = await holder.store.db.selectFrom('route_traffic').select(['route', 'consumer']).where('route', '=', 'r').execute();
      assert.deepEqual(left, [{ route: 'r', consumer: 'c2' }]);
    });
  });
}
