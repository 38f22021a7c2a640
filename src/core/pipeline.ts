/**
 * Runs a route's policies in the fixed phase order (DESIGN.md §2). The order within a phase comes
 * from one table, handed in as `order`; core knows no policy by name. Built once per route at
 * load, so a request only walks arrays.
 */
import type { RequestContext } from './context.js';
import { REQUEST_PHASES, type DirectResponse, type PolicyHandler, type PolicyHandlers, type PolicyPhase } from './policy.js';

export interface PolicyInstance {
  readonly name: string;
  readonly order: number;
  readonly handlers: PolicyHandlers;
}

export interface Pipeline {
  /** Handlers of the receive … transform phases, in run order. */
  readonly request: readonly PolicyHandler[];
  /** The phase of each `request` handler (same index): a traced request notes each phase as it begins. */
  readonly requestPhases: readonly PolicyPhase[];
  readonly respond: readonly PolicyHandler[];
  readonly log: readonly PolicyHandler[];
  /** A respond handler reads or changes the upstream's body (PolicyHandlers.respondReadsBody). */
  readonly readsResponseBody: boolean;
}

export function buildPipeline(instances: readonly PolicyInstance[]): Pipeline {
  const sorted = [...instances].sort((a, b) => a.order - b.order);
  const inPhase = (phase: PolicyPhase) => sorted.flatMap((instance) => (instance.handlers[phase] ? [instance.handlers[phase]!] : []));
  return {
    request: REQUEST_PHASES.flatMap((phase) => inPhase(phase)),
    requestPhases: REQUEST_PHASES.flatMap((phase) => inPhase(phase).map(() => phase)),
    respond: inPhase('respond'),
    log: inPhase('log'),
    readsResponseBody: sorted.some((instance) => instance.handlers.respond !== undefined && instance.handlers.respondReadsBody === true),
  };
}

/** Runs the request phases; a DirectResponse from a policy ends them and answers the request. */
export async function runRequestPhases(pipeline: Pipeline, ctx: RequestContext): Promise<DirectResponse | undefined> {
  const span = ctx.span;
  let phase: PolicyPhase | undefined;
  for (let index = 0; index < pipeline.request.length; index++) {
    // A client that went away while an earlier phase waited gets no further work done for it.
    if (ctx.finished) return undefined;
    if (span && pipeline.requestPhases[index] !== phase) span.phase((phase = pipeline.requestPhases[index]!));
    const result = pipeline.request[index]!(ctx);
    const value = result instanceof Promise ? await result : result;
    if (value) return value;
  }
  return undefined;
}

/** Runs respond- or log-phase handlers; these act on ctx.response and cannot answer instead. */
export async function runPhase(handlers: readonly PolicyHandler[], ctx: RequestContext): Promise<void> {
  for (const handler of handlers) {
    const result = handler(ctx);
    if (result instanceof Promise) await result;
  }
}

