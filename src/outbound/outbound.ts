/**
 * The gateway's outbound side, one per gateway process: the connect hook and resolver every
 * outbound connection goes through, the shared agents of the gateway's own fetches (kept-alive
 * connections reused across fetches of one purpose), and the factory of upstream pools.
 * Components are handed this object; none builds a dispatcher of its own. The egress guard
 * (egress-guard.ts) runs first on every connection; the gateway gives it the rules of its config.
 */
import type { LookupFunction } from 'node:net';
import type { Agent, buildConnector, Dispatcher, Pool } from 'undici';
import { allOf, allowAll, type ConnectHook, type OutboundConnection, type OutboundPurpose } from './connect-hook.js';
import { admitConnection, guardedConnector } from './connector.js';
import { createOutboundDispatcher, DEFAULT_OUTBOUND_TLS, OUTBOUND_DEFAULTS, type OutboundDispatcherOptions, type OutboundTls } from './dispatcher.js';
import { EgressGuard } from './egress-guard.js';

export interface OutboundOptions {
  /** Sees (and may refuse) every outbound connection: egress rules, tests. Default: allow all. */
  readonly hook?: ConnectHook | undefined;
  /** Resolves every outbound host name (default: the system's resolver); tests inject DNS failures. */
  readonly lookup?: LookupFunction | undefined;
}

/** What the gateway fetches for itself, as opposed to proxying. */
export type FetchPurpose = Exclude<OutboundPurpose, 'upstream'>;

/** Options of an upstream target's pool; the purpose, hook and resolver are the gateway's. */
export type UpstreamPoolOptions = Omit<OutboundDispatcherOptions, 'purpose' | 'origin' | 'hook' | 'lookup'>;

export class Outbound {
  /** The egress rules every connection passes first (none until the gateway sets its config's). */
  readonly egress = new EgressGuard();
  readonly #hook: ConnectHook;
  readonly #lookup: LookupFunction | undefined;
  /** Per purpose, per extra check (undefined for none): one agent. */
  readonly #agents = new Map<FetchPurpose, Map<ConnectHook | undefined, Agent>>();

  constructor(options: OutboundOptions = {}) {
    this.#hook = allOf(this.egress.hook, options.hook ?? allowAll);
    this.#lookup = options.lookup;
  }

  /**
   * The shared agent for the gateway's own fetches of `purpose` (default TLS profile, system CAs).
   * `check` is a further connect hook for this use only (e.g. key-url.ts's refusal of local
   * addresses for a remote key URL); it runs after the gateway's hook. Pass a stable function
   * (a module constant): the agent is kept per check.
   */
  agent(purpose: FetchPurpose, check?: ConnectHook): Dispatcher {
    let byCheck = this.#agents.get(purpose);
    if (!byCheck) this.#agents.set(purpose, (byCheck = new Map()));
    let agent = byCheck.get(check);
    if (!agent) {
      agent = createOutboundDispatcher({ purpose, hook: allOf(this.#hook, check), lookup: this.#lookup, track: this.egress.track });
      byCheck.set(check, agent);
    }
    return agent;
  }

  /**
   * A new agent for the gateway's own fetches of `purpose` with TLS options of their own (a CA
   * bundle, a client certificate for mutual TLS: a token endpoint under RFC 8705). The caller
   * closes it.
   */
  agentWithTls(purpose: FetchPurpose, tls: OutboundTls, timeouts: { connectTimeoutMs?: number; headersTimeoutMs?: number; bodyTimeoutMs?: number } = {}): Agent {
    return createOutboundDispatcher({ ...timeouts, purpose, tls, hook: this.#hook, lookup: this.#lookup });
  }

  /** A new pool for one upstream target (`origin`: scheme://host[:port]). The caller closes it. */
  pool(origin: string, options: UpstreamPoolOptions): Pool {
    return createOutboundDispatcher({ ...options, purpose: 'upstream', origin, hook: this.#hook, lookup: this.#lookup, track: this.egress.track });
  }

  /**
   * A pool for one origin the gateway sends its own requests to with TLS options of its own (an
   * audit webhook with a private CA): the gateway's hook and resolver. The caller closes it.
   */
  originPool(purpose: FetchPurpose, origin: string, options: UpstreamPoolOptions): Pool {
    return createOutboundDispatcher({ ...options, purpose, origin, hook: this.#hook, lookup: this.#lookup });
  }

  /**
   * A connector for a TLS connection that is not HTTP (syslog over TLS, RFC 5425): the same
   * resolver, connect hook and hardened profile as every other outbound connection.
   */
  connector(purpose: FetchPurpose, options: { readonly tls?: OutboundTls | undefined; readonly connectTimeoutMs?: number | undefined } = {}): buildConnector.connector {
    return guardedConnector({ purpose, hook: this.#hook, lookup: this.#lookup, connectTimeoutMs: options.connectTimeoutMs ?? OUTBOUND_DEFAULTS.connectTimeoutMs, tls: options.tls ?? DEFAULT_OUTBOUND_TLS });
  }

  /**
   * A connector to one upstream's targets, as its pool would connect (purpose `upstream`, the
   * upstream's name for the egress rules): for a probe that opens a connection and sends nothing
   * (`portcullis preflight`).
   */
  upstreamConnector(upstream: string, options: { readonly tls: OutboundTls; readonly connectTimeoutMs: number }): buildConnector.connector {
    return guardedConnector({ purpose: 'upstream', upstream, hook: this.#hook, lookup: this.#lookup, connectTimeoutMs: options.connectTimeoutMs, tls: options.tls });
  }

  /**
   * Resolves `destination.host` as a connection of `purpose` would be resolved and runs the
   * gateway's connect hook (the egress rules first) on the address: resolves with the approved
   * connection (connect to its `address`, never to the name again), or rejects with the refusal
   * (an EgressDeniedError in enforce mode; report mode reports it and admits). For connections the
   * caller must open itself with options no undici connector takes: the TLS probes of continuous
   * assessment (pinned protocol versions, weak suites, the certificate judged, not trusted).
   */
  admit(purpose: FetchPurpose, destination: { readonly host: string; readonly port: number; readonly protocol: 'http:' | 'https:' }, connectTimeoutMs: number = OUTBOUND_DEFAULTS.connectTimeoutMs): Promise<OutboundConnection> {
    return admitConnection({ purpose, hook: this.#hook, lookup: this.#lookup, connectTimeoutMs }, destination);
  }

  /** Closes the shared agents (waits for their requests in flight). Upstream pools are their owners' to close. */
  async close(): Promise<void> {
    await Promise.all([...this.#agents.values()].flatMap((byCheck) => [...byCheck.values()].map((agent) => agent.close())));
  }
}
