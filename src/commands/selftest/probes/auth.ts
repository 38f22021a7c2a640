/**
 * ST-AUTH-001: every route that is not `public: true` refuses a request without credentials. The
 * config says which routes should; this asks the running gateway, so a policy disabled by a
 * reload, a route shadowed by another, or a config that is not the one deployed shows up.
 */
import { OWASP } from '../../preflight/check.js';
import { describeAnswer, type Answer } from '../client.js';
import { defineProbes, skip, verdict, type ProbeResult, type ProbeRule } from '../probe.js';
import { routeHeaders, routeWhere } from '../routes.js';

/** Refused: 401, 403, or 429 from brute-force protection (a client already blocked). */
export function refused(answer: Answer): boolean {
  return answer.status === 401 || answer.status === 403 || (answer.status === 429 && answer.code === 'auth.too_many_failures');
}

/**
 * The verdict on an answer that must be a refusal: 401/403 pass, anything else fails, and 429
 * auth.too_many_failures is a skip: the client is blocked by brute-force protection, so the check
 * the probe aims at was not reached and proves nothing either way.
 */
export function judgeRefusal(rule: ProbeRule, answer: Answer, where: string): ProbeResult {
  if (answer.status === 429 && answer.code === 'auth.too_many_failures') return skip(rule, 'the client is blocked by brute-force protection (bruteForce): the check behind it was not reached; run again after its blockSeconds', where);
  return verdict(rule, answer.status === 401 || answer.status === 403, describeAnswer(answer), where);
}

export const BODY_METHODS = new Set(['POST', 'PUT', 'PATCH']);

export const authProbes = defineProbes(
  'authentication',
  {
    noCredentials: {
      id: 'ST-AUTH-001',
      severity: 'high',
      title: 'A request without credentials to a route that is not public',
      expected: '401 (or 403; 429 auth.too_many_failures once the client is blocked)',
      why: OWASP.API2,
    },
  },
  async ({ routes, client }, rules) => {
    const guarded = routes.filter((route) => !route.public);
    if (guarded.length === 0) return [skip(rules.noCredentials, 'no route that is not public (give --config or --admin-url)')];
    const results = [];
    for (const route of guarded) {
      for (const method of route.methods) {
        const body = BODY_METHODS.has(method) ? '{}' : undefined;
        const answer = await client.send(method, route.path, { headers: routeHeaders(route, body ? { 'content-type': 'application/json' } : {}), body });
        results.push(judgeRefusal(rules.noCredentials, answer, routeWhere(route, route.path, method)));
      }
    }
    return results;
  },
);
