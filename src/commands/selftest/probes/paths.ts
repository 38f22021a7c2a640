/**
 * Path traversal and encoding tricks: a protected route's path reached through a dot segment, an
 * encoded one, a double-encoded one, a NUL, a backslash or an overlong UTF-8 dot. A gateway that
 * routes on one reading of the path and forwards another lets a client walk around the route's
 * policies (server/request-target.ts). Expected: refused (400), or matched to a route whose
 * authentication then applies (401/403), or no route (404); never an answer without credentials.
 */
import { OWASP } from '../../preflight/check.js';
import { describeAnswer } from '../client.js';
import { defineProbes, skip, verdict, type ProbeResult } from '../probe.js';
import { routeHeaders, routeWhere } from '../routes.js';

/** Each trick climbs one segment up from `/<first>/selftest-x/` back to the route's path. */
export const TRAVERSALS: ReadonlyArray<readonly [string, string]> = [
  ['dot segment', '../'],
  ['encoded dot segment', '%2e%2e%2f'],
  ['encoded dots, plain slash', '%2e%2e/'],
  ['double-encoded', '%252e%252e%252f'],
  ['NUL', '%00/../'],
  ['backslash', '..\\'],
  ['encoded backslash', '..%5c'],
  ['overlong UTF-8', '%c0%ae%c0%ae%c0%af'],
  ['path parameter', '..;/'],
];

export const pathProbes = defineProbes(
  'paths',
  {
    traversal: {
      id: 'ST-PATH-001',
      severity: 'critical',
      title: 'A protected route reached through traversal and encoding tricks, without credentials',
      expected: '400, 404, or 401/403: never 2xx/3xx without credentials',
      why: OWASP.API5,
    },
  },
  async ({ routes, client }, rules) => {
    const route = routes.find((candidate) => !candidate.public && candidate.authentication !== 'none' && candidate.methods.includes('GET'));
    if (route === undefined) return [skip(rules.traversal, 'no GET route that requires authentication')];
    const results: ProbeResult[] = [];
    for (const [name, trick] of TRAVERSALS) {
      const path = `${route.path.replace(/\/[^/]*$/, '')}/selftest-x/${trick}${route.path.slice(route.path.lastIndexOf('/') + 1)}`;
      let observed: string;
      let ok: boolean;
      try {
        const answer = await client.send('GET', path, { headers: routeHeaders(route) });
        observed = describeAnswer(answer);
        ok = answer.status >= 400 && answer.status < 500 && answer.status !== 429 ? true : answer.status === 429 && answer.code === 'auth.too_many_failures';
      } catch (error) {
        // The client refuses to send some targets (a raw backslash is legal on the wire for it, NUL is not).
        observed = `not sent: ${(error as Error).message}`;
        ok = true;
      }
      results.push(verdict(rules.traversal, ok, observed, `${routeWhere(route, path, 'GET')}: ${name}`));
    }
    return results;
  },
);
