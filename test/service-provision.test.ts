/**
 * Services by declaration, on a real gateway: a reload opens what the new config's policies
 * require when it can be opened at run time, and otherwise refuses in plain words that name the
 * service and say a restart is needed, while the old config keeps serving.
 */
import assert from 'node:assert/strict';
import { copyFileSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { BUNDLED_COUNTRY_DATABASE } from '../src/geo/geo-database.js';
import { baseConfig, httpRequest, startGateway, startUpstream } from './helpers/index.js';
import { KEY_ENV, keysConfig } from './helpers/keys.js';

function configFile(config: Record<string, unknown>): string {
  const file = join(mkdtempSync(join(tmpdir(), 'portcullis-services-')), 'portcullis.json');
  writeFileSync(file, JSON.stringify(config));
  return file;
}

describe('services opened by what policies require', () => {
  test('a reload that first turns on geo opens the geo database, and the new route locates clients', async () => {
    const upstream = await startUpstream();
    const config = baseConfig([upstream.url], { trustedProxies: ['127.0.0.1'] });
    const file = configFile(config);
    const gw = await startGateway(config, { configPath: file });
    try {
      assert.equal(gw.logs.records.filter((r) => r.event === 'geo.database_loaded').length, 0, 'no policy requires the database at start');
      writeFileSync(file, JSON.stringify({ ...config, routes: [{ name: 'located', methods: ['GET'], path: '/*', upstream: 'backend', policies: { geo: { headers: ['country'] } } }] }));
      const result = await gw.gateway.reloadFromFile();
      assert.deepEqual(result, { ok: true, revision: 2 });
      assert.equal(gw.logs.records.filter((r) => r.event === 'geo.database_loaded').length, 1);
      assert.equal((await httpRequest(`${gw.url}/where`, { headers: { 'x-forwarded-for': '8.8.8.8' } })).status, 200);
      assert.equal(upstream.requests.at(-1)!.headers['x-geo-country'], 'US');
      // A second reload that still uses it keeps the one database...
      assert.equal((await gw.gateway.reloadFromFile()).ok, true);
      assert.equal(gw.logs.records.filter((r) => r.event === 'geo.database_loaded').length, 1);
      // ...and one that names another database file opens that one.
      const copy = join(mkdtempSync(join(tmpdir(), 'portcullis-geo-')), 'country.mmdb');
      copyFileSync(BUNDLED_COUNTRY_DATABASE, copy);
      writeFileSync(file, JSON.stringify({ ...config, geo: { databasePath: copy }, routes: [{ name: 'located', methods: ['GET'], path: '/*', upstream: 'backend', policies: { geo: { headers: ['country'] } } }] }));
      assert.equal((await gw.gateway.reloadFromFile()).ok, true);
      const loaded = gw.logs.records.filter((r) => r.event === 'geo.database_loaded');
      assert.equal(loaded.length, 2);
      assert.equal(loaded[1]!.path, copy);
      assert.equal((await httpRequest(`${gw.url}/where`, { headers: { 'x-forwarded-for': '2.16.0.1' } })).status, 200);
      assert.equal(upstream.requests.at(-1)!.headers['x-geo-country'], 'NL');
    } finally {
      await gw.close();
      await upstream.close();
    }
  });

  test('a reload that newly needs the API-key index is refused: it names the service, says to restart, and the old config serves', async () => {
    const upstream = await startUpstream();
    const config = baseConfig([upstream.url]);
    const file = configFile(config);
    const gw = await startGateway(config, { configPath: file, env: KEY_ENV });
    try {
      const withKeys = keysConfig(upstream.url, { routes: [{ name: 'keyed', methods: ['GET'], path: '/*', upstream: 'backend', policies: { 'auth-apikey': {} } }] });
      writeFileSync(file, JSON.stringify({ ...withKeys, admin: config.admin }));
      const result = await gw.gateway.reloadFromFile();
      const expected = 'routes[0].policies.auth-apikey: the auth-apikey policy requires the apiKeys service, which opens only at start (it needs the store and apiKeys sections): restart the gateway to apply this config';
      assert.equal(result.ok, false);
      assert.deepEqual(!result.ok && result.issues.map((issue) => `${issue.path}: ${issue.message}`), [expected]);
      const rejected = await gw.logs.waitFor((r) => r.event === 'config.reload_rejected');
      assert.equal(rejected.level, 'error');
      assert.deepEqual(rejected.errors, [expected]);
      assert.equal((await httpRequest(`${gw.url}/open`)).status, 200, 'the old config, without keys, still serves');
      assert.equal((await httpRequest(`${gw.gateway.adminUrl}/readyz`)).json().configRevision, 1);
    } finally {
      await gw.close();
      await upstream.close();
    }
  });
});
