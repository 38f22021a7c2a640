/**
 * Watching files the gateway reads (the config file, the contracts its policies name, listener
 * certificates) so that a change reloads them. Folders are watched, not files: editors and
 * certificate tooling replace files by renaming, which a watch on the file itself would miss.
 * Every change is debounced, since such tools write in several steps.
 */
import { watch, type FSWatcher } from 'node:fs';
import { basename, dirname } from 'node:path';
import type { LogEventAt } from '../core/log-events.js';
import type { GatewayConfig } from '../config/schema.js';
import type { Logger } from '../observability/logger.js';
import { POLICIES } from '../policies/index.js';

/** How long a burst of changes is waited out before one reload, in milliseconds. */
export const RELOAD_DEBOUNCE_MS = 200;

/**
 * Watches the folders of `files` and calls `onChange` when one of those files changes (or the
 * platform does not say which). Returns the watchers, unref'd so they never keep the process up.
 * A folder that cannot be watched is logged with `event` and skipped: reload then needs SIGHUP.
 */
export function watchFiles(files: readonly string[], onChange: () => void, logger: Logger, event: LogEventAt<'error'>, context: Record<string, unknown> = {}): FSWatcher[] {
  const watchers: FSWatcher[] = [];
  for (const folder of new Set(files.map((file) => dirname(file)))) {
    const names = new Set(files.filter((file) => dirname(file) === folder).map((file) => basename(file)));
    try {
      const watcher = watch(folder, (_event, changed) => {
        if (changed !== null && !names.has(changed)) return;
        onChange();
      });
      watcher.on('error', (error) => logger.error({ event, ...context, folder, err: error }, 'watching files failed: reload with SIGHUP'));
      watcher.unref();
      watchers.push(watcher);
    } catch (error) {
      logger.error({ event, ...context, folder, err: error }, 'watching files failed: reload with SIGHUP');
    }
  }
  return watchers;
}

/**
 * The config file and the files its policies read, watched together; `rewatch` follows a new
 * config (it may name other contracts). `onChange` is called once per debounced burst.
 */
export class ConfigFileWatcher {
  #configWatchers: FSWatcher[] = [];
  #policyWatchers: FSWatcher[] = [];
  #timer: NodeJS.Timeout | undefined;
  readonly #debounced: () => void;

  constructor(
    private readonly path: string,
    onChange: () => void,
    private readonly logger: () => Logger,
  ) {
    this.#debounced = () => {
      clearTimeout(this.#timer);
      this.#timer = setTimeout(onChange, RELOAD_DEBOUNCE_MS);
    };
  }

  start(config: GatewayConfig): void {
    this.#configWatchers = watchFiles([this.path], this.#debounced, this.logger(), 'config.watch_failed');
    this.rewatch(config);
  }

  /** Watches the files `config`'s policies name, instead of the previous config's. */
  rewatch(config: GatewayConfig): void {
    for (const watcher of this.#policyWatchers) watcher.close();
    this.#policyWatchers = watchFiles(policyFiles(config), this.#debounced, this.logger(), 'config.watch_failed');
  }

  close(): void {
    for (const watcher of [...this.#configWatchers, ...this.#policyWatchers]) watcher.close();
    this.#configWatchers = [];
    this.#policyWatchers = [];
    clearTimeout(this.#timer);
  }
}

/** Files named by the policies of a config (global and per route), absolute. */
function policyFiles(config: GatewayConfig): string[] {
  const files = new Set<string>();
  for (const policies of [config.policies, ...config.routes.map((route) => route.policies)]) {
    for (const { definition } of POLICIES) {
      const policyConfig = policies[definition.name];
      if (policyConfig && definition.watchedFiles) for (const file of definition.watchedFiles(policyConfig as never)) files.add(file);
    }
  }
  return [...files];
}
