import assert from 'node:assert/strict';
import { copyFileSync, mkdtempSync, renameSync } from 'node:fs';
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

test('reloads the database when its file is replaced', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'portcullis-geo-'));
  const path = join(dir, 'countries.mmdb');
  copyFileSync(BUNDLED_COUNTRY_DATABASE, path);
  const logs = new LogCapture();
  const db = await GeoDatabase.open(path, createLogger({ level: 'info', redactHeaders: [] }, logs));
  copyFileSync(BUNDLED_COUNTRY_DATABASE, join(dir, 'next.mmdb'));
  renameSync(join(dir, 'next.mmdb'), path); // how deployments swap files: atomically
  await logs.waitFor((r) => r.event === 'geo.database_reloaded', 12000);
  assert.equal(db.lookup('8.8.8.8').country, 'US');
});
