/**
 * The API hygiene check of `portcullis assess` (issue 23 §3): three unauthenticated GETs (the
 * API's URL, a path under it that does not exist, /.well-known/security.txt) and what their
 * answers say: 401 with WWW-Authenticate rather than data, rate-limit headers, errors as RFC 9457
 * problems (or at least JSON), a current security.txt, and the response security headers
 * (nosniff, no-store on API responses, framing and CSP on HTML, no version in Server).
 */
import { randomUUID } from 'node:crypto';
import type { AssessCheck, AssessFinding, AssessRule, AssessTarget } from '../finding.js';
import { API_RULES as RULES } from './api-rules.js';
import { found, notTested } from './found.js';
import { cliAssessHttp, describeFailure, httpCheck, type AssessHttp, type AssessHttpFactory, type HttpReply } from './http-probe.js';
import { judgeSecurityTxt } from './security-txt.js';

/** Any of these names a rate limit: RateLimit and RateLimit-Policy (draft-ietf-httpapi-ratelimit-headers), the older RateLimit-Limit, and the common X- forms. */
const RATE_LIMIT_HEADERS = ['ratelimit', 'ratelimit-policy', 'ratelimit-limit', 'ratelimit-remaining', 'x-ratelimit-limit', 'x-ratelimit-remaining', 'x-ratelimit-reset', 'x-rate-limit-limit', 'x-rate-limit-remaining'];
const SECURITY_TXT_RULES: readonly AssessRule[] = [RULES.noSecurityTxt, RULES.securityTxtNoContact, RULES.securityTxtExpired];

export const API_CHECK_NAME = 'api-hygiene';

/** The check, reaching the API through `http` (the CLI's by default, the gateway's in continuous mode). */
export function apiHygieneCheck(http: AssessHttpFactory = cliAssessHttp): AssessCheck {
  return httpCheck(API_CHECK_NAME, Object.values(RULES), http, async (target, client) => [...(await assessApi(target, client)), ...(await assessSecurityTxt(target, client))]);
}

async function assessApi(target: AssessTarget, http: AssessHttp): Promise<AssessFinding[]> {
  const where = target.url.href;
  let base: HttpReply;
  try {
    base = await http.get(target.url);
  } catch (error) {
    const why = `GET ${where} failed: ${describeFailure(error)}`;
    return Object.values(RULES)
      .filter((rule) => !SECURITY_TXT_RULES.includes(rule))
      .map((rule) => notTested(rule, why, where));
  }
  // A path that cannot exist: how the API answers a request it has no route for.
  const missing = await http.get(new URL(`portcullis-assess-${randomUUID()}`, target.url)).catch(() => undefined);
  const replies = missing ? [base, missing] : [base];
  const findings: AssessFinding[] = [];
  if (base.status >= 200 && base.status < 300 && base.body.trim() !== '') {
    findings.push(found(RULES.unauthenticatedData, `GET without credentials answered HTTP ${base.status} with ${base.body.length} bytes of ${mediaType(base) || 'content'}`, where));
  }
  for (const reply of replies) {
    if (reply.status === 401 && !reply.headers['www-authenticate']) findings.push(found(RULES.noWwwAuthenticate, 'HTTP 401 without WWW-Authenticate', reply.url));
  }
  if (!replies.some((reply) => RATE_LIMIT_HEADERS.some((name) => reply.headers[name] !== undefined))) {
    findings.push(found(RULES.noRateLimitHeaders, `no RateLimit, RateLimit-Policy or X-RateLimit-* header on the answers to ${replies.map((reply) => reply.url).join(' and ')}`, where));
  }
  for (const reply of replies) findings.push(...errorFindings(reply), ...headerFindings(reply));
  return findings;
}

async function assessSecurityTxt(target: AssessTarget, http: AssessHttp): Promise<AssessFinding[]> {
  const url = new URL('/.well-known/security.txt', target.url.origin).href;
  try {
    return judgeSecurityTxt(await http.get(url, { accept: 'text/plain' }), target.clock);
  } catch (error) {
    return SECURITY_TXT_RULES.map((rule) => notTested(rule, `GET ${url} failed: ${describeFailure(error)}`, url));
  }
}

/** The media type of a reply, lower-cased, without parameters ('' when none). */
function mediaType(reply: HttpReply): string {
  return (reply.headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase();
}

function isJson(type: string): boolean {
  return type === 'application/json' || type.endsWith('+json');
}

/** RFC 9457 problems, or at least JSON, for every 4xx/5xx answer. */
function errorFindings(reply: HttpReply): AssessFinding[] {
  if (reply.status < 400) return [];
  const type = mediaType(reply);
  if (type === 'application/problem+json') return [];
  if (isJson(type)) return [found(RULES.errorNotProblem, `HTTP ${reply.status} answered as ${type}`, reply.url)];
  return [found(RULES.errorNotJson, `HTTP ${reply.status} answered as ${type || (reply.body === '' ? 'an empty body' : 'content without a media type')}`, reply.url)];
}

function headerFindings(reply: HttpReply): AssessFinding[] {
  const findings: AssessFinding[] = [];
  const type = mediaType(reply);
  if (reply.headers['x-content-type-options']?.toLowerCase() !== 'nosniff') findings.push(found(RULES.noNosniff, `HTTP ${reply.status} without X-Content-Type-Options: nosniff`, reply.url));
  const cacheControl = (reply.headers['cache-control'] ?? '').toLowerCase();
  if (isJson(type) && !/(^|,)\s*no-store\s*(,|$)/.test(cacheControl)) findings.push(found(RULES.cacheableApiResponse, `HTTP ${reply.status} (${type}) with Cache-Control: ${cacheControl || '(none)'}`, reply.url));
  if (type === 'text/html') {
    const csp = (reply.headers['content-security-policy'] ?? '').toLowerCase();
    const framing = csp.includes('frame-ancestors') || reply.headers['x-frame-options'] !== undefined;
    if (!framing || csp === '') findings.push(found(RULES.htmlFramable, `an HTML answer (HTTP ${reply.status}) without ${csp === '' ? 'Content-Security-Policy' : 'frame-ancestors or X-Frame-Options'}`, reply.url));
  }
  for (const name of ['server', 'x-powered-by']) {
    const value = reply.headers[name];
    if (value !== undefined && /\d/.test(value)) findings.push(found(RULES.versionLeak, `${name}: ${value}`, reply.url));
  }
  return findings;
}
