/**
 * How authentication policies compose on one route (the convention every auth policy follows):
 * each has `required` (default true); with `required: false` a request without that kind of
 * credential passes on without a principal, while a present but invalid one is still refused.
 * When a second policy authenticates a request that an earlier one already did, both must name
 * the same consumer (else 401 auth.credentials_conflict), and the earlier principal stays (as in
 * auth-jwt), so its scopes are the ones authorize sees. Every principal established is also
 * kept, in order, for a check that needs each credential by kind (a contract's `security` that
 * needs an API key AND a client certificate, or one scheme's scopes from one token).
 */
import type { Principal, RequestContext } from './context.js';
import { GatewayError } from './errors.js';
import { defineStateKey } from './request-state.js';

const PRINCIPALS = defineStateKey<Principal[]>('auth.principals');

/** Every principal the request's authentication policies established, in order (empty: none). */
export function authenticatedPrincipals(ctx: RequestContext): readonly Principal[] {
  return ctx.state.get(PRINCIPALS) ?? [];
}

export function establishPrincipal(ctx: RequestContext, principal: Principal): void {
  const earlier = ctx.principal;
  if (!earlier) {
    ctx.principal = principal;
    ctx.state.set(PRINCIPALS, [principal]);
    return;
  }
  if (earlier.consumerId !== principal.consumerId) {
    ctx.logFields.authConflict = { [earlier.type]: earlier.credentialId, [principal.type]: principal.credentialId };
    throw new GatewayError('auth.credentials_conflict', { detail: 'The credentials in this request belong to different consumers.', internal: `${earlier.type} ${earlier.consumerId} vs ${principal.type} ${principal.consumerId}` });
  }
  ctx.state.set(PRINCIPALS, [...authenticatedPrincipals(ctx), principal]);
}
