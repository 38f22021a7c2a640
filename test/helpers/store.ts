/**
 * The store's unit of work for tests: a Store over an opened (and migrated) store, a test actor,
 * and consumer writes as one-liners.
 */
import type { Actor } from '../../src/core/actor.js';
import type { Clock } from '../../src/core/clock.js';
import { createLogger, type Logger } from '../../src/observability/logger.js';
import type { OpenedStore } from '../../src/store/open-store.js';
import type { ConsumerStatus } from '../../src/store/tables.js';
import { ConsumerRepository, type Consumer } from '../../src/store/repositories.js';
import { Store } from '../../src/store/store.js';
export { STORE_BACKENDS } from './store-backends.js';

/** The actor of writes a test makes directly. */
export const TEST_ACTOR: Actor = Object.freeze({ kind: 'cli', id: 'test' });

/** Logs to nowhere unless a logger is given. */
export function storeFor(opened: OpenedStore, clock: Clock, logger?: Logger): Store {
  const quiet = logger ?? createLogger({ level: 'silent', redactHeaders: [] }, { write: () => true });
  return new Store(opened, { clock, logger: () => quiet });
}

/** Consumer writes through the unit of work, as TEST_ACTOR. */
export function consumerWriter(store: Store, repository: ConsumerRepository = new ConsumerRepository(store.db)) {
  return {
    create: (input: { name: string; metadata?: Record<string, unknown> }): Promise<Consumer> => store.write(TEST_ACTOR, 'consumer.create', (tx) => repository.create(tx, input)),
    setStatus: (id: string, status: ConsumerStatus): Promise<Consumer> => store.write(TEST_ACTOR, status === 'active' ? 'consumer.enable' : 'consumer.disable', (tx) => repository.setStatus(tx, id, status)),
  };
}

