/**
 * Protections that a config can switch off or weaken: brute-force blocking, the log level and the
 * masking of detected values, Redis reached in clear or without a password, and a rate-limit
 * fallback to per-node counters where several nodes serve.
 */
import type { GatewayConfig } from '../../../config/schema.js';
import { CHECKLIST, defineCheck, finding, OWASP, type Finding } from '../check.js';
import { addressReach } from './network.js';

/** Levels that drop the access log and security events (info is where they are written). */
const QUIET_LEVELS = new Set(['warn', 'error', 'fatal', 'silent']);

/** Whether the config is meant for several nodes: a PostgreSQL store (SQLite is one node's file). */
export function multiNode(config: GatewayConfig): boolean {
  return config.store?.driver === 'postgres';
}

export const hardeningCheck = defineCheck(
  'hardening',
  {
    bruteForceOff: {
      id: 'PF-BRUTE-001',
      severity: 'high',
      title: 'Brute-force protection is turned off (bruteForce.enabled: false)',
      why: OWASP.API2,
      fix: 'Remove `bruteForce.enabled: false` (clients failing authentication repeatedly are then blocked for blockSeconds).',
    },
    logQuiet: {
      id: 'PF-LOG-001',
      severity: 'medium',
      title: 'Logging below info: access lines and security events are not written',
      why: `${OWASP.API8}; ${CHECKLIST.monitoring}`,
      fix: 'Set `logging.level: info` (the default).',
    },
    maskingOff: {
      id: 'PF-LOG-002',
      severity: 'medium',
      title: 'Masking of detected values in logs is turned off (logging.maskDetected: [])',
      why: `${OWASP.API3}; ${CHECKLIST.secrets}`,
      fix: 'Remove `logging.maskDetected: []` (every detector is on by default).',
    },
    redisClear: {
      id: 'PF-REDIS-001',
      severity: 'high',
      title: 'Redis off loopback without TLS (redis://) or without a password',
      why: `${OWASP.API8}; ${CHECKLIST.infrastructure}`,
      fix: 'Use a rediss:// URL and set `redis.password` to a secret reference.',
    },
    localFallback: {
      id: 'PF-REDIS-002',
      severity: 'medium',
      title: 'A Redis rate limit falls back to per-node counters on a multi-node deployment',
      why: `${OWASP.API4} (while Redis is down, each node admits the whole limit)`,
      fix: 'Set `onStoreFailure: closed` on limits that must hold across nodes, or accept the multiplied limit (and watch portcullis_ratelimit_fallback_total).',
    },
  },
  ({ config }, rules) => {
    const findings: Finding[] = [];
    if (!config.bruteForce.enabled) findings.push(finding(rules.bruteForceOff, 'clients failing authentication are never blocked', { path: 'bruteForce.enabled' }));
    if (QUIET_LEVELS.has(config.logging.level)) findings.push(finding(rules.logQuiet, `logging.level is ${config.logging.level}`, { path: 'logging.level' }));
    if (config.logging.maskDetected.length === 0) findings.push(finding(rules.maskingOff, 'values such as card numbers, IBANs and API keys are written to logs as they are', { path: 'logging.maskDetected' }));
    if (config.redis) {
      const url = new URL(config.redis.url);
      if (addressReach(url.hostname) !== 'loopback') {
        const missing = [url.protocol === 'redis:' ? 'TLS (redis://)' : undefined, config.redis.password === undefined ? 'a password' : undefined].filter(Boolean);
        if (missing.length > 0) findings.push(finding(rules.redisClear, `Redis at ${url.host} is reached without ${missing.join(' and ')}`, { path: 'redis.url', url: `${url.protocol}//${url.host}` }));
      }
    }
    if (multiNode(config)) {
      const places = [{ path: 'policies.ratelimit', policy: config.policies.ratelimit }, ...config.routes.map((route, index) => ({ path: `routes[${index}].policies.ratelimit`, policy: route.policies.ratelimit }))];
      for (const { path, policy } of places) {
        if (policy && policy.enabled !== false && policy.store === 'redis' && policy.onStoreFailure === 'local') {
          findings.push(finding(rules.localFallback, 'when Redis is unreachable each node counts alone (onStoreFailure: local), so the limit multiplies by the number of nodes', { path: `${path}.onStoreFailure` }));
        }
      }
    }
    return findings;
  },
);
