/**
 * API keys (docs/api-keys.md): a key changed by one character, cut short or moved to another
 * environment is refused, as is a well-formed key that was never issued and a revoked key. The
 * tampered keys start from a real key of a throwaway consumer (created through the admin API
 * with `--admin-url`, revoked and disabled afterwards), so a refusal proves the check, not a typo.
 */
import { generateApiKey, parseApiKey } from '../../../keys/api-key-format.js';
import { OWASP } from '../../preflight/check.js';
import { defineProbes, skip, type ProbeContext, type ProbeResult, type ProbeRule } from '../probe.js';
import { routeHeaders, routeWhere, type ProbeRoute } from '../routes.js';
import { judgeRefusal, refused } from './auth.js';

const BASE62 = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';
/** How long a revocation may take to reach the node answering (DESIGN §1: within a second). */
export const REVOCATION_DEADLINE_MS = 2000;

/** The key with the character at `index` replaced by the next base62 character. */
export function flipCharacter(key: string, index: number): string {
  const at = BASE62.indexOf(key[index]!);
  return `${key.slice(0, index)}${BASE62[(at + 1) % BASE62.length]}${key.slice(index + 1)}`;
}

/** The key with its environment segment replaced (`ptc_live_…` → `ptc_test_…`). */
export function otherEnvironment(key: string): string {
  const [product, environment, ...rest] = key.split('_');
  return [product, environment === 'live' ? 'test' : 'live', ...rest].join('_');
}

export const apiKeyProbes = defineProbes(
  'api-keys',
  {
    flipped: { id: 'ST-KEY-001', severity: 'critical', title: 'An issued API key with one character of its secret changed', expected: '401 auth.key_invalid', why: OWASP.API2 },
    truncated: { id: 'ST-KEY-002', severity: 'critical', title: 'An issued API key cut short (one character, and to its id)', expected: '401 auth.key_invalid', why: OWASP.API2 },
    environment: { id: 'ST-KEY-003', severity: 'high', title: 'An issued API key with another environment prefix (live ↔ test)', expected: '401 auth.key_invalid', why: OWASP.API2 },
    revoked: { id: 'ST-KEY-004', severity: 'critical', title: 'An API key just revoked through the admin API', expected: `401 auth.key_revoked within ${REVOCATION_DEADLINE_MS} ms of the revocation`, why: OWASP.API2 },
    neverIssued: { id: 'ST-KEY-005', severity: 'critical', title: 'A well-formed API key (valid checksum) that was never issued', expected: '401 auth.key_invalid', why: OWASP.API2 },
  },
  async ({ routes, client, credentials }, rules) => {
    const route = routes.find((candidate) => candidate.apiKey && candidate.authentication === 'required' && !candidate.public);
    const all = Object.values(rules) as ProbeRule[];
    if (route === undefined) return all.map((rule) => skip(rule, 'no route requires an API key'));
    const attempt = async (rule: ProbeRule, key: string, variant: string): Promise<ProbeResult> => {
      const answer = await client.send(route.method, route.path, { headers: routeHeaders(route, { authorization: `Bearer ${key}` }) });
      return judgeRefusal(rule, answer, `${routeWhere(route)}: ${variant}`);
    };
    const results: ProbeResult[] = [];
    const issued = credentials.apiKey;
    const parsed = issued === undefined ? undefined : parseApiKey(issued);
    results.push(await attempt(rules.neverIssued, generateApiKey(parsed?.ok ? parsed.product : 'ptc', parsed?.ok ? parsed.environment : 'live').key, 'a fresh key never issued'));
    if (issued === undefined || !parsed?.ok) {
      const reason = credentials.missing ?? 'no API key to tamper with';
      results.push(skip(rules.flipped, reason), skip(rules.truncated, reason), skip(rules.environment, reason));
    } else {
      const secretStart = parsed.product.length + parsed.environment.length + 2 + parsed.id.length;
      results.push(await attempt(rules.flipped, flipCharacter(issued, secretStart + 5), 'one secret character changed'));
      results.push(await attempt(rules.truncated, issued.slice(0, -1), 'last character removed'));
      results.push(await attempt(rules.truncated, issued.slice(0, secretStart), 'cut to its id'));
      results.push(await attempt(rules.environment, otherEnvironment(issued), 'other environment'));
    }
    results.push(await revokedKey(route, client, credentials, rules.revoked));
    return results;
  },
);

async function revokedKey(route: ProbeRoute, client: ProbeContext['client'], credentials: ProbeContext['credentials'], rule: ProbeRule): Promise<ProbeResult> {
  if (credentials.revokedKey === undefined) return skip(rule, credentials.missing ?? 'needs an admin credential (--admin-url and PORTCULLIS_ADMIN_TOKEN)');
  const key = await credentials.revokedKey();
  const deadline = Date.now() + REVOCATION_DEADLINE_MS;
  for (;;) {
    const answer = await client.send(route.method, route.path, { headers: routeHeaders(route, { authorization: `Bearer ${key}` }) });
    if (refused(answer) || Date.now() > deadline) return judgeRefusal(rule, answer, `${routeWhere(route)}: revoked key`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}
