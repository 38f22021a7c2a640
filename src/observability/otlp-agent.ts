/**
 * The Node HTTP agent the OTLP exporter sends with: its connections are made by the gateway's
 * outbound connector (purpose `tracing`), so the egress guard sees and may refuse each one and
 * https endpoints get the hardened TLS profile (docs/outbound.md). The exporter takes an agent
 * factory (`httpAgentOptions`); Node's Agent accepts a `createConnection` that answers through
 * its callback, which is how the connector's asynchronous resolve-check-connect fits in.
 */
import { Agent as HttpAgent, type AgentOptions } from 'node:http';
import { Agent as HttpsAgent } from 'node:https';
import { isIP, type Socket } from 'node:net';
import { rootCertificates } from 'node:tls';
import type { Duplex } from 'node:stream';
import { DEFAULT_OUTBOUND_TLS, type Outbound } from '../outbound/index.js';

type Connect = ReturnType<Outbound['connector']>;
interface ConnectOptions {
  host?: string | null | undefined;
  hostname?: string | null | undefined;
  port?: number | string | null | undefined;
}
type Callback = (error: Error | null, socket: Duplex) => void;

function createGuardedConnection(connect: Connect, protocol: 'http:' | 'https:', options: ConnectOptions, callback: Callback): undefined {
  const host = String(options.hostname ?? options.host ?? 'localhost').replace(/^\[|\]$/g, '');
  const port = String(options.port ?? (protocol === 'https:' ? 443 : 80));
  connect({ protocol, hostname: host, host, port, ...(isIP(host) === 0 ? { servername: host } : {}), localAddress: null, httpSocket: undefined }, (error, socket) => {
    if (error || !socket) callback(error ?? new Error('no socket'), undefined as unknown as Socket);
    else callback(null, socket);
  });
  return undefined;
}

/**
 * An agent for `protocol` whose every connection goes through `outbound`'s connector (purpose
 * `tracing`). `ca` (PEM, tracing.otlp.caFile) is trusted besides Node's bundled root CAs, not
 * instead of them: Node's `ca` option replaces the default trust, so the bundled roots are passed too.
 */
export function guardedAgent(outbound: Outbound, protocol: string, timeoutMs: number, ca?: string): HttpAgent {
  const options: AgentOptions = { keepAlive: true, maxSockets: 4 };
  if (protocol === 'https:') {
    const tls = ca === undefined ? DEFAULT_OUTBOUND_TLS : { ...DEFAULT_OUTBOUND_TLS, ca: [...rootCertificates, ca] };
    const connect = outbound.connector('tracing', { tls, connectTimeoutMs: timeoutMs });
    return new (class extends HttpsAgent {
      override createConnection(connectOptions: ConnectOptions, callback: Callback) {
        return createGuardedConnection(connect, 'https:', connectOptions, callback);
      }
    } as unknown as typeof HttpsAgent)(options);
  }
  const connect = outbound.connector('tracing', { connectTimeoutMs: timeoutMs });
  return new (class extends HttpAgent {
    override createConnection(connectOptions: ConnectOptions, callback: Callback) {
      return createGuardedConnection(connect, 'http:', connectOptions, callback);
    }
  } as unknown as typeof HttpAgent)(options);
}
