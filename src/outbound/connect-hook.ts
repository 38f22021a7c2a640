/**
 * The connect hook: the one place that sees every connection the gateway opens to another server
 * (a proxied upstream, an issuer's discovery document or JWKS, a CRL, an OCSP responder), with the
 * address it is about to connect to, before any byte is sent. Egress rules go here: a hook that
 * throws an OutboundRefusedError stops the connection, and the caller sees that error as the
 * failure of its request. Checking the resolved address (not the name) is what keeps DNS from
 * moving an allowed name onto a forbidden address: the connection goes to exactly the address the
 * hook approved.
 */

/** Why the gateway connects: each caller names its own, so a rule (or a log line) can tell them apart. */
export type OutboundPurpose = 'upstream' | 'assess' | 'discovery' | 'jwks' | 'crl' | 'ocsp' | 'audit-sink' | 'token' | 'alert-sink' | 'tracing';

/** One connection about to be made. */
export interface OutboundConnection {
  readonly purpose: OutboundPurpose;
  /** The host as the URL names it (a DNS name or an IP literal, without brackets). */
  readonly host: string;
  /** The TCP port (the scheme's default when the URL names none). */
  readonly port: number;
  /** The IP address the connection goes to: `host` resolved, or `host` itself when it is an IP literal. */
  readonly address: string;
  readonly family: 4 | 6;
  readonly protocol: 'http:' | 'https:';
  /** For an upstream pool: the upstream's name (logs and metrics of egress denials). */
  readonly upstream?: string | undefined;
}

/**
 * Called once per new connection, after name resolution and before the TCP connect (so before any
 * TLS handshake). Returns to allow; throws an OutboundRefusedError to refuse (any other thrown
 * error refuses too and is passed on as it is). Synchronous on purpose: it runs on every new
 * connection and must not wait for anything.
 */
export type ConnectHook = (connection: OutboundConnection) => void;

/** A connection a connect hook refused. The request that needed it fails with this error. */
export class OutboundRefusedError extends Error {
  /** Stable, so callers and logs can tell a refusal from a network failure (`ECONNREFUSED` is the peer's). */
  readonly code = 'EOUTBOUNDREFUSED';
  constructor(
    readonly connection: OutboundConnection,
    /** Why, for the log: never holds a credential. */
    readonly reason: string,
  ) {
    super(`connection to ${connection.host}:${connection.port} (${connection.address}) refused: ${reason}`);
    this.name = 'OutboundRefusedError';
  }
}

/** The default: every connection is allowed. */
export const allowAll: ConnectHook = () => {};

/** A hook running each given hook in order; the first refusal wins. */
export function allOf(...hooks: ReadonlyArray<ConnectHook | undefined>): ConnectHook {
  const present = hooks.filter((hook): hook is ConnectHook => hook !== undefined && hook !== allowAll);
  if (present.length === 0) return allowAll;
  if (present.length === 1) return present[0]!;
  return function allOfHooks(connection) {
    for (const hook of present) hook(connection);
  };
}
