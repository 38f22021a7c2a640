import assert from 'node:assert/strict';
import { test } from 'node:test';
import { migrations } from './migrations.js';

/**
 * Migrations that have landed on main, in order. Append a new migration's name here too: the test
 * then fails if a migration is ever numbered below (or inserted before) one that has shipped.
 */
const SHIPPED = ['0001_consumers_and_api_keys', '0004_oauth_clients_and_signing_keys', '0005_rate_limit_overrides', '0006_change_actor_and_action', '0007_change_notifications', '0008_private_ca_records'];

test('every shipped migration keeps its place: new ones come after them', () => {
  for (const dialect of ['sqlite', 'postgres'] as const) {
    assert.deepEqual(Object.keys(migrations(dialect)).slice(0, SHIPPED.length), SHIPPED, dialect);
  }
});

test('migrations are declared in the order Kysely runs them (by name), so an upgraded store starts', () => {
  for (const dialect of ['sqlite', 'postgres'] as const) {
    const names = Object.keys(migrations(dialect));
    // Kysely sorts by name and refuses a store whose executed migrations are not a prefix of that
    // list: a migration numbered below one that has shipped breaks every upgraded store.
    assert.deepEqual(names, [...names].sort(), `${dialect}: append new migrations with the next number`);
    assert.equal(new Set(names.map((name) => name.slice(0, 4))).size, names.length, `${dialect}: one migration per number`);
  }
});
