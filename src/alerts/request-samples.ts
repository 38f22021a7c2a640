/**
 * A few recent request ids per route for the request-driven rules (route_error_ratio,
 * latency_p99, validation_failure_spike; auth_failure_spike keeps its own per source), so a
 * notification names requests to look up in the access log. Per route and kind, a ring of the
 * last REQUEST_SAMPLES ids; the routes are the config's (plus internal names), and at most MAX_ROUTES are
 * kept. The request path does a few comparisons per request and a push only for the requests
 * that are samples.
 */

/** Ids kept per route and kind. */
export const REQUEST_SAMPLES = 5;
const MAX_ROUTES = 1000;

export type SampleKind = 'server_error' | 'slow' | 'invalid';

export interface SampledRequest {
  readonly route: string;
  readonly status: number;
  readonly durationSeconds: number;
  readonly requestId?: string | undefined;
  /** The problem's `code` when the gateway answered with one. */
  readonly errorCode?: string | undefined;
}

export class RequestSamples {
  readonly #routes = new Map<string, Record<SampleKind, string[]>>();

  /** `slowSeconds`: a request at least this long is a `slow` sample (latency_p99's p99Seconds). */
  constructor(private readonly slowSeconds: () => number) {}

  record(request: SampledRequest): void {
    const kind = this.kindOf(request);
    if (kind !== undefined) this.add(request.route, kind, request.requestId!);
  }

  /** Which kind of sample a request is, if any (one without an id is none: nothing to look up). */
  kindOf(request: SampledRequest): SampleKind | undefined {
    if (request.requestId === undefined) return undefined;
    return request.status >= 500 ? 'server_error' : request.errorCode === 'validation.failed' ? 'invalid' : request.durationSeconds >= this.slowSeconds() ? 'slow' : undefined;
  }

  /** Keeps one sample id of a route and kind. */
  add(route: string, kind: SampleKind, requestId: string): void {
    let rings = this.#routes.get(route);
    if (!rings) {
      if (this.#routes.size >= MAX_ROUTES) this.#routes.delete(this.#routes.keys().next().value!);
      this.#routes.set(route, (rings = { server_error: [], slow: [], invalid: [] }));
    }
    const ring = rings[kind];
    ring.push(requestId);
    if (ring.length > REQUEST_SAMPLES) ring.shift();
  }

  /** The newest ids of a route and kind, oldest first (a copy). */
  of(route: string, kind: SampleKind): string[] {
    return [...(this.#routes.get(route)?.[kind] ?? [])];
  }
}
