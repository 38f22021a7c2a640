/**
 * The RateLimit-Policy and RateLimit fields of draft-ietf-httpapi-ratelimit-headers (-09/-10):
 * Structured Field lists (RFC 8941) of quota policies, `"name";q=<quota>;w=<window seconds>`,
 * and of current budgets, `"name";r=<remaining>;t=<seconds until whole again>`. Plus, on request,
 * the legacy X-RateLimit-* trio for the tightest limit, for clients that only know those.
 */
import type { LimitState } from '../../core/rate-limit.js';

/**
 * The quota a client can count on, from the limits as applied to this request (an override
 * changes a consumer's numbers). A GCRA limit lets `burst` units pass at once and gives them back
 * at `limit / window`, so it is advertised as `burst` units per the time a whole burst takes to
 * come back: with the default burst that is exactly the configured limit and window, and `r` never
 * exceeds `q`. Names are restricted by the config schema to [a-z0-9_-]: no escaping needed.
 */
export function describePolicies(states: readonly LimitState[]): string {
  return states.map((state) => `"${state.name}";q=${state.burst};w=${burstWindowSeconds(state)}`).join(', ');
}

function burstWindowSeconds(state: LimitState): number {
  return Math.max(1, Math.ceil((state.burst * state.windowMs) / state.limit / 1000 - 1e-9));
}

export function describeRemaining(states: readonly LimitState[]): string {
  let text = '';
  for (const state of states) text += `${text === '' ? '' : ', '}"${state.name}";r=${state.remaining};t=${Math.ceil(state.resetMs / 1000)}`;
  return text;
}

/**
 * describePolicies for a route's configured limits, built once: reused for every decision whose
 * states carry exactly those numbers (no override applied), else described afresh.
 */
export function policiesDescriber(configured: ReadonlyArray<Pick<LimitState, 'name' | 'limit' | 'windowMs' | 'burst'>>): (states: readonly LimitState[]) => string {
  const text = describePolicies(configured as readonly LimitState[]);
  return (states) => {
    if (states.length !== configured.length) return describePolicies(states);
    for (let i = 0; i < states.length; i++) {
      const state = states[i]!;
      const limit = configured[i]!;
      if (state.name !== limit.name || state.limit !== limit.limit || state.windowMs !== limit.windowMs || state.burst !== limit.burst) return describePolicies(states);
    }
    return text;
  };
}

/** The limit with the fewest units left (the first of equals). */
function tightest(states: readonly LimitState[]): LimitState | undefined {
  return states.reduce<LimitState | undefined>((low, state) => (low === undefined || state.remaining < low.remaining ? state : low), undefined);
}

export function legacyHeaders(states: readonly LimitState[]): Record<string, string> {
  const state = tightest(states);
  if (!state) return {};
  return { 'x-ratelimit-limit': String(state.burst), 'x-ratelimit-remaining': String(state.remaining), 'x-ratelimit-reset': String(Math.ceil(state.resetMs / 1000)) };
}
