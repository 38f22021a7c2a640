/**
 * The running gateway: its listeners, the admin listener, the runtime in force, reload and
 * graceful shutdown. Reload builds a whole new runtime and swaps one reference, so requests in
 * flight finish on the config they started with; a config that fails validation never replaces
 * the one serving.
 */
import { watch, type FSWatcher } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { basename, dirname } from 'node:path';
import type { DestinationStream } from 'pino';
import { systemClock, type Clock } from '../core/clock.js';
import type { ConfigIssue } from '../core/policy.js';
import { formatIssue, loadConfigFile } from '../config/loader.js';
import type { GatewayConfig, ListenerConfig } from '../config/schema.js';
import { createAdminApi } from '../admin/admin-api.js';
import { createLogger, stdoutDestination } from '../observability/logger.js';
import { GatewayMetrics } from '../observability/metrics.js';
import { createAdminServer } from './admin.js';
import { answerClientError } from './client-errors.js';
import { createRequestHandler } from './request-handler.js';
import { buildRuntime, type Runtime } from './runtime.js';
import { FailureThrottle } from '../security/failure-throttle.js';
import { openServices, type OpenedServices } from './services.js';

export interface GatewayOptions {
  config: GatewayConfig;
  /** Where the config came from: needed for reload on SIGHUP or file change. */
  configPath?: string;
  /** Log destination (default: standard output). */
  logDestination?: DestinationStream;
  clock?: Clock;
  env?: NodeJS.ProcessEnv;
}

export interface BoundListener {
  readonly name: string;
  readonly host: string;
  readonly port: number;
  readonly url: string;
}

export type ReloadResult = { ok: true; revision: number } | { ok: false; issues: ConfigIssue[] };

export class Gateway {
  #runtime: Runtime;
  #revision = 1;
  #inflight = 0;
  #draining = false;
  #ready = false;
  #watcher: FSWatcher | undefined;
  #reloadTimer: NodeJS.Timeout | undefined;
  readonly #servers: Array<{ config: ListenerConfig; server: Server }> = [];
  readonly #admin: Server;
  readonly #destination: DestinationStream;
  readonly #clock: Clock;
  readonly #options: GatewayOptions;
  readonly #services: OpenedServices;

  private constructor(options: GatewayOptions, destination: DestinationStream, clock: Clock, services: OpenedServices) {
    this.#options = options;
    this.#destination = destination;
    this.#clock = clock;
    this.#services = services;
    this.#runtime = buildRuntime(options.config, destination, clock, services.services, services.metrics);
    const api = createAdminApi({
      token: options.config.admin.token,
      consumers: services.consumers,
      keys: services.keyService,
      // Its own counts: clients failing keys on the data plane must not lock operators out.
      failures: new FailureThrottle(options.config.bruteForce),
      logger: () => this.#runtime.logger,
      clock,
      typeBaseUrl: () => this.#runtime.config.errors.typeBaseUrl,
    });
    this.#admin = createAdminServer(
      {
        ready: () => this.#ready && !this.#draining,
        typeBaseUrl: () => this.#runtime.config.errors.typeBaseUrl,
        configRevision: () => this.#revision,
        metrics: async () => ({ contentType: services.metrics.registry.contentType, body: await services.metrics.registry.metrics() }),
      },
      api,
    );
  }

  /** Opens the store and key index (if configured), then the listeners. */
  static async start(options: GatewayOptions): Promise<Gateway> {
    const destination = options.logDestination ?? stdoutDestination();
    const clock = options.clock ?? systemClock;
    const logger = createLogger({ level: options.config.logging.level, redactHeaders: options.config.logging.redactHeaders }, destination);
    const services = await openServices(options.config, logger, clock);
    const gateway = new Gateway(options, destination, clock, services);
    try {
      await gateway.#listen();
    } catch (error) {
      await services.close();
      throw error;
    }
    return gateway;
  }

  /** The store's consumers and keys, for tests and tools in the same process. */
  get services(): OpenedServices {
    return this.#services;
  }

  get config(): GatewayConfig {
    return this.#runtime.config;
  }

  get logger() {
    return this.#runtime.logger;
  }

  /** Requests being handled right now. */
  get inflight(): number {
    return this.#inflight;
  }

  get listeners(): BoundListener[] {
    return this.#servers.map(({ config, server }) => toBound(config.name, server));
  }

  /** URL of the first listener, or of the one named. */
  url(name?: string): string {
    const found = name === undefined ? this.listeners[0] : this.listeners.find((listener) => listener.name === name);
    if (!found) throw new Error(`no listener named ${name}`);
    return found.url;
  }

  get adminUrl(): string {
    return toBound('admin', this.#admin).url;
  }

  async #listen(): Promise<void> {
    const config = this.#runtime.config;
    for (const listener of config.listeners) {
      const server = createServer({
        maxHeaderSize: listener.maxHeaderBytes,
        headersTimeout: listener.headersTimeoutMs,
        requestTimeout: listener.requestTimeoutMs,
        keepAliveTimeout: listener.keepAliveTimeoutMs,
        // How often Node checks the two timeouts above; its default (30 s) would let a slow head
        // linger far past headersTimeoutMs.
        connectionsCheckingInterval: Math.max(100, Math.min(1000, Math.floor(listener.headersTimeoutMs / 2))),
        // Host is checked by the request handler, which answers with a problem (RFC 9112 §3.2).
        requireHostHeader: false,
      });
      const handler = createRequestHandler({
          listener: { name: listener.name, protocol: 'http', bodyIdleTimeoutMs: listener.bodyIdleTimeoutMs },
          runtime: () => this.#runtime,
          draining: () => this.#draining,
          onStart: () => this.#inflight++,
          onEnd: (route, status) => {
            this.#inflight--;
            this.#services.metrics.requests.inc({ route, status: GatewayMetrics.statusClass(status) });
          },
      });
      server.on('request', handler);
      // Expect: 100-continue is answered by the proxy when it starts forwarding the body, so a
      // request refused by a policy (413, 401) never invites the client to send its body.
      server.on('checkContinue', handler);
      server.on('clientError', (error: Error & { code?: string }, socket) => answerClientError(error, socket, this.#runtime, listener.name));
      await listenOn(server, listener.host, listener.port);
      this.#servers.push({ config: listener, server });
    }
    await listenOn(this.#admin, config.admin.host, config.admin.port);
    if (config.admin.token && !['127.0.0.1', '::1', 'localhost'].includes(config.admin.host)) {
      this.logger.warn({ event: 'admin.exposed', host: config.admin.host }, 'the admin API listens beyond loopback: keep it on a management network');
    }
    this.#ready = true;
    this.logger.info({ event: 'gateway.started', listeners: this.listeners, admin: this.adminUrl, routes: config.routes.length }, 'gateway started');
  }

  /** Swaps in a validated config. Listener and admin changes need a restart and are reported. */
  async reload(config: GatewayConfig): Promise<ReloadResult> {
    const previous = this.#runtime;
    let next: Runtime;
    try {
      next = buildRuntime(config, this.#destination, this.#clock, this.#services.services, this.#services.metrics);
    } catch (error) {
      // A config that validated but cannot be built is refused like an invalid one.
      previous.logger.error({ event: 'config.reload_rejected', err: error }, 'new config could not be applied: the previous config keeps serving');
      return { ok: false, issues: [{ path: '(config)', message: `could not be applied: ${(error as Error).message}` }] };
    }
    this.#runtime = next;
    this.#revision++;
    const startOnly = ['listeners', 'admin', 'store', 'apiKeys', 'bruteForce'] as const;
    const changed = startOnly.filter((section) => JSON.stringify(previous.config[section]) !== JSON.stringify(config[section]));
    if (changed.length > 0) {
      next.logger.warn({ event: 'config.restart_required', sections: changed }, 'some settings take effect only after a restart');
    }
    next.logger.info({ event: 'config.reloaded', revision: this.#revision, routes: config.routes.length }, 'config reloaded');
    // Old pools close once the requests still using them (retries included) are done.
    previous.retire().catch((error: unknown) => next.logger.warn({ event: 'config.old_pools_close_failed', err: error }, 'closing the previous upstream pools failed'));
    return { ok: true, revision: this.#revision };
  }

  /** Reads the config file again; an invalid one is refused, logged, and the old one keeps serving. */
  async reloadFromFile(): Promise<ReloadResult> {
    const path = this.#options.configPath;
    if (!path) return { ok: false, issues: [{ path: '(file)', message: 'the gateway was not started from a file' }] };
    const loaded = await loadConfigFile(path, this.#options.env ?? process.env);
    if (!loaded.ok) {
      this.logger.error({ event: 'config.reload_rejected', file: path, errors: loaded.issues.map(formatIssue) }, 'new config is invalid: the previous config keeps serving');
      return loaded;
    }
    return this.reload(loaded.config);
  }

  /** Reloads when the config file changes (debounced; editors write files in several steps). */
  watchConfigFile(): void {
    const path = this.#options.configPath;
    if (!path || this.#watcher) return;
    const file = basename(path);
    // Watching the folder, not the file, survives editors that replace the file by renaming.
    this.#watcher = watch(dirname(path), (_event, changed) => {
      if (changed !== null && changed !== file) return;
      clearTimeout(this.#reloadTimer);
      this.#reloadTimer = setTimeout(() => void this.reloadFromFile(), 200);
    });
    this.#watcher.on('error', (error) => this.logger.error({ event: 'config.watch_failed', err: error }, 'watching the config file failed: reload with SIGHUP'));
  }

  /**
   * Graceful shutdown: stop accepting, let in-flight requests finish up to the drain deadline,
   * then close what is left, and the upstream pools.
   */
  async close(drainTimeoutMs = this.#runtime.config.lifecycle.drainTimeoutMs): Promise<void> {
    if (this.#draining) return;
    this.#draining = true;
    this.#watcher?.close();
    clearTimeout(this.#reloadTimer);
    const logger = this.logger;
    logger.info({ event: 'gateway.draining', inflight: this.#inflight, drainTimeoutMs }, 'shutting down: draining in-flight requests');
    const closed = this.#servers.map(({ server }) => new Promise<void>((resolve) => server.close(() => resolve())));
    for (const { server } of this.#servers) server.closeIdleConnections();
    const deadline = Date.now() + drainTimeoutMs;
    while (this.#inflight > 0 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 25));
    if (this.#inflight > 0) logger.warn({ event: 'gateway.drain_timeout', inflight: this.#inflight }, 'drain deadline passed: closing remaining connections');
    for (const { server } of this.#servers) server.closeAllConnections();
    await Promise.all(closed);
    await new Promise<void>((resolve) => this.#admin.close(() => resolve()));
    this.#admin.closeAllConnections();
    await this.#runtime.close();
    await this.#services.close();
    logger.info({ event: 'gateway.stopped' }, 'gateway stopped');
    logger.flush();
  }
}

function listenOn(server: Server, host: string, port: number): Promise<void> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
}

function toBound(name: string, server: Server): BoundListener {
  const address = server.address() as AddressInfo;
  const host = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  const urlHost = address.address === '0.0.0.0' ? '127.0.0.1' : address.address === '::' ? '[::1]' : host;
  return { name, host: address.address, port: address.port, url: `http://${urlHost}:${address.port}` };
}
