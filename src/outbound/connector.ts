/**
 * The connector every outbound dispatcher uses: resolves the host itself, asks the connect hook
 * about the address, then has undici's own connector (TLS options, session cache, connect
 * timeout) connect to that address while the name stays the TLS server name and the name the
 * certificate is checked against. Resolving here rather than inside `net.connect` is what lets
 * the hook see the address that is really used.
 */
import { lookup as systemLookup, type LookupAddress } from 'node:dns';
import { isIP, type LookupFunction, type Socket } from 'node:net';
import { buildConnector, errors as undiciErrors } from 'undici';
import type { ConnectHook, OutboundConnection, OutboundPurpose } from './connect-hook.js';

export interface GuardedConnectorOptions {
  readonly purpose: OutboundPurpose;
  /** The upstream a pool serves, passed on to the hook. */
  readonly upstream?: string | undefined;
  readonly hook: ConnectHook;
  /** Resolves host names (default: the system's resolver, `dns.lookup`). */
  readonly lookup?: LookupFunction | undefined;
  /** Bounds name resolution and, for each address tried, the TCP connect and TLS handshake (ms). */
  readonly connectTimeoutMs: number;
  /** Options for `tls.connect` (ignored for http:). */
  readonly tls: object;
  /** Sees each new connection once it is established (after the TLS handshake for https:). */
  readonly onConnected?: ((socket: Socket) => void) | undefined;
  /** Sees each established connection with what the hook approved, so rules that change later can look at it again (egress-guard.ts). */
  readonly track?: ((connection: OutboundConnection, socket: Socket) => void) | undefined;
}

/**
 * Connect failures after which the next address of the name is tried (an IPv6 loopback that
 * nothing listens on, say), as `net.connect`'s own family selection would. A timeout is not one
 * of them: each address would take the whole timeout again.
 */
const NEXT_ADDRESS_ON = new Set(['ECONNREFUSED', 'EHOSTUNREACH', 'ENETUNREACH', 'EADDRNOTAVAIL', 'EAFNOSUPPORT']);

type Connect = buildConnector.connector;

/** An undici connector (the `connect` option of a Pool or Agent) that runs `options.hook` on every connection. */
export function guardedConnector(options: GuardedConnectorOptions): Connect {
  const base = buildConnector({ ...options.tls, timeout: options.connectTimeoutMs } as buildConnector.BuildOptions);
  const { purpose, upstream, hook, onConnected, track } = options;
  return function connectGuarded(target, callback) {
    const protocol = target.protocol === 'https:' ? 'https:' : 'http:';
    const port = Number(target.port) || (protocol === 'https:' ? 443 : 80);
    const host = target.hostname;
    resolve(host, options.lookup, options.connectTimeoutMs, (error, addresses) => {
      if (error) return callback(error, null);
      const attempt = (index: number) => {
        const { address, family } = addresses[index]!;
        const connection: OutboundConnection = { purpose, host, port, address, family: family === 6 ? 6 : 4, protocol, ...(upstream === undefined ? {} : { upstream }) };
        try {
          hook(connection);
        } catch (refusal) {
          return callback(refusal as Error, null);
        }
        // `host` stays as it was: undici derives the TLS server name (SNI, certificate check) from it.
        base({ ...target, hostname: address }, (failure, socket) => {
          if (failure) {
            if (index + 1 < addresses.length && NEXT_ADDRESS_ON.has((failure as NodeJS.ErrnoException).code ?? '')) return attempt(index + 1);
            return callback(failure, null);
          }
          onConnected?.(socket!);
          track?.(connection, socket!);
          callback(null, socket!);
        });
      };
      attempt(0);
    });
  };
}

/**
 * Resolves `destination.host` and runs `options.hook` on the address a guarded connector would try
 * first: resolves with that connection, or rejects with the hook's refusal (or the resolver's
 * failure). For a caller that must make the connection itself (see Outbound.admit): it connects to
 * exactly `address`, so the name cannot be moved elsewhere by DNS after the check.
 */
export function admitConnection(
  options: Pick<GuardedConnectorOptions, 'purpose' | 'upstream' | 'hook' | 'lookup' | 'connectTimeoutMs'>,
  destination: { readonly host: string; readonly port: number; readonly protocol: 'http:' | 'https:' },
): Promise<OutboundConnection> {
  const host = destination.host.replace(/^\[|\]$/g, '');
  return new Promise((admitted, refused) =>
    resolve(host, options.lookup, options.connectTimeoutMs, (error, addresses) => {
      if (error) return refused(error);
      const { address, family } = addresses[0]!;
      const connection: OutboundConnection = { purpose: options.purpose, host, port: destination.port, address, family: family === 6 ? 6 : 4, protocol: destination.protocol, ...(options.upstream === undefined ? {} : { upstream: options.upstream }) };
      try {
        options.hook(connection);
      } catch (refusal) {
        return refused(refusal);
      }
      admitted(connection);
    }),
  );
}

/** The host's addresses in the resolver's order; an IP literal is its own address. */
function resolve(host: string, lookup: LookupFunction | undefined, timeoutMs: number, done: (error: Error | null, addresses: LookupAddress[]) => void): void {
  const family = isIP(host);
  if (family !== 0) return done(null, [{ address: host, family }]);
  let settled = false;
  const finish = (error: Error | null, addresses: LookupAddress[]) => {
    if (settled) return;
    settled = true;
    clearTimeout(timer);
    done(error, addresses);
  };
  // Name resolution counts against the connect timeout, as it did inside net.connect.
  const timer = setTimeout(() => finish(new undiciErrors.ConnectTimeoutError(`Connect Timeout Error (resolving ${host}, timeout: ${timeoutMs}ms)`), []), timeoutMs);
  timer.unref();
  (lookup ?? (systemLookup as LookupFunction))(host, { all: true }, (error, result, resultFamily) => {
    if (error) return finish(error, []);
    const addresses = Array.isArray(result) ? result : [{ address: result, family: resultFamily ?? isIP(result) }];
    if (addresses.length === 0) return finish(Object.assign(new Error(`${host} resolved to no address`), { code: 'ENOTFOUND' }), []);
    finish(null, addresses);
  });
}
