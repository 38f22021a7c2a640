/**
 * A listener's TLS state over time: opened at start, opened again when its files change or a
 * reload changes its settings, and swapped into the running server with setSecureContext, so
 * connections already open keep theirs and new handshakes get the new certificate and CAs.
 */
import type { FSWatcher } from 'node:fs';
import type { Server } from 'node:http';
import type { Server as TlsServer } from 'node:tls';
import type { Clock } from '../core/clock.js';
import type { ListenerConfig } from '../config/schema.js';
import type { DependencyHealth } from '../observability/dependency-health.js';
import type { Logger } from '../observability/logger.js';
import type { GatewayMetrics } from '../observability/metrics.js';
import { RELOAD_DEBOUNCE_MS, watchFiles } from './file-watch.js';
import { ListenerTls } from './listener-tls.js';
import { watchedTlsFiles } from '../config/tls-options.js';
import type { Outbound } from '../outbound/index.js';

/** What a listener's TLS state is opened from: a client listener's config, or the admin listener's (`admin`, admin.tls). */
export type TlsListenerConfig = Pick<ListenerConfig, 'name' | 'tls'>;

/** A bound listener with what changes while it runs. */
export interface ListenerEntry<C extends TlsListenerConfig = ListenerConfig> {
  config: C;
  readonly server: Server;
  /** The TLS state in force (replaced on reload or when its files change). */
  tls: ListenerTls | undefined;
  watchers: FSWatcher[];
  reloadTimer?: NodeJS.Timeout;
  /** Counts TLS reloads started, so a slower, older reload never overwrites a newer one. */
  tlsReloads?: number;
}

export interface ListenerTlsDeps {
  readonly logger: () => Logger;
  readonly clock: Clock;
  readonly metrics: GatewayMetrics;
  /** CRL sources report here (up/down), for /readyz and the outage log. */
  readonly health: DependencyHealth;
  /** CRL and OCSP fetches go through it. */
  readonly outbound: Outbound;
}

/** Opens `listener`'s TLS state (certificate, key, client CAs, CRLs, OCSP, ticket keys). */
export function openListenerTls(listener: TlsListenerConfig, deps: ListenerTlsDeps): Promise<ListenerTls> {
  const counters = deps.metrics.listenerTls(listener.name);
  const metrics = {
    ...counters,
    crlRefresh: (source: string, result: 'ok' | 'failed') => {
      counters.crlRefresh(source, result);
      if (result === 'ok') deps.health.up(`crl:${listener.name}:${source}`);
      else deps.health.down(`crl:${listener.name}:${source}`, 'CRL load or fetch failed (see crl.refresh_failed)');
    },
  };
  return ListenerTls.open(listener.name, listener.tls!, { logger: deps.logger(), clock: deps.clock, metrics, outbound: deps.outbound });
}

/**
 * Loads the entry's certificate, key, CAs and CRLs again and swaps them in. A failure keeps the
 * previous state serving, is logged (`tls.reload_failed`) and answers false; so does a reload
 * overtaken by a newer one.
 */
export async function reloadListenerTls(entry: ListenerEntry<TlsListenerConfig>, deps: ListenerTlsDeps): Promise<boolean> {
  if (!entry.config.tls || !entry.tls) return false;
  const name = entry.config.name;
  const reload = (entry.tlsReloads = (entry.tlsReloads ?? 0) + 1);
  let next: ListenerTls | undefined;
  try {
    next = await openListenerTls(entry.config, deps);
    // A file-watch reload and a config reload can overlap; the one started last has read the
    // newest files, so an older one that finishes later must not put older certificates back.
    if (reload !== entry.tlsReloads) {
      await next.close();
      return false;
    }
    (entry.server as unknown as TlsServer).setSecureContext(next.secureContext);
    next.applyTicketKeys(entry.server as unknown as TlsServer, true);
  } catch (error) {
    // The new state's CRL timer and fetches must not outlive a reload that failed.
    await next?.close().catch(() => {});
    deps.logger().error({ event: 'tls.reload_failed', listener: name, reason: (error as Error).message }, 'TLS certificate reload failed: the previous certificate keeps serving');
    return false;
  }
  const previous = entry.tls;
  entry.tls = next;
  watchListenerTlsFiles(entry, deps);
  await previous.close();
  deps.logger().info({ event: 'tls.reloaded', listener: name }, 'TLS certificate and client CAs reloaded');
  return true;
}

/** Watches the entry's certificate files (replacing earlier watchers); a change reloads them. */
export function watchListenerTlsFiles(entry: ListenerEntry<TlsListenerConfig>, deps: ListenerTlsDeps): void {
  for (const watcher of entry.watchers) watcher.close();
  const reload = () => {
    clearTimeout(entry.reloadTimer);
    entry.reloadTimer = setTimeout(() => void reloadListenerTls(entry, deps), RELOAD_DEBOUNCE_MS);
  };
  entry.watchers = entry.config.tls ? watchFiles(watchedTlsFiles(entry.config.tls), reload, deps.logger(), 'tls.watch_failed', { listener: entry.config.name }) : [];
}
