/** Where the configured store is: the store's connection settings, read from the config. */
import type { GatewayConfig } from '../config/schema.js';
import type { StoreLocation } from '../store/open-store.js';

/** Where the configured store is (the gateway opens it; the `--workers` primary migrates it once, without loading the gateway). */
export function storeLocation(storeConfig: NonNullable<GatewayConfig['store']>, onHealth?: (up: boolean, reason?: string) => void): StoreLocation {
  return storeConfig.driver === 'postgres'
    ? { driver: 'postgres', url: storeConfig.url!.reveal(), connectTimeoutMs: storeConfig.connectTimeoutMs, queryTimeoutMs: storeConfig.queryTimeoutMs, onHealth }
    : { driver: 'sqlite', path: storeConfig.path };
}
