/**
 * upstreams.<name>.assess.minimumGrade (issue 23 §5, docs/assess.md#minimum-grade): an upstream
 * graded below its floor, or not graded yet, gets nothing from the gateway, and its credential is
 * not even read. So the refusal runs at the very start of the transform phase, before
 * upstream-auth (policies/order.ts 750) reads a secret or fetches or refreshes a token for it,
 * and after authentication and authorization (a client that may not use the route learns nothing
 * about the upstream's grade). The proxy asks once more for the upstream it finally sends to.
 */
import { GatewayError } from '../core/errors.js';
import type { PolicyInstance } from '../core/pipeline.js';
import type { UpstreamConfig } from '../config/schema.js';

/** Refuses an upstream whose latest assessment grade is below its minimum (server/assessments.ts). */
export interface AssessmentGate {
  require(upstream: string, config: UpstreamConfig): void;
}

/** Before every other transform (the lowest order in policies/order.ts is far above it). */
const GATE_ORDER = -1000;

/**
 * Throws 503 upstream.assessment_below_minimum when `upstream` has a minimumGrade it does not
 * meet; `gate` undefined (a runtime built alone, in tools and tests) refuses it: fail closed.
 */
export function requireAssessed(upstream: { readonly name: string; readonly config: UpstreamConfig }, gate: AssessmentGate | undefined): void {
  if (upstream.config.assess?.minimumGrade === undefined) return;
  if (!gate) throw new GatewayError('upstream.assessment_below_minimum', { detail: `Upstream ${upstream.name} has no assessment in this process.` });
  gate.require(upstream.name, upstream.config);
}

/** Whether any upstream of the config has a minimum grade (otherwise routes get no gate at all). */
export function anyMinimumGrade(upstreams: Readonly<Record<string, UpstreamConfig>>): boolean {
  return Object.values(upstreams).some((upstream) => upstream.assess?.minimumGrade !== undefined);
}

/**
 * The route's gate: checks the upstream the request will go to (the one a receive-phase policy
 * chose, e.g. geo, else the route's) at the start of the transform phase.
 */
export function assessmentGateInstance(routeUpstream: string, upstreams: ReadonlyMap<string, { readonly name: string; readonly config: UpstreamConfig }>, gate: AssessmentGate | undefined): PolicyInstance {
  return {
    name: 'assessment-gate',
    order: GATE_ORDER,
    handlers: {
      transform: function refuseBelowMinimumGrade(ctx) {
        const upstream = upstreams.get(ctx.upstreamName ?? routeUpstream);
        // An unknown upstream is the proxy's to refuse (internal error), not this gate's.
        if (upstream) requireAssessed(upstream, gate);
      },
    },
  };
}
