/**
 * Routes: who may call them (authentication, or `public: true` with a reason), what a write may
 * carry (a contract, no unknown properties), how much of it (a body cap) and how often (a rate
 * limit). Reads the effective policies of each route: its own entry, else the global one.
 */
import { effectivePolicy } from '../../../config/policy-usage.js';
import { routeAuthentication } from '../../../config/inventory/route-authentication.js';
import { defineCheck, finding, OWASP, type Finding } from '../check.js';

const WRITE_METHODS = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);
/** Methods whose requests carry a body the gateway reads (RFC 9110 §9.3: GET/HEAD/DELETE bodies have no defined semantics). */
const BODY_METHODS = new Set(['POST', 'PUT', 'PATCH']);
/** Past this, a body cap no longer protects a gateway from one large upload (the request-size-limit default). */
export const SANE_MAX_BODY_BYTES = 10 * 1024 * 1024;


export const routesCheck = defineCheck(
  'routes',
  {
    noAuth: {
      id: 'PF-AUTH-001',
      severity: 'high',
      title: 'A route without authentication that is not marked public',
      why: OWASP.API2,
      fix: 'Add an authentication policy (auth-apikey, auth-jwt, auth-mtls) to the route or globally, or mark the route `public: true` with a `publicReason`.',
    },
    optionalAuth: {
      id: 'PF-AUTH-002',
      severity: 'high',
      title: 'A route whose every authentication policy has required: false and no authorize policy',
      why: OWASP.API2,
      fix: 'Set `required: true` on one authentication policy, or add an `authorize` policy (a request without a principal is then refused).',
    },
    writeWithoutContract: {
      id: 'PF-ROUTE-001',
      severity: 'high',
      title: 'A write route (POST, PUT, PATCH, DELETE) without an OpenAPI contract',
      why: OWASP.API3,
      fix: 'Bind the route to its operation with the validate policy (`contract` and `operationId`), or generate it with `contractRoutes`.',
    },
    unknownProperties: {
      id: 'PF-ROUTE-002',
      severity: 'high',
      title: 'A write route whose contract allows unknown body properties',
      why: `${OWASP.API3} (mass assignment)`,
      fix: 'Remove `unknownBodyProperties: allow` from the validate policy (the default, reject, refuses properties the schema does not list).',
    },
    noRateLimit: {
      id: 'PF-RATE-001',
      severity: 'medium',
      title: 'A route without any rate limit',
      why: OWASP.API4,
      fix: 'Add a ratelimit policy (globally or on the route) with a limit per consumer or per client IP.',
    },
    noSizeLimit: {
      id: 'PF-SIZE-001',
      severity: 'high',
      title: 'A route taking request bodies without a body size limit, or with one above 10 MiB',
      why: OWASP.API4,
      fix: 'Keep the request-size-limit policy on (it is by default) with `maxBytes` at most 10485760, lower where the API allows.',
    },
  },
  ({ config }, rules) => {
    const findings: Finding[] = [];
    config.routes.forEach((route, index) => {
      const at = `routes[${index}]`;
      const name = `route ${route.name} (${route.methods.join(',')} ${route.path})`;
      const auth = routeAuthentication(config, route);
      if (auth === 'none' && route.public !== true) findings.push(finding(rules.noAuth, `${name} has no authentication policy and is not marked public`, { path: at }));
      if (auth === 'optional' && route.public !== true) findings.push(finding(rules.optionalAuth, `${name} lets requests without a credential through (every auth policy has required: false, no authorize policy)`, { path: at }));
      const writes = route.methods.filter((method) => WRITE_METHODS.has(method));
      const validate = effectivePolicy(config, route, 'validate');
      // A route reachable only from listed networks (ip-rules allow) is a smaller door: one step milder.
      const allowListed = ((effectivePolicy(config, route, 'ip-rules')?.allow as unknown[] | undefined) ?? []).length > 0;
      if (writes.length > 0 && (validate === undefined || validate.contract === undefined)) {
        findings.push(finding(rules.writeWithoutContract, `${name} accepts ${writes.join(', ')} without a contract${allowListed ? ' (reachable only from ip-rules allow networks)' : ''}`, { path: `${at}.policies.validate` }, allowListed ? 'medium' : 'high'));
      } else if (writes.length > 0 && validate?.unknownBodyProperties === 'allow') {
        findings.push(finding(rules.unknownProperties, `${name} accepts body properties its contract does not list (unknownBodyProperties: allow)`, { path: route.policies.validate ? `${at}.policies.validate.unknownBodyProperties` : 'policies.validate.unknownBodyProperties' }));
      }
      const ratelimit = effectivePolicy(config, route, 'ratelimit');
      if (ratelimit === undefined) findings.push(finding(rules.noRateLimit, `${name} has no rate limit`, { path: `${at}.policies.ratelimit` }));
      if (route.methods.some((method) => BODY_METHODS.has(method))) {
        const size = effectivePolicy(config, route, 'request-size-limit');
        const where = { path: route.policies['request-size-limit'] ? `${at}.policies.request-size-limit` : 'policies.request-size-limit' };
        if (size === undefined) findings.push(finding(rules.noSizeLimit, `${name} takes request bodies of any size (request-size-limit is off)`, where));
        else if (typeof size.maxBytes === 'number' && size.maxBytes > SANE_MAX_BODY_BYTES) findings.push(finding(rules.noSizeLimit, `${name} accepts bodies up to ${size.maxBytes} bytes (more than ${SANE_MAX_BODY_BYTES})`, where, 'medium'));
      }
    });
    return findings;
  },
);
