/**
 * An upstream: its targets, each with an undici keep-alive pool, chosen round-robin. Passive
 * health: a target that fails `failuresBeforeCooldown` times in a row is skipped for `cooldownMs`
 * (logged), unless every target is cooling down, in which case the rotation carries on so a
 * single-target upstream is never taken dark by the gateway itself.
 */
import { GatewayError } from '../core/errors.js';
import type { TLSSocket } from 'node:tls';
import type { Pool } from 'undici';
import type { Clock } from '../core/clock.js';
import type { UpstreamConfig } from '../config/schema.js';
import type { Logger } from '../observability/logger.js';
import { forwardingOptions, type ForwardingOptions } from './forwarding.js';
import { upstreamTls, type UpstreamTls } from '../config/tls-options.js';
import type { Outbound } from '../outbound/index.js';

/** A server certificate an https target presented, kept for the expiry watch. */
export interface SeenCertificate {
  readonly subject: string;
  readonly serial: string;
  readonly notAfter: number;
}

export class UpstreamTarget {
  readonly url: string;
  readonly origin: string;
  /** host[:port], the Host header the target expects. */
  readonly host: string;
  /** Path prefix from the target URL ('' for none), prepended to every forwarded path. */
  readonly basePath: string;
  readonly pool: Pool;
  consecutiveFailures = 0;
  coolingUntil = 0;
  /** The last server certificate this target presented (https only). */
  seenCertificate: SeenCertificate | undefined;

  constructor(url: string, config: UpstreamConfig, outbound: Outbound, tls: UpstreamTls, onCertificate?: (target: UpstreamTarget, certificate: SeenCertificate) => void, upstreamName?: string) {
    const parsed = new URL(url);
    this.url = url;
    this.origin = parsed.origin;
    this.host = parsed.host;
    this.basePath = parsed.pathname.replace(/\/+$/, '');
    const https = parsed.protocol === 'https:';
    this.pool = outbound.pool(this.origin, {
      upstream: upstreamName,
      maxConnections: config.maxConnections,
      keepAliveTimeoutMs: config.keepAliveTimeoutMs,
      connectTimeoutMs: config.connectTimeoutMs,
      headersTimeoutMs: config.headersTimeoutMs,
      bodyTimeoutMs: config.bodyTimeoutMs,
      tls: https ? tls : undefined,
      onConnected: https ? (socket) => this.#noteCertificate(socket as TLSSocket, onCertificate) : undefined,
    });
  }

  /** Notes the server certificate a new connection presented (for the expiry watch). */
  #noteCertificate(socket: TLSSocket, onCertificate?: (target: UpstreamTarget, certificate: SeenCertificate) => void): void {
    const peer = socket.getPeerX509Certificate?.();
    if (!peer) return;
    const seen = { subject: peer.subject.replace(/\n/g, ', '), serial: peer.serialNumber.toLowerCase(), notAfter: Date.parse(peer.validTo) };
    const changed = this.seenCertificate?.serial !== seen.serial;
    this.seenCertificate = seen;
    if (changed) onCertificate?.(this, seen);
  }
}

export class Upstream {
  readonly name: string;
  readonly config: UpstreamConfig;
  readonly targets: readonly UpstreamTarget[];
  /** How requests to this upstream are dressed: forwarding headers, credential. Built once. */
  readonly forwarding: ForwardingOptions;
  readonly tls: UpstreamTls;
  readonly #retryMethods: ReadonlySet<string>;
  #next = 0;

  constructor(
    name: string,
    config: UpstreamConfig,
    requestIdHeader: string,
    ownedHeaders: readonly string[],
    private readonly logger: Logger,
    private readonly clock: Clock,
    /** Makes the targets' pools: every connection passes the gateway's connect hook. */
    outbound: Outbound,
    private readonly onCooldown: () => void = () => {},
    onCertificate?: (target: UpstreamTarget, certificate: SeenCertificate) => void,
    /** Counts a request refused because `auth`'s secret cannot be had (metrics). */
    private readonly onCredentialUnavailable: () => void = () => {},
  ) {
    this.name = name;
    this.config = config;
    this.tls = upstreamTls(config);
    this.targets = config.targets.map((url) => new UpstreamTarget(url, config, outbound, this.tls, onCertificate, name));
    this.forwarding = forwardingOptions(requestIdHeader, config.preserveHost, this.#failClosed(buildAuthHeader(config)), ownedHeaders);
    this.#retryMethods = new Set(config.retries.methods);
  }

  /** The next target in rotation that is not cooling down (or the next one, if all are). */
  pick(): UpstreamTarget {
    const now = this.clock.now();
    const count = this.targets.length;
    for (let i = 0; i < count; i++) {
      const target = this.targets[(this.#next + i) % count]!;
      if (target.coolingUntil <= now) {
        this.#next = (this.#next + i + 1) % count;
        return target;
      }
    }
    const target = this.targets[this.#next % count]!;
    this.#next = (this.#next + 1) % count;
    return target;
  }

  /** Bodiless requests of idempotent methods may be retried on another target. */
  mayRetry(method: string, hasBody: boolean, attempt: number): boolean {
    return !hasBody && attempt <= this.config.retries.attempts && this.#retryMethods.has(method);
  }

  reportSuccess(target: UpstreamTarget): void {
    if (target.consecutiveFailures === 0) return;
    if (target.coolingUntil !== 0) this.logger.info({ event: 'upstream.target_recovered', upstream: this.name, target: target.origin }, 'upstream target answered again');
    target.consecutiveFailures = 0;
    target.coolingUntil = 0;
  }

  reportFailure(target: UpstreamTarget, code: string): void {
    target.consecutiveFailures += 1;
    if (target.consecutiveFailures < this.config.health.failuresBeforeCooldown) return;
    const now = this.clock.now();
    if (target.coolingUntil > now) return;
    target.coolingUntil = now + this.config.health.cooldownMs;
    this.onCooldown();
    this.logger.warn(
      { event: 'upstream.target_cooldown', upstream: this.name, target: target.origin, failures: target.consecutiveFailures, cooldownMs: this.config.health.cooldownMs, code },
      'upstream target failing: skipped for a cool-down',
    );
  }

  /**
   * The credential header, failing closed: a `${secret:NAME}` the vault no longer gives (the secret
   * deleted, its promoted version unreadable here) ends the request with 503
   * upstream.credential_unavailable (logged, counted), never a 500 and never a request sent
   * without its credential (issue 19 §2).
   */
  #failClosed(header: (() => readonly [string, string]) | undefined): (() => readonly [string, string]) | undefined {
    if (!header) return undefined;
    return () => {
      try {
        return header();
      } catch (error) {
        this.onCredentialUnavailable();
        this.logger.error({ event: 'credentials.unavailable', upstream: this.name, credential: `upstreams.${this.name}.auth`, reason: (error as Error).message }, 'the upstream credential cannot be had: answered 503, nothing sent upstream');
        throw new GatewayError('upstream.credential_unavailable', { detail: 'The gateway has no usable credential for this upstream.', internal: (error as Error).message });
      }
    };
  }

  /** Waits for requests in flight on the pools, then closes their connections. */
  async close(): Promise<void> {
    await Promise.all(this.targets.map((target) => target.pool.close()));
  }
}

/** The credential header as a function: revealed per request (a vault secret may have a new version). */
function buildAuthHeader(config: UpstreamConfig): (() => readonly [string, string]) | undefined {
  const auth = config.auth;
  if (!auth) return undefined;
  switch (auth.type) {
    case 'bearer':
      return () => ['authorization', `Bearer ${auth.token!.reveal()}`];
    case 'basic':
      return () => ['authorization', `Basic ${Buffer.from(`${auth.username!}:${auth.password!.reveal()}`).toString('base64')}`];
    case 'header': {
      const header = auth.header!.toLowerCase();
      return () => [header, auth.value!.reveal()];
    }
  }
}
