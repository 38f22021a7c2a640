/**
 * One listener's HTTP or HTTPS server: Node's timeouts from the listener's config, the request
 * handler, answers to what never reaches it (parse errors, CONNECT), and the TLS events a
 * listener must handle (refused renegotiation, OCSP stapling, session ticket keys).
 */
import { createServer, type Server } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { Server as TlsServer, TLSSocket } from 'node:tls';
import type { ListenerConfig } from '../config/schema.js';
import { answerClientError, answerConnect } from './client-errors.js';
import type { ListenerTls } from './listener-tls.js';
import { createRequestHandler, type RequestHandlerOptions } from './request-handler.js';
import type { Runtime } from './runtime.js';

export interface ListenerServerOptions extends Omit<RequestHandlerOptions, 'listener'> {
  /** The listener's TLS state in force (replaced on reload); undefined for plain HTTP. */
  readonly tls: () => ListenerTls | undefined;
  readonly runtime: () => Runtime;
  /** A client tried to renegotiate TLS: the socket is to be logged, counted and closed. */
  readonly onRenegotiation: (socket: TLSSocket) => void;
}

/** What Node reports when a client renegotiates: refused at once, or past its own limit. */
const RENEGOTIATION_ERRORS: ReadonlySet<string> = new Set(['ERR_TLS_RENEGOTIATION_DISABLED', 'ERR_TLS_SESSION_ATTACK']);

/** Creates (does not bind) the server for `listener`; `tls` is its TLS state at start, if any. */
export function createListenerServer(listener: ListenerConfig, tls: ListenerTls | undefined, options: ListenerServerOptions): Server {
  const httpOptions = {
    maxHeaderSize: listener.maxHeaderBytes,
    headersTimeout: listener.headersTimeoutMs,
    requestTimeout: listener.requestTimeoutMs,
    keepAliveTimeout: listener.keepAliveTimeoutMs,
    // How often Node checks the two timeouts above; its default (30 s) would let a slow head
    // linger far past headersTimeoutMs.
    connectionsCheckingInterval: Math.max(100, Math.min(1000, Math.floor(listener.headersTimeoutMs / 2))),
    // Host is checked by the request handler, which answers with a problem (RFC 9112 §3.2).
    requireHostHeader: false,
  };
  const server = (tls ? createHttpsServer({ ...httpOptions, ...tls.serverOptions() }) : createServer(httpOptions)) as Server;
  const { tls: currentTls, onRenegotiation, ...handlerOptions } = options;
  const handler = createRequestHandler({
    ...handlerOptions,
    listener: { name: listener.name, protocol: tls ? 'https' : 'http', bodyIdleTimeoutMs: listener.bodyIdleTimeoutMs, maxUriBytes: listener.maxUriBytes, tls: currentTls, plainHttp: listener.plainHttp, httpsPort: listener.httpsPort },
  });
  server.on('request', handler);
  // Expect: 100-continue is answered by the proxy when it starts forwarding the body, so a
  // request refused by a policy (413, 401) never invites the client to send its body.
  server.on('checkContinue', handler);
  server.on('clientError', (error: Error & { code?: string }, socket) => {
    if (RENEGOTIATION_ERRORS.has(error.code ?? '')) onRenegotiation(socket as TLSSocket);
    else answerClientError(error, socket, options.runtime(), listener.name);
  });
  // CONNECT never reaches 'request': without a listener here Node would drop it in silence.
  server.on('connect', (req, socket) => answerConnect(req, socket, options.runtime(), listener.name));
  if (tls) {
    server.on('tlsClientError', (error: Error & { code?: string }) => options.runtime().logger.debug({ event: 'tls.handshake_failed', listener: listener.name, code: error.code }, 'TLS handshake failed'));
    // Client-initiated renegotiation (TLS 1.2) is refused outright: it costs a full handshake
    // of server CPU on a connection already paid for, and nothing we serve needs it (RFC 9325
    // §3.5 allows refusing it). Node then ends the connection with a renegotiation error.
    server.on('secureConnection', (socket: TLSSocket) => socket.disableRenegotiation());
    // OCSP stapling: only handshakes whose client asks for status (status_request) get here;
    // no response yet (or stapling off) means no staple, never a failed handshake.
    server.on('OCSPRequest', (_certificate: Buffer, _issuer: Buffer, callback: (error: Error | null, response?: Buffer) => void) => callback(null, currentTls()?.ocspStaple()));
    tls.applyTicketKeys(server as unknown as TlsServer, true);
    server.on('connection', () => currentTls()?.applyTicketKeys(server as unknown as TlsServer));
  }
  return server;
}
