/**
 * Opens one client listener (`listeners[]`) for the gateway (gateway.ts): its TLS state and file
 * watchers when it has `tls`, its server over the request handlers, bound to its address. A
 * client that tries to renegotiate TLS is logged, counted and disconnected.
 */
import type { TLSSocket } from 'node:tls';
import type { ListenerConfig } from '../config/schema.js';
import type { GatewayMetrics } from '../observability/metrics.js';
import { listenOn } from './listen.js';
import { createListenerServer, type ListenerServerOptions } from './listener-server.js';
import type { ListenerEntry, ListenerTlsDeps } from './listener-tls-reload.js';

export interface ClientListenerDeps {
  /** The request handlers' view of the gateway (the TLS state and renegotiation are handled here). */
  readonly handlers: Omit<ListenerServerOptions, 'tls' | 'onRenegotiation'>;
  readonly tlsDeps: ListenerTlsDeps;
  /** The TLS reload module, loaded on first use (it brings in @peculiar/x509). */
  readonly loadTlsReload: () => Promise<typeof import('./listener-tls-reload.js')>;
  readonly metrics: GatewayMetrics;
}

/** Opens and binds `listener`; throws (its TLS state closed) when it cannot bind. */
export async function openClientListener(listener: ListenerConfig, deps: ClientListenerDeps): Promise<ListenerEntry> {
  const tlsReload = listener.tls ? await deps.loadTlsReload() : undefined;
  const tls = tlsReload ? await tlsReload.openListenerTls(listener, deps.tlsDeps) : undefined;
  const server = createListenerServer(listener, tls, { ...deps.handlers, tls: () => entry.tls, onRenegotiation: (socket) => renegotiationRefused(listener.name, socket, deps) });
  // The handlers read the TLS state in force through the entry (replaced on reload); none runs
  // before the server listens.
  const entry: ListenerEntry = { config: listener, server, tls, watchers: [] };
  tlsReload?.watchListenerTlsFiles(entry, deps.tlsDeps);
  await listenOn(server, listener.host, listener.port, `listener "${listener.name}"`).catch(async (error: unknown) => {
    await tls?.close();
    throw error;
  });
  return entry;
}

/** A client tried to renegotiate: logged and counted as what it is, and the connection closed. */
function renegotiationRefused(listener: string, socket: TLSSocket, deps: ClientListenerDeps): void {
  deps.metrics.renegotiationsRefused.inc({ listener });
  deps.tlsDeps.logger().warn({ event: 'tls.renegotiation_refused', listener, clientIp: socket.remoteAddress }, 'client-initiated TLS renegotiation refused: connection closed');
  socket.destroy();
}
