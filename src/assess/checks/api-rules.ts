/**
 * The rules of the API hygiene check (issue 23 §3, docs/assess.md "API hygiene"): what one
 * unauthenticated request, one request for a path that does not exist and the provider's
 * security.txt say about how the API treats a caller it does not know.
 */
import type { AssessRule } from '../finding.js';

export const API_RULES = {
  unauthenticatedData: {
    id: 'AS-API-001',
    severity: 'high',
    cap: 'B',
    title: 'An unauthenticated request is answered with data',
    why: 'OWASP API2:2023 Broken Authentication: the API answered a request without credentials with 2xx and a body, instead of 401.',
    fix: 'Require authentication on the API\'s base URL and answer 401 with WWW-Authenticate (RFC 9110 §11.6.1); if it is public on purpose, assess a protected URL.',
  },
  noWwwAuthenticate: {
    id: 'AS-API-002',
    severity: 'medium',
    title: 'A 401 without WWW-Authenticate',
    why: 'RFC 9110 §15.5.2: a 401 response must carry WWW-Authenticate, which tells the client which scheme (Bearer, RFC 6750 §3) and realm to use.',
    fix: 'Send `WWW-Authenticate: Bearer realm="…"` (or the scheme in use) with every 401.',
  },
  noRateLimitHeaders: {
    id: 'AS-API-003',
    severity: 'low',
    title: 'No rate-limit headers',
    why: 'OWASP API4:2023 Unrestricted Resource Consumption: without RateLimit / RateLimit-Policy (draft-ietf-httpapi-ratelimit-headers) or X-RateLimit-* a client cannot pace itself, and limits may be absent.',
    fix: 'Send RateLimit and RateLimit-Policy (or X-RateLimit-Limit/Remaining/Reset) on API responses, including refusals.',
  },
  errorNotJson: {
    id: 'AS-API-004',
    severity: 'low',
    title: 'Errors are not JSON',
    why: 'An error as HTML or text cannot be handled by a client and often leaks the framework or a stack trace; RFC 9457 defines application/problem+json for HTTP APIs.',
    fix: 'Answer errors with application/problem+json (RFC 9457).',
  },
  errorNotProblem: {
    id: 'AS-API-005',
    severity: 'info',
    title: 'Errors are JSON but not RFC 9457 problems',
    why: 'RFC 9457 gives errors one machine-readable shape (type, title, status, detail); other JSON shapes are noted only.',
    fix: 'Answer errors with application/problem+json (RFC 9457).',
  },
  noSecurityTxt: {
    id: 'AS-API-006',
    severity: 'low',
    title: 'No security.txt',
    why: 'RFC 9116: /.well-known/security.txt tells researchers and partners where to report a vulnerability.',
    fix: 'Publish /.well-known/security.txt (text/plain) with Contact and Expires (RFC 9116 §2.5).',
  },
  securityTxtNoContact: {
    id: 'AS-API-007',
    severity: 'low',
    title: 'security.txt without Contact',
    why: 'RFC 9116 §2.5.3: Contact is required; without it the file tells nobody where to report.',
    fix: 'Add `Contact: mailto:security@…` (or an https URL) to security.txt.',
  },
  securityTxtExpired: {
    id: 'AS-API-008',
    severity: 'low',
    title: 'security.txt without a valid Expires, or expired',
    why: 'RFC 9116 §2.5.5: Expires is required, and a file past it is stale: its contacts should not be trusted.',
    fix: 'Set `Expires:` (RFC 3339 date-time, less than a year ahead) and renew it before it passes.',
  },
  noNosniff: {
    id: 'AS-API-009',
    severity: 'low',
    title: 'No X-Content-Type-Options: nosniff',
    why: 'Without nosniff a browser may run a JSON or text response as script or HTML (OWASP Secure Headers Project).',
    fix: 'Send `X-Content-Type-Options: nosniff` on every response.',
  },
  cacheableApiResponse: {
    id: 'AS-API-010',
    severity: 'low',
    title: 'An API response without Cache-Control: no-store',
    why: 'Responses of an API can hold personal or account data; without no-store a shared cache or the browser may keep them (RFC 9111 §5.2.2.5).',
    fix: 'Send `Cache-Control: no-store` on API responses.',
  },
  htmlFramable: {
    id: 'AS-API-011',
    severity: 'low',
    title: 'An HTML response without frame-ancestors or X-Frame-Options, or without a CSP',
    why: 'An HTML page without Content-Security-Policy frame-ancestors (or X-Frame-Options) can be framed for clickjacking; without a CSP injected script runs.',
    fix: 'Send `Content-Security-Policy: default-src \'none\'; frame-ancestors \'none\'` (or the page\'s own policy with frame-ancestors).',
  },
  versionLeak: {
    id: 'AS-API-012',
    severity: 'low',
    title: 'The Server or X-Powered-By header reveals a version',
    why: 'A product version tells an attacker which known vulnerabilities to try (OWASP API8:2023 Security Misconfiguration).',
    fix: 'Drop X-Powered-By and the version from Server.',
  },
} as const satisfies Record<string, AssessRule>;
