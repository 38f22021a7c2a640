/**
 * The admin listener's socket (the admin API, /healthz, /readyz, /metrics, the console): bound on
 * the worker that serves it, with `admin.tls` when set (its certificate, CAs and CRLs reload like
 * a client listener's; turning TLS on or off needs a restart), closed with its connections.
 */
import type { Server } from 'node:http';
import type { SsoService } from '../admin/sso/open-sso.js';
import type { GatewayConfig } from '../config/schema.js';
import { listenOn, StartupError, toBound } from './listen.js';
import type { ListenerTls } from './listener-tls.js';
import type { ListenerEntry, ListenerTlsDeps, TlsListenerConfig } from './listener-tls-reload.js';

type TlsReload = typeof import('./listener-tls-reload.js');

export interface AdminListenerDeps {
  /** Makes the server (admin-wiring.ts), with the TLS state or for plain HTTP. */
  readonly createServer: (tls: ListenerTls | undefined) => Server;
  readonly sso: SsoService | undefined;
  readonly tlsDeps: ListenerTlsDeps;
  /** The TLS reload module, loaded on first use (it brings in @peculiar/x509). */
  readonly loadTlsReload: () => Promise<TlsReload>;
}

export class AdminListener {
  #server: Server | undefined;
  /** The TLS state, files and watchers (admin.tls), like a client listener's entry; undefined without TLS. */
  #entry: ListenerEntry<TlsListenerConfig> | undefined;

  constructor(private readonly deps: AdminListenerDeps) {}

  get entry(): ListenerEntry<TlsListenerConfig> | undefined {
    return this.#entry;
  }

  get listening(): boolean {
    return this.#server?.listening === true;
  }

  /** Its URL; throws when it does not listen. */
  get url(): string {
    if (!this.#server?.listening) throw new Error('the admin listener is not listening (admin.enabled: false, or not started)');
    return toBound('admin', this.#server, this.#entry ? 'https' : 'http').url;
  }

  /** Opens admin.tls (when set), then binds. Throws StartupError when admin.sso maps a group to a role that does not exist. */
  async listen(config: GatewayConfig): Promise<void> {
    // Custom roles live in the store, so this is the first moment the mapping can be checked.
    const problems = (await this.deps.sso?.roleMappingProblems()) ?? [];
    if (problems.length > 0) throw new StartupError(`admin.sso: ${problems.join('; ')}`);
    const tlsConfig = config.admin.tls;
    const tlsReload = tlsConfig ? await this.deps.loadTlsReload() : undefined;
    const tls = tlsConfig ? await tlsReload!.openListenerTls({ name: 'admin', tls: tlsConfig }, this.deps.tlsDeps) : undefined;
    const server = (this.#server = this.deps.createServer(tls));
    if (tls) {
      this.#entry = { config: { name: 'admin', tls: tlsConfig }, server, tls, watchers: [] };
      tlsReload!.watchListenerTlsFiles(this.#entry, this.deps.tlsDeps);
    }
    await listenOn(server, config.admin.host, config.admin.port, 'the admin listener');
  }

  /** A reloaded config's admin.tls: its certificate, CAs and CRLs are loaded again when they changed. */
  applyTls(config: GatewayConfig): void {
    const entry = this.#entry;
    if (!entry || !config.admin.tls || JSON.stringify(entry.config.tls) === JSON.stringify(config.admin.tls)) return;
    entry.config = { name: 'admin', tls: config.admin.tls };
    void this.deps.loadTlsReload().then((reload) => reload.reloadListenerTls(entry, this.deps.tlsDeps));
  }

  /** Closes the listener, its connections and its TLS state (watchers, CRL timers). */
  async close(): Promise<void> {
    this.deps.sso?.close();
    if (this.#entry) await closeListenerEntryTls(this.#entry);
    const server = this.#server;
    if (!server) return;
    const closed = server.listening ? new Promise<void>((resolve) => server.close(() => resolve())) : Promise.resolve();
    server.closeAllConnections();
    await closed;
  }
}

/** Stops a listener entry's file watchers and pending reload, and closes its TLS state. */
export async function closeListenerEntryTls(entry: Pick<ListenerEntry<TlsListenerConfig>, 'watchers' | 'reloadTimer' | 'tls'>): Promise<void> {
  for (const watcher of entry.watchers) watcher.close();
  clearTimeout(entry.reloadTimer);
  await entry.tls?.close();
}
