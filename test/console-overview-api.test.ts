/**
 * The overview's top failing consumers (issue 25): GET /v1/inventory/failing-consumers sums the
 * route counters of the last 24 h per consumer over every route, keeps those with an error, most
 * errors first, leaves out requests without a consumer and older hours, and answers exactly; on
 * SQLite and PostgreSQL. The counters get there as the data plane's flush writes them.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { ManualClock } from '../src/core/clock.js';
import { addRouteTraffic, HOUR_MS } from '../src/store/route-traffic.js';
import { startUpstream, type TestUpstream } from './helpers/index.js';
import { KEY_ENV, startKeyGateway } from './helpers/keys.js';
import { postgresGatewayStore, skipWithoutPostgres } from './helpers/services.js';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const NOW = Date.UTC(2026, 5, 1, 12, 30);
const HOUR = Math.floor(NOW / HOUR_MS);
const iso = (ms: number) => new Date(ms).toISOString();

const BACKENDS = [
  { name: 'SQLite', skip: false as const, open: async () => ({ store: { path: join(mkdtempSync(join(tmpdir(), 'portcullis-failing-')), 'store.db'), pollIntervalMs: 100 }, env: {}, drop: async () => {} }) },
  {
    name: 'PostgreSQL',
    skip: skipWithoutPostgres,
    open: async () => {
      const pg = await postgresGatewayStore('FAILING_DATABASE_URL', 100);
      return { store: pg.store, env: { FAILING_DATABASE_URL: pg.url }, drop: pg.drop };
    },
  },
];

for (const backend of BACKENDS) {
  describe(`top failing consumers on ${backend.name}`, { skip: backend.skip }, () => {
    let upstream: TestUpstream;
    let drop: () => Promise<void> = async () => {};
    before(async () => {
      upstream = await startUpstream();
    });
    after(async () => {
      await upstream?.close();
      await drop();
    });

    test('sums the last 24 h per consumer over every route, most errors first; no consumer, no errors and older hours are left out', async () => {
      const opened = await backend.open();
      drop = opened.drop;
      const gw = await startKeyGateway(upstream.url, {}, { clock: new ManualClock(NOW), store: opened.store, env: { ...KEY_ENV, ...opened.env } });
      try {
        const store = gw.gateway.services.store!;
        await addRouteTraffic(store as never, [
          { route: 'accounts', consumer: 'con_acme', hour: HOUR, requests: 10, errors: 2, lastSeen: NOW - 60_000 },
          { route: 'payments', consumer: 'con_acme', hour: HOUR - 3, requests: 5, errors: 3, lastSeen: NOW - 3 * HOUR_MS },
          // 25 hours ago: outside the window.
          { route: 'accounts', consumer: 'con_acme', hour: HOUR - 25, requests: 50, errors: 50, lastSeen: NOW - 25 * HOUR_MS },
          { route: 'accounts', consumer: 'con_beta', hour: HOUR - 1, requests: 6, errors: 5, lastSeen: NOW - HOUR_MS },
          { route: 'accounts', consumer: 'con_gamma', hour: HOUR, requests: 7, errors: 0, lastSeen: NOW - 1000 },
          { route: 'accounts', consumer: '-', hour: HOUR, requests: 9, errors: 9, lastSeen: NOW },
        ]);
        const reply = await gw.admin.call('GET', '/v1/inventory/failing-consumers');
        assert.equal(reply.status, 200, reply.text);
        assert.deepEqual(reply.json(), {
          consumers: [
            { consumerId: 'con_acme', last24h: { requests: 15, errors: 5 }, lastSeen: iso(NOW - 60_000) },
            { consumerId: 'con_beta', last24h: { requests: 6, errors: 5 }, lastSeen: iso(NOW - HOUR_MS) },
          ],
        });
        assert.deepEqual((await gw.admin.call('GET', '/v1/inventory/failing-consumers?limit=1')).json(), { consumers: [{ consumerId: 'con_acme', last24h: { requests: 15, errors: 5 }, lastSeen: iso(NOW - 60_000) }] });
        assert.equal((await gw.admin.call('GET', '/v1/inventory/failing-consumers?limit=0')).status, 400);
      } finally {
        await gw.close();
      }
    });
  });
}
