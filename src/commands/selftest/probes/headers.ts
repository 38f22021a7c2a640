/**
 * Response headers: the security headers on every answer (a refusal as much as a success), no
 * header naming the upstream's software, and CORS that never hands an unknown origin the right to
 * read responses (by reflecting it, or by `*` with credentials; the Fetch standard's CORS protocol).
 */
import { OWASP } from '../../preflight/check.js';
import type { Answer } from '../client.js';
import { defineProbes, skip, verdict, type ProbeResult } from '../probe.js';
import { routeHeaders, routeWhere } from '../routes.js';

export const ATTACKER_ORIGIN = 'https://attacker.selftest.invalid';

/** What is missing or leaking in an answer's headers; empty when all is well. */
function headerProblems(answer: Answer): string[] {
  const problems: string[] = [];
  if (String(answer.headers['x-content-type-options'] ?? '').toLowerCase() !== 'nosniff') problems.push('no X-Content-Type-Options: nosniff');
  const framing = answer.headers['x-frame-options'] !== undefined || /frame-ancestors/i.test(String(answer.headers['content-security-policy'] ?? ''));
  if (!framing) problems.push('no X-Frame-Options nor CSP frame-ancestors');
  if (answer.headers['x-powered-by'] !== undefined) problems.push(`X-Powered-By: ${String(answer.headers['x-powered-by'])}`);
  return problems;
}

export const headerProbes = defineProbes(
  'headers',
  {
    securityHeaders: {
      id: 'ST-HDR-001',
      severity: 'medium',
      title: 'Security headers on a refusal and on a success',
      expected: 'X-Content-Type-Options: nosniff, X-Frame-Options or CSP frame-ancestors, no X-Powered-By',
      why: OWASP.API8,
    },
    corsReflection: {
      id: 'ST-CORS-001',
      severity: 'high',
      title: 'A CORS request (simple and preflight) from an unknown origin, and from Origin: null',
      expected: 'Access-Control-Allow-Origin absent or another origin: never the unknown origin, never "null", never "*" with credentials',
      why: OWASP.API8,
    },
  },
  async ({ routes, client, credentials }, rules) => {
    const route = routes.find((candidate) => !candidate.public) ?? routes[0];
    if (route === undefined) return [skip(rules.securityHeaders, 'no route (give --config or --admin-url)'), skip(rules.corsReflection, 'no route (give --config or --admin-url)')];
    const results: ProbeResult[] = [];
    const refusal = await client.send(route.method, route.path, { headers: routeHeaders(route) });
    const problems = headerProblems(refusal);
    results.push(verdict(rules.securityHeaders, problems.length === 0, problems.join('; ') || `${refusal.status}: all present`, routeWhere(route)));
    if (credentials.apiKey !== undefined && route.apiKey) {
      const success = await client.send(route.method, route.path, { headers: routeHeaders(route, { authorization: `Bearer ${credentials.apiKey}` }) });
      const successProblems = headerProblems(success);
      results.push(verdict(rules.securityHeaders, successProblems.length === 0, successProblems.join('; ') || `${success.status}: all present`, `${routeWhere(route)} with a valid key`));
    }
    for (const origin of [ATTACKER_ORIGIN, 'null']) {
      const simple = await client.send(route.method, route.path, { headers: routeHeaders(route, { origin }) });
      const preflight = await client.send('OPTIONS', route.path, { headers: routeHeaders(route, { origin, 'access-control-request-method': route.method, 'access-control-request-headers': 'authorization' }) });
      for (const [kind, answer] of [['simple', simple], ['preflight', preflight]] as const) {
        const allowed = answer.headers['access-control-allow-origin'];
        const credentialsAllowed = String(answer.headers['access-control-allow-credentials'] ?? '') === 'true';
        const reflected = allowed === origin || (allowed === '*' && credentialsAllowed);
        results.push(verdict(rules.corsReflection, !reflected, `${answer.status}, Access-Control-Allow-Origin: ${allowed ?? '(absent)'}${credentialsAllowed ? ', Access-Control-Allow-Credentials: true' : ''}`, `${kind} ${routeWhere(route, route.path, kind === 'simple' ? route.method : 'OPTIONS')} Origin: ${origin}`));
      }
    }
    return results;
  },
);
