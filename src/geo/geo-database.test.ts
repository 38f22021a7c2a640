import assert from 'node:assert/strict';
import { copyFileSync, mkdtempSync, renameSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { LogCapture } from '../../test/helpers/index.js';
import { createLogger } from '../observability/logger.js';
import { BUNDLED_COUNTRY_DATABASE, GeoDatabase } from './geo-database.js';

test('derives continent, EU membership and currency from the country', async () => {
  const db = await GeoDatabase.open(BUNDLED_COUNTRY_DATABASE, createLogger({ level: 'silent', redactHeaders: [] }, new LogCapture()));
  assert.deepEqual(db.lookup('2.16.0.1'), { country: 'NL', continent: 'EU', eu: true, currency: 'EUR', region: undefined, city: undefined, asn: undefined, org: undefined });
  assert.equal(db.lookup('81.2.69.142').eu, false, 'GB is in Europe, not in the EU');
  assert.equal(db.lookup('2a00:1450:4001::1').country, 'IE');
  assert.equal(db.lookup('not an ip').country, undefined);
});

test('gives special-purpose addresses no location, whatever the database says', async () => {
  const db = await GeoDatabase.open(BUNDLED_COUNTRY_DATABASE, createLogger({ level: 'silent', redactHeaders: [] }, new LogCapture()));
  for (const ip of ['10.1.1.1', '100.64.0.1', '127.0.0.1', '169.254.1.1', '172.16.0.1', '192.168.1.1', '198.51.100.1', '203.0.113.1', '::1', '::c0a8:101', '2001:2::1', '2001:10::1', '2001:db8::1', 'fd00::1', 'fe80::1']) {
    assert.equal(db.lookup(ip).country, undefined, ip);
  }
});

test('reloads the database when its file is replaced', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'portcullis-geo-'));
  const path = join(dir, 'countries.mmdb');
  copyFileSync(BUNDLED_COUNTRY_DATABASE, path);
  const logs = new LogCapture();
  const db = await GeoDatabase.open(path, createLogger({ level: 'info', redactHeaders: [] }, logs));
  db.watch();
  await new Promise((resolve) => setTimeout(resolve, 500)); // let the watcher take its first look
  try {
    writeFileSync(join(dir, 'broken.mmdb'), 'this is not a database');
    renameSync(join(dir, 'broken.mmdb'), path);
    await logs.waitFor((r) => r.event === 'geo.database_reload_failed', 12000);
    assert.equal(db.lookup('8.8.8.8').country, 'US', 'a broken file is refused; the previous database serves');

    copyFileSync(BUNDLED_COUNTRY_DATABASE, join(dir, 'next.mmdb'));
    renameSync(join(dir, 'next.mmdb'), path); // how deployments swap files: atomically
    await logs.waitFor((r) => r.event === 'geo.database_reloaded', 12000);
    assert.equal(db.lookup('8.8.8.8').country, 'US');
  } finally {
    db.close();
  }
});
