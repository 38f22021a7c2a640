/**
 * The factory for every undici dispatcher the gateway sends with: the upstream pools of the proxy
 * and the agents of its own fetches (discovery, JWKS, CRL, OCSP). Each one connects through the
 * guarded connector (connector.ts), so the connect hook sees all of them, and speaks the hardened
 * TLS profile (net/tls-profile.ts) unless its caller brings its own TLS options (an upstream's
 * CA bundle or client certificate), which are always verified.
 */
import type { LookupFunction, Socket } from 'node:net';
import type { ConnectionOptions } from 'node:tls';
import { Agent, Pool } from 'undici';
import { OUTBOUND_TLS } from '../net/tls-profile.js';
import { allowAll, type ConnectHook, type OutboundConnection, type OutboundPurpose } from './connect-hook.js';
import { guardedConnector } from './connector.js';

/** TLS options for `tls.connect`; certificates are always verified. */
export type OutboundTls = Omit<ConnectionOptions, 'rejectUnauthorized' | 'lookup' | 'host' | 'port' | 'socket'> & { readonly rejectUnauthorized: true };

/** TLS for a connection with no config of its own: the hardened profile, system CAs, verified. */
export const DEFAULT_OUTBOUND_TLS: OutboundTls = Object.freeze({ ...OUTBOUND_TLS, rejectUnauthorized: true as const });

/** Timeouts when the caller names none (undici's own defaults, said here so they are one place). */
export const OUTBOUND_DEFAULTS = Object.freeze({ connectTimeoutMs: 10_000, headersTimeoutMs: 300_000, bodyTimeoutMs: 300_000, keepAliveTimeoutMs: 4_000 });

export interface OutboundDispatcherOptions {
  readonly purpose: OutboundPurpose;
  /** For an upstream pool: the upstream's name, which the connect hook sees. */
  readonly upstream?: string | undefined;
  /** `scheme://host[:port]`: a Pool of keep-alive connections to this one origin. Without it, an Agent for any origin. */
  readonly origin?: string | undefined;
  /** Runs on every new connection before it is made (default: allow all). */
  readonly hook?: ConnectHook | undefined;
  /** Resolves host names (default: the system's resolver). */
  readonly lookup?: LookupFunction | undefined;
  /** For https: origins (default: DEFAULT_OUTBOUND_TLS). */
  readonly tls?: OutboundTls | undefined;
  /** Name resolution, TCP connect and TLS handshake of one new connection (ms). */
  readonly connectTimeoutMs?: number | undefined;
  /** From sending the request to the end of the response head (ms). */
  readonly headersTimeoutMs?: number | undefined;
  /** Longest silence between two body chunks (ms); not a deadline for the whole body. */
  readonly bodyTimeoutMs?: number | undefined;
  /** How long an idle keep-alive connection is kept (ms). */
  readonly keepAliveTimeoutMs?: number | undefined;
  /** Most connections per origin (default: no limit). */
  readonly maxConnections?: number | undefined;
  /** Sees each new connection once established (after the handshake for https:), e.g. to note the peer certificate. */
  readonly onConnected?: ((socket: Socket) => void) | undefined;
  /** Sees each established connection with what the hook approved (the egress guard re-checks them when its rules change). */
  readonly track?: ((connection: OutboundConnection, socket: Socket) => void) | undefined;
}

/**
 * A Pool (with `origin`) or an Agent (without) whose every connection passes the connect hook.
 * A request through it that the hook refuses fails with the hook's OutboundRefusedError.
 * Throws undici's InvalidArgumentError for an origin that is not an http(s) URL.
 */
export function createOutboundDispatcher(options: OutboundDispatcherOptions & { origin: string }): Pool;
export function createOutboundDispatcher(options: OutboundDispatcherOptions & { origin?: undefined }): Agent;
export function createOutboundDispatcher(options: OutboundDispatcherOptions): Pool | Agent {
  const connectTimeoutMs = options.connectTimeoutMs ?? OUTBOUND_DEFAULTS.connectTimeoutMs;
  const connect = guardedConnector({
    purpose: options.purpose,
    upstream: options.upstream,
    hook: options.hook ?? allowAll,
    lookup: options.lookup,
    connectTimeoutMs,
    tls: options.tls ?? DEFAULT_OUTBOUND_TLS,
    onConnected: options.onConnected,
    track: options.track,
  });
  const shared = {
    connect,
    connectTimeout: connectTimeoutMs,
    headersTimeout: options.headersTimeoutMs ?? OUTBOUND_DEFAULTS.headersTimeoutMs,
    bodyTimeout: options.bodyTimeoutMs ?? OUTBOUND_DEFAULTS.bodyTimeoutMs,
    keepAliveTimeout: options.keepAliveTimeoutMs ?? OUTBOUND_DEFAULTS.keepAliveTimeoutMs,
    ...(options.maxConnections === undefined ? {} : { connections: options.maxConnections }),
  };
  return options.origin === undefined ? new Agent(shared) : new Pool(options.origin, shared);
}
