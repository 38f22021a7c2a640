/**
 * HSTS and the plain-HTTP redirect (issue 23 §2, docs/assess.md#hsts): one GET over HTTPS for the
 * Strict-Transport-Security header (RFC 6797 §6.1) and one over plain HTTP, which must redirect to
 * HTTPS. Redirects are never followed: the redirect is the answer being judged. Both requests go
 * through the project's outbound client (src/outbound), with TLS that reaches even a TLS 1.0-only
 * server and verifies the certificate against the default roots plus the CA file (tls/trust.ts).
 */
import { request, type Dispatcher } from 'undici';
import { createOutboundDispatcher } from '../../outbound/index.js';
import type { AssessCheck, AssessFinding, AssessRule, AssessTarget } from '../finding.js';
import { assessClientTls } from '../tls/trust.js';
import { found, notTested } from './found.js';

/** RFC 6797 §11.2 and the preload list's threshold: a year. */
export const HSTS_MIN_MAX_AGE_SECONDS = 31_536_000;

export const HSTS_RULES = {
  missing: { id: 'AS-HSTS-001', severity: 'medium', cap: 'A', title: 'No Strict-Transport-Security header', why: 'Without HSTS (RFC 6797) a client that once follows an http:// link can be downgraded to clear text (SSL stripping).', fix: 'Send `Strict-Transport-Security: max-age=31536000; includeSubDomains` on every HTTPS response.' },
  shortMaxAge: { id: 'AS-HSTS-002', severity: 'low', cap: 'A', title: 'HSTS max-age below one year', why: 'A short max-age lets the protection lapse between visits; the best grade and the preload list ask for a year (RFC 6797 §11.2).', fix: 'Set max-age to at least 31536000.' },
  noIncludeSubDomains: { id: 'AS-HSTS-003', severity: 'info', title: 'HSTS without includeSubDomains', why: 'Without includeSubDomains (RFC 6797 §6.1.2) sibling hosts can still be reached over clear text and used to set cookies.', fix: 'Add includeSubDomains once every subdomain serves HTTPS.' },
  noRedirect: { id: 'AS-HSTS-004', severity: 'medium', title: 'Plain HTTP answers without redirecting to HTTPS', why: 'An API served over clear text exposes credentials and data; plain HTTP should only redirect (or be closed).', fix: 'Close port 80, or answer every plain request with a redirect to https://.' },
} as const satisfies Record<string, AssessRule>;

/** The dispatcher one run sends with, and what ends it (nothing for a dispatcher the caller owns). */
export type HstsAgentFactory = (target: AssessTarget) => { readonly dispatcher: Dispatcher; close(): Promise<void> };

/** The CLI's: an agent of the outbound client, no egress rules (the operator named the host). */
const ownAgent: HstsAgentFactory = (target) => {
  // Not the hardened profile: a TLS 1.0-only provider's header must still be read (trust.ts).
  const agent = createOutboundDispatcher({ purpose: 'discovery', tls: assessClientTls(target), connectTimeoutMs: target.timeoutMs, headersTimeoutMs: target.timeoutMs, bodyTimeoutMs: target.timeoutMs });
  return { dispatcher: agent, close: () => agent.close() };
};

/** The HSTS check; `agentOf` makes each run's dispatcher (continuous mode hands in the gateway's). */
export function hstsCheck(agentOf: HstsAgentFactory = ownAgent): AssessCheck {
  return {
    name: 'hsts',
    rules: Object.values(HSTS_RULES),
    async run(target: AssessTarget): Promise<AssessFinding[]> {
      const agent = agentOf(target);
      try {
        return [...(await hstsFindings(target, agent.dispatcher)), ...(await redirectFindings(target, agent.dispatcher))];
      } finally {
        await agent.close();
      }
    },
  };
}

type Agent = Dispatcher;

async function hstsFindings(target: AssessTarget, dispatcher: Agent): Promise<AssessFinding[]> {
  const where = target.url.href;
  let header: string | undefined;
  try {
    const response = await request(target.url, { method: 'GET', dispatcher, signal: AbortSignal.timeout(target.timeoutMs) });
    await response.body.dump();
    const value = response.headers['strict-transport-security'];
    header = Array.isArray(value) ? value[0] : value;
  } catch (error) {
    return [notTested(HSTS_RULES.missing, `no HTTPS response to read it from: ${(error as Error).message}`, where)];
  }
  if (header === undefined) return [found(HSTS_RULES.missing, 'no Strict-Transport-Security header', where)];
  // RFC 6797 §6.1: directives separated by ';', names case-insensitive, max-age required.
  const directives = new Map(header.split(';').map((part) => part.trim().split('=') as [string, string?]).filter(([name]) => name !== '').map(([name, value]) => [name.toLowerCase(), value?.replace(/^"|"$/g, '')]));
  const maxAge = Number(directives.get('max-age'));
  const findings: AssessFinding[] = [];
  if (!Number.isInteger(maxAge) || maxAge < HSTS_MIN_MAX_AGE_SECONDS) findings.push(found(HSTS_RULES.shortMaxAge, `max-age=${directives.get('max-age') ?? 'missing'} (at least ${HSTS_MIN_MAX_AGE_SECONDS} wanted)`, where));
  if (!directives.has('includesubdomains')) findings.push(found(HSTS_RULES.noIncludeSubDomains, 'includeSubDomains missing', where));
  return findings;
}

async function redirectFindings(target: AssessTarget, dispatcher: Agent): Promise<AssessFinding[]> {
  const http = target.httpUrl ?? Object.assign(new URL(target.url.href), { protocol: 'http:', port: '' });
  try {
    const response = await request(http, { method: 'GET', dispatcher, signal: AbortSignal.timeout(target.timeoutMs) });
    await response.body.dump();
    const location = response.headers.location;
    const to = Array.isArray(location) ? location[0] : location;
    if (response.statusCode >= 300 && response.statusCode < 400 && to !== undefined && new URL(to, http).protocol === 'https:') return [];
    return [found(HSTS_RULES.noRedirect, `${http.href} answered ${response.statusCode}${to ? ` to ${to}` : ''} instead of a redirect to https://`, http.href)];
  } catch (error) {
    // The egress rules refused the connection (continuous mode): nothing was sent, so nothing is known.
    const refusal = [error, (error as Error).cause].find((e) => (e as { code?: unknown } | undefined)?.code === 'EOUTBOUNDREFUSED');
    if (refusal) return [notTested(HSTS_RULES.noRedirect, `${http.href}: ${(refusal as Error).message}`, http.href)];
    // Nothing listens for plain HTTP (or it times out): clear text is not served, which is fine.
    return [];
  }
}
