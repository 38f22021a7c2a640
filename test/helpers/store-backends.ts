/**
 * The store dialects a suite runs against: SQLite in a temporary file and the real PostgreSQL (in
 * a fresh schema of its own).
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before } from 'node:test';
import { migrateToLatest, openStore, type OpenedStore, type StoreLocation } from '../../src/store/open-store.js';
import { createPostgresSchema, POSTGRES_URL, skipWithoutPostgres } from './services.js';

export interface StoreBackend {
  readonly name: 'SQLite' | 'PostgreSQL';
  readonly skip: false | string;
  open(): Promise<{ location: StoreLocation; cleanup(): Promise<void> }>;
}

export const STORE_BACKENDS: readonly StoreBackend[] = [
  { name: 'SQLite', skip: false, open: async () => ({ location: { driver: 'sqlite', path: join(mkdtempSync(join(tmpdir(), 'portcullis-store-')), 'store.db') }, cleanup: async () => {} }) },
  {
    name: 'PostgreSQL',
    skip: skipWithoutPostgres,
    async open() {
      const { schema, drop } = await createPostgresSchema();
      return { location: { driver: 'postgres', url: POSTGRES_URL, schema }, cleanup: drop };
    },
  },
];

/** Inside a describe(): a migrated store of `backend`, opened before its tests, closed and dropped after. */
export function migratedStore(backend: StoreBackend): { readonly store: OpenedStore } {
  const holder = {} as { store: OpenedStore };
  let cleanup: (() => Promise<void>) | undefined;
  before(async () => {
    const opened = await backend.open();
    cleanup = opened.cleanup;
    holder.store = openStore(opened.location);
    await migrateToLatest(holder.store);
  });
  after(async () => {
    await holder.store?.close();
    await cleanup?.();
  });
  return holder;
}
