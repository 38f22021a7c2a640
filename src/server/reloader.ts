/**
 * The config reloader: swaps in a validated config while the gateway serves, one reload at a time,
 * from a config object, the config file (SIGHUP, `reloadFromFile`) or a watched file change. It
 * knows nothing of listeners or services; the gateway hands it what a reload touches (ReloadTarget),
 * so a primary/worker model can run the same reloader where the config lives.
 */
import type { ConfigIssue } from '../core/policy.js';
import { formatIssue, loadConfigFile } from '../config/loader.js';
import type { GatewayConfig } from '../config/schema.js';
import type { ProvideResult } from './service-provision.js';
import { ConfigFileWatcher } from './file-watch.js';
import type { Runtime } from './runtime.js';

export type ReloadResult = { ok: true; revision: number } | { ok: false; issues: ConfigIssue[] };

/** What a reload acts on, provided by the gateway. */
export interface ReloadTarget {
  /** The runtime in force. */
  current(): Runtime;
  /** Builds a runtime for `config`; throws when a config that validated cannot be built. */
  build(config: GatewayConfig): Runtime;
  /** Puts `next` in force for new requests. */
  install(next: Runtime): void;
  /** Opens the services `config`'s policies require, or says why only a restart can (service-provision.ts). */
  provide(config: GatewayConfig): Promise<ProvideResult>;
  /** Logs how the contracts of a config just loaded from the file were made ready (compiled in a worker, from the cache). */
  contractsPrepared(): void;
  /** Applies the listeners' TLS part; false when anything else about the listeners changed. */
  applyListenerTls(config: GatewayConfig): boolean;
  /** After a reload took effect: records it (the audit trail's config.applied); never throws. */
  applied?(config: GatewayConfig, revision: number): Promise<void> | undefined;
}

/** Config sections read only at start: a reload that changes one is applied, and says a restart is needed for it. */
const START_ONLY_SECTIONS = ['nodeId', 'admin', 'probes', 'store', 'apiKeys', 'bruteForce', 'oauth', 'redis', 'audit', 'tracing'] as const;

export class ConfigReloader {
  #revision = 1;
  /** The reload in progress, if any: the next waits for it. */
  #queue: Promise<void> = Promise.resolve();
  /** The config file and the contracts it names, once watch() was called. */
  #watcher: ConfigFileWatcher | undefined;

  constructor(
    private readonly target: ReloadTarget,
    private readonly file: { path: string | undefined; env: NodeJS.ProcessEnv },
  ) {}

  /** The revision in force: 1 at start, one more for each reload applied. */
  get revision(): number {
    return this.#revision;
  }

  /**
   * Swaps in a validated config. Listener and start-only changes are reported as needing a
   * restart. Reloads run one at a time, in the order asked: each may first open services.
   */
  reload(config: GatewayConfig): Promise<ReloadResult> {
    const result = this.#queue.then(() => this.#apply(config));
    this.#queue = result.then(() => undefined, () => undefined);
    return result;
  }

  /** Reads the config file again; an invalid one is refused, logged, and the old one keeps serving. */
  async reloadFromFile(): Promise<ReloadResult> {
    const path = this.file.path;
    if (!path) return { ok: false, issues: [{ path: '(file)', message: 'the gateway was not started from a file' }] };
    // Its contracts compile in a worker thread meanwhile: requests are served throughout.
    const loaded = await loadConfigFile(path, this.file.env);
    this.target.contractsPrepared();
    if (!loaded.ok) {
      this.target.current().logger.error({ event: 'config.reload_rejected', file: path, errors: loaded.issues.map(formatIssue) }, 'new config is invalid: the previous config keeps serving');
      return loaded;
    }
    return this.reload(loaded.config);
  }

  /**
   * Reloads when the config file changes (debounced; editors write files in several steps), or
   * one of the files its policies read (an OpenAPI contract); those are watched again after
   * every reload, since the config may name others.
   */
  watch(): void {
    const path = this.file.path;
    if (!path || this.#watcher) return;
    this.#watcher = new ConfigFileWatcher(path, () => void this.reloadFromFile(), () => this.target.current().logger);
    this.#watcher.start(this.target.current().config);
  }

  /** Stops watching files (shutdown). */
  close(): void {
    this.#watcher?.close();
  }

  async #apply(config: GatewayConfig): Promise<ReloadResult> {
    // Services the new config's policies require: opened now if they can be, else a plain refusal.
    const provided = await this.target.provide(config);
    const previous = this.target.current();
    if (!provided.ok) {
      previous.logger.error({ event: 'config.reload_rejected', errors: [formatIssue(provided.issue)] }, 'new config needs a restart: the previous config keeps serving');
      return { ok: false, issues: [provided.issue] };
    }
    let next: Runtime;
    try {
      next = this.target.build(config);
    } catch (error) {
      // A config that validated but cannot be built is refused like an invalid one.
      previous.logger.error({ event: 'config.reload_rejected', err: error }, 'new config could not be applied: the previous config keeps serving');
      return { ok: false, issues: [{ path: '(config)', message: `could not be applied: ${(error as Error).message}` }] };
    }
    this.target.install(next);
    this.#watcher?.rewatch(config);
    this.#revision++;
    const changed: string[] = START_ONLY_SECTIONS.filter((section) => JSON.stringify(previous.config[section]) !== JSON.stringify(config[section]));
    if (!this.target.applyListenerTls(config)) changed.unshift('listeners');
    if (changed.length > 0) {
      next.logger.warn({ event: 'config.restart_required', sections: changed }, 'some settings take effect only after a restart');
    }
    next.logger.info({ event: 'config.reloaded', revision: this.#revision, routes: config.routes.length }, 'config reloaded');
    await this.target.applied?.(config, this.#revision);
    // Old pools close once the requests still using them (retries included) are done.
    previous.retire().catch((error: unknown) => next.logger.warn({ event: 'config.old_pools_close_failed', err: error }, 'closing the previous upstream pools failed'));
    return { ok: true, revision: this.#revision };
  }
}
