/**
 * A writer process for the audit crash test (test/audit-crash.test.ts): it opens the store named by
 * its first argument (a StoreLocation as JSON) and creates consumers `<prefix>-0`, `<prefix>-1`, …
 * one unit of work each, printing `ack <name>` only after each commit: what it printed was
 * acknowledged to its caller. It runs until killed, or `count` writes when a third argument is given.
 */
import { systemClock } from '../../src/core/clock.js';
import { openStore, type StoreLocation } from '../../src/store/open-store.js';
import { ConsumerRepository } from '../../src/store/repositories.js';
import { storeFor, TEST_ACTOR } from './store.js';

const [locationJson, prefix, countText] = process.argv.slice(2);
const store = storeFor(openStore(JSON.parse(locationJson!) as StoreLocation), systemClock);
const consumers = new ConsumerRepository(store.db);
const count = countText === undefined ? Number.POSITIVE_INFINITY : Number(countText);
for (let i = 0; i < count; i++) {
  const name = `${prefix}-${i}`;
  await store.write(TEST_ACTOR, 'consumer.create', (tx) => consumers.create(tx, { name }));
  process.stdout.write(`ack ${name}\n`);
}
await store.close();
