/**
 * The store of a gateway config, opened by a CLI command that works on it directly (`migrate`, the
 * private CA's `--config`), and the actor such a command writes as: `cli:<login name>`.
 */
import { userInfo } from 'node:os';
import type { Actor } from '../core/actor.js';
import { systemClock } from '../core/clock.js';
import { formatIssue, loadConfigFile } from '../config/loader.js';
import type { GatewayConfig } from '../config/schema.js';
import { createLogger } from '../observability/logger.js';
import { migrateToLatest, openStore, type OpenedStore } from '../store/open-store.js';
import { Store } from '../store/store.js';
import { CliError } from './admin-client.js';

/** Opens the store named by the config file's `store` section; CliError when there is none. */
export async function openConfiguredStore(configPath: string): Promise<{ opened: OpenedStore; migrateOnStart: boolean; config: GatewayConfig }> {
  const loaded = await loadConfigFile(configPath);
  if (!loaded.ok) throw new CliError(`${configPath} is invalid:\n${loaded.issues.map((issue) => `  ${formatIssue(issue)}`).join('\n')}`);
  const storeConfig = loaded.config.store;
  if (!storeConfig) throw new CliError(`${configPath} has no store section`);
  const opened = openStore(storeConfig.driver === 'postgres' ? { driver: 'postgres', url: storeConfig.url!.reveal() } : { driver: 'sqlite', path: storeConfig.path });
  return { opened, migrateOnStart: storeConfig.migrateOnStart, config: loaded.config };
}

/** The local user running the command: who the change rows name. */
export function cliActor(): Actor {
  let login = 'unknown';
  try {
    login = userInfo().username || login;
  } catch {
    // No passwd entry (a container with an arbitrary uid): the kind still says it was the CLI.
  }
  return { kind: 'cli', id: login };
}

/**
 * The unit of work over the config's store, migrated first unless `store.migrateOnStart` is
 * false (then the schema must be current: run `portcullis migrate`). Its `store.changed` lines go
 * to stderr, so the command's own output stays clean.
 */
export async function openCliStore(configPath: string): Promise<Store> {
  const { opened, migrateOnStart } = await openConfiguredStore(configPath);
  try {
    if (migrateOnStart) await migrateToLatest(opened);
  } catch (error) {
    await opened.close();
    throw new CliError(`the store of ${configPath} could not be migrated: ${(error as Error).message}`);
  }
  return new Store(opened, { clock: systemClock, logger: () => cliLogger });
}

const cliLogger = createLogger({ level: 'warn', redactHeaders: [] }, process.stderr);
