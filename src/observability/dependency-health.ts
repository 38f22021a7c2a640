/**
 * What the gateway depends on, and whether each answers right now (issue 13): the store, Redis,
 * token issuers, CRL URLs, the log destination. Components report outcomes; this records them as
 * one shape for operators:
 *
 * - the gauge `portcullis_dependency_up{dependency}` (1 answering, 0 not) and the counter
 *   `portcullis_dependency_failures_total{dependency}` (every failed attempt);
 * - the log: `dependency.unavailable` (error) when it fails, repeated at most every
 *   `repeatLogMs` while it stays down, and `dependency.available_again` (info) with the outage's
 *   length when it answers again; however it flaps, it is never more than that;
 * - `/readyz`'s `degraded` list, so a probe shows what is degraded while the data plane serves.
 *
 * Reports cost a Map lookup: components may report on every attempt.
 */
import type { Clock } from '../core/clock.js';
import type { Logger } from './logger.js';
import type { GatewayMetrics } from './metrics.js';

export interface DegradedDependency {
  readonly dependency: string;
  /** ISO time of the first failure of this outage. */
  readonly since: string;
  /** The last failure, short and secret-free. */
  readonly reason: string;
}

interface State {
  up: boolean;
  since: number;
  reason: string;
  loggedAt: number;
}

/** While a dependency stays down, its outage is logged again at most this often. */
export const OUTAGE_REPEAT_LOG_MS = 30_000;

export class DependencyHealth {
  readonly #states = new Map<string, State>();

  constructor(
    private readonly deps: { clock: Clock; logger: () => Logger; metrics?: GatewayMetrics | undefined; repeatLogMs?: number },
  ) {}

  /** Declares a dependency (so its gauge reads 1 before it is first used). */
  register(dependency: string): void {
    if (this.#states.has(dependency)) return;
    this.#states.set(dependency, { up: true, since: this.deps.clock.now(), reason: '', loggedAt: Number.NEGATIVE_INFINITY });
    this.deps.metrics?.dependencyUp.set({ dependency }, 1);
  }

  /** The dependency answered. `log: false` for the log destination itself (its lines would be lost). */
  up(dependency: string, options: { log?: boolean } = {}): void {
    const state = this.#states.get(dependency);
    if (!state) return this.register(dependency);
    if (state.up) return;
    const now = this.deps.clock.now();
    const outageMs = now - state.since;
    state.up = true;
    state.since = now;
    state.reason = '';
    this.deps.metrics?.dependencyUp.set({ dependency }, 1);
    if (options.log === false) return;
    this.deps.logger().info({ event: 'dependency.available_again', dependency, outageMs }, `${dependency} answers again`);
  }

  /** The dependency failed; `reason` must be short and hold no secret (no URLs with passwords). */
  down(dependency: string, reason: string, options: { log?: boolean } = {}): void {
    this.register(dependency);
    const state = this.#states.get(dependency)!;
    const now = this.deps.clock.now();
    this.deps.metrics?.dependencyFailures.inc({ dependency });
    state.reason = reason;
    if (state.up) {
      state.up = false;
      state.since = now;
      this.deps.metrics?.dependencyUp.set({ dependency }, 0);
    } else if (now - state.loggedAt < (this.deps.repeatLogMs ?? OUTAGE_REPEAT_LOG_MS)) {
      return;
    }
    state.loggedAt = now;
    if (options.log === false) return;
    this.deps.logger().error(
      { event: 'dependency.unavailable', dependency, since: new Date(state.since).toISOString(), reason },
      `${dependency} does not answer: what needs it degrades (see docs/operations.md)`,
    );
  }

  isUp(dependency: string): boolean {
    return this.#states.get(dependency)?.up ?? true;
  }

  /** Every dependency down right now, for /readyz. */
  degraded(): DegradedDependency[] {
    const out: DegradedDependency[] = [];
    for (const [dependency, state] of this.#states) {
      if (!state.up) out.push({ dependency, since: new Date(state.since).toISOString(), reason: state.reason });
    }
    return out;
  }
}
