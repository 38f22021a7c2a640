/**
 * The egress guard: the connect hook that applies the egress rules (egress-policy.ts) to every
 * outbound connection of the gateway. It holds the rules in force (derived from the config,
 * swapped on reload) and the destinations components declare at run time (a jwks_uri a declared
 * issuer's discovery document names, the OCSP responder of a listener's own certificate). In
 * `enforce` mode a connection the rules refuse fails with an EgressDeniedError before any byte is
 * sent; in `report` mode it goes ahead and is only reported. Either way the reporter (the
 * gateway's log and metrics) hears about it: a denial is never silent.
 */
import type { Socket } from 'node:net';
import { OutboundRefusedError, type ConnectHook, type OutboundConnection } from './connect-hook.js';
import { destinationOfUrl, EgressRules, type EgressDenial, type EgressDestination, type EgressMode } from './egress-policy.js';

/** A connection the egress rules refused (enforce mode). */
export class EgressDeniedError extends OutboundRefusedError {
  constructor(
    connection: OutboundConnection,
    readonly denial: EgressDenial,
  ) {
    super(connection, `egress ${denial.reason} (${denial.detail})`);
    this.name = 'EgressDeniedError';
  }
}

/** What the reporter hears for each connection the rules refuse. */
export interface EgressDecision {
  readonly connection: OutboundConnection;
  readonly denial: EgressDenial;
  readonly mode: EgressMode;
}

export interface EgressPolicyInput {
  readonly mode: EgressMode;
  readonly destinations: readonly EgressDestination[];
}

/** At most this many run-time declarations are kept per source (a discovery document naming a flood of URLs gets no further). */
const MAX_DECLARED_PER_SOURCE = 16;

export class EgressGuard {
  #policy: EgressPolicyInput | undefined;
  readonly #declared = new Map<string, EgressDestination[]>();
  /** Established connections and what the hook approved for each (until they close). */
  readonly #live = new Map<Socket, OutboundConnection>();
  #rules: EgressRules | undefined;
  #report: (decision: EgressDecision) => void = () => {};

  /** The rules in force; undefined (the default, an Outbound without config) allows everything. */
  setPolicy(policy: EgressPolicyInput | undefined): void {
    this.#policy = policy;
    this.#compile();
  }

  get mode(): EgressMode | undefined {
    return this.#policy?.mode;
  }

  /** Hears every refused (or, in report mode, would-be refused) connection. */
  onDecision(report: (decision: EgressDecision) => void): void {
    this.#report = report;
  }

  /**
   * Declares the destinations of `urls` for `source` (replacing what `source` declared before),
   * for URLs the gateway learns at run time from something the operator declared. The scheme is
   * the URL's. `writtenBy` says who chose the URL: a local IP literal or `localhost` allows its
   * own class (egress-policy.ts) only when the `operator` did (their certificate's OCSP responder,
   * a token endpoint they stored); a URL a `remote` party wrote (a discovery document's jwks_uri)
   * reaches public addresses only, whatever literal it names: `https://[64:ff9b::a00:5]/` must
   * not let an identity provider point the gateway at 10.0.0.5 through NAT64.
   */
  declare(source: string, urls: readonly string[], writtenBy: 'operator' | 'remote'): void {
    const ownClass = writtenBy === 'operator';
    const destinations = urls.slice(0, MAX_DECLARED_PER_SOURCE).flatMap((url) => destinationOfUrl(url, source, { ownClass }) ?? []);
    const before = this.#declared.get(source);
    if (before && JSON.stringify(before) === JSON.stringify(destinations)) return;
    if (destinations.length === 0) this.#declared.delete(source);
    else this.#declared.set(source, destinations);
    this.#compile();
  }

  /** Undefined when `connection` may be made under the rules in force, else why not (no report, no throw). */
  check(connection: OutboundConnection): EgressDenial | undefined {
    return this.#rules?.check(connection);
  }

  /**
   * Keeps an established connection in view until it closes, so that new rules (a reload, a
   * switch from report to enforce, a run-time declaration replaced) apply to it too: a kept-alive
   * connection would otherwise carry requests to a destination the rules now refuse for as long
   * as traffic keeps it busy.
   */
  readonly track = (connection: OutboundConnection, socket: Socket): void => {
    if (socket.destroyed) return;
    this.#live.set(socket, connection);
    socket.once('close', () => this.#live.delete(socket));
  };

  readonly hook: ConnectHook = (connection) => {
    const rules = this.#rules;
    if (!rules) return;
    const denial = rules.check(connection);
    if (!denial) return;
    const mode = this.#policy!.mode;
    this.#report({ connection, denial, mode });
    if (mode === 'enforce') throw new EgressDeniedError(connection, denial);
  };

  #compile(): void {
    this.#rules = this.#policy ? new EgressRules([...this.#policy.destinations, ...[...this.#declared.values()].flat()]) : undefined;
    this.#recheck();
  }

  /**
   * In enforce mode, closes every open connection the new rules refuse (reported like a refused
   * connect); a request in flight on it fails with the EgressDeniedError. In report mode they
   * were reported when they were made, and stay.
   */
  #recheck(): void {
    const rules = this.#rules;
    if (!rules || this.#policy?.mode !== 'enforce') return;
    for (const [socket, connection] of this.#live) {
      const denial = rules.check(connection);
      if (!denial) continue;
      this.#live.delete(socket);
      this.#report({ connection, denial, mode: 'enforce' });
      socket.destroy(new EgressDeniedError(connection, denial));
    }
  }
}
