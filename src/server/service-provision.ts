/**
 * Services by declaration: each policy says which services it requires (`requires` in its
 * definition), and the gateway opens what the config's active policies need, at start and on
 * reload, instead of asking by policy name. Every service has one way of opening (the table
 * below, checked complete by the compiler):
 *
 * - `with-gateway`: cheap and always there (metrics, the brute-force throttle, rate-limit stores);
 * - `on-demand`: opened the first time an active policy requires it, at start or on a reload,
 *   and opened again when its options change (the geo database's file);
 * - `at-start`: needs config sections that take effect only at start (the store, apiKeys, oauth):
 *   a reload that newly needs one is refused with a plain message saying a restart is needed.
 */
import type { ConfigIssue } from '../core/policy.js';
import type { GatewayServices, ServiceName } from '../core/services.js';
import type { GatewayConfig } from '../config/schema.js';
import { requiredServices, type ServiceNeed } from '../config/policy-usage.js';

export type OnDemandService = 'geo' | 'issuerKeys';

type Opening<K extends ServiceName> = K extends OnDemandService ? 'on-demand' : 'with-gateway' | { readonly atStart: string };

/** How each service comes to be open; `atStart` says what it needs, for the refusal message. */
export const SERVICE_OPENING: { readonly [K in ServiceName]: Opening<K> } = {
  metrics: 'with-gateway',
  authFailures: 'with-gateway',
  securityEvents: 'with-gateway',
  rateLimits: 'with-gateway',
  geo: 'on-demand',
  issuerKeys: 'on-demand',
  apiKeys: { atStart: 'the store and apiKeys sections' },
  consumers: { atStart: 'the store and apiKeys sections' },
  endpoints: { atStart: 'the oauth section' },
  caCrls: { atStart: 'the store section' },
  upstreamCredentials: { atStart: 'the store section' },
  fieldUsage: { atStart: 'the store section' },
};

/** An on-demand service once open: the service, the options it was opened with, and how to let it go. */
export interface OpenedService<K extends OnDemandService> {
  readonly service: NonNullable<GatewayServices[K]>;
  close(): void;
}

export interface ServiceOpener<K extends OnDemandService> {
  /** The options this config opens the service with: a change opens it again (a new geo database file). */
  optionsOf(config: GatewayConfig): string;
  open(config: GatewayConfig): Promise<OpenedService<K>>;
}

export type ServiceOpeners = { readonly [K in OnDemandService]: ServiceOpener<K> };

export type ProvideResult = { ok: true; opened: ServiceName[] } | { ok: false; issue: ConfigIssue };

/**
 * The plain refusal for a service only a restart can open (stable wording: operators and
 * alerts match on it).
 */
export function restartNeeded(need: ServiceNeed, needs: string): ConfigIssue {
  return { path: need.path, message: `the ${need.policy} policy requires the ${need.service} service, which opens only at start (it needs ${needs}): restart the gateway to apply this config` };
}

/**
 * Holds the services policies are given: those opened with the gateway, plus the on-demand ones
 * the configs so far required. The object is shared by every runtime built from it; an
 * on-demand service stays open until close() (a reload that no longer uses it keeps it, cheaply,
 * so requests still on the old config finish).
 */
export class ServiceProvision {
  readonly services: GatewayServices;
  readonly #writable: { -readonly [K in ServiceName]?: GatewayServices[K] };
  readonly #opened = new Map<OnDemandService, { options: string; opened: OpenedService<OnDemandService> }>();
  readonly #openers: ServiceOpeners;

  constructor(services: GatewayServices, openers: ServiceOpeners) {
    this.#writable = { ...services };
    this.services = this.#writable;
    this.#openers = openers;
  }

  /**
   * Opens what `config`'s active policies require and is not open yet (or was opened with other
   * options). Refuses, before opening anything, when a required service opens only at start;
   * and when one fails to open. Calls must not overlap (the gateway serialises reloads).
   */
  async provide(config: GatewayConfig): Promise<ProvideResult> {
    const needs = requiredServices(config);
    for (const need of needs) {
      const opening = SERVICE_OPENING[need.service];
      if (typeof opening === 'object' && this.services[need.service] === undefined) return { ok: false, issue: restartNeeded(need, opening.atStart) };
    }
    const opened: ServiceName[] = [];
    for (const need of needs) {
      if (SERVICE_OPENING[need.service] !== 'on-demand') continue;
      const name = need.service as OnDemandService;
      const opener = this.#openers[name] as ServiceOpener<OnDemandService>;
      const options = opener.optionsOf(config);
      const current = this.#opened.get(name);
      if (current?.options === options) continue;
      let next: OpenedService<OnDemandService>;
      try {
        next = await opener.open(config);
      } catch (error) {
        return { ok: false, issue: { path: need.path, message: `the ${need.policy} policy requires the ${name} service, which could not be opened: ${(error as Error).message}` } };
      }
      this.#opened.set(name, { options, opened: next });
      (this.#writable as Record<OnDemandService, unknown>)[name] = next.service;
      // Policies built on the old one hold it until their requests finish; closing only stops
      // its upkeep (a file watch), what it already serves stays readable.
      current?.opened.close();
      opened.push(name);
    }
    return { ok: true, opened };
  }

  /** Closes the on-demand services opened so far. */
  close(): void {
    for (const { opened } of this.#opened.values()) opened.close();
    this.#opened.clear();
  }
}
