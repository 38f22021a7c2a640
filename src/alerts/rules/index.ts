/** Every built-in rule's evaluator, by the rule's name in the catalogue (core/alert-rules.ts). */
import type { AlertRuleName } from '../../core/alert-rules.js';
import type { RuleEvaluator } from './rule.js';
import { authFailureSpike, egressDenied, latencyP99, rateLimitSaturation, routeErrorRatio, upstreamDown, validationFailureSpike } from './traffic-rules.js';
import { auditSinkFailing, certificateExpiry, jwksStale, redisUnavailable, storeUnavailable } from './state-rules.js';
import { adminLoginFailures, alertSinkFailing, backgroundTaskFailed, bruteForceBlocks, configReloadRejected, credentialExpiry, crlStale, keyAge, providerSecurityRegression } from './event-rules.js';

export const RULE_EVALUATORS: Record<AlertRuleName, RuleEvaluator> = {
  route_error_ratio: routeErrorRatio,
  upstream_down: upstreamDown,
  latency_p99: latencyP99,
  auth_failure_spike: authFailureSpike,
  admin_login_failures: adminLoginFailures,
  brute_force_blocks: bruteForceBlocks,
  rate_limit_saturation: rateLimitSaturation,
  certificate_expiry: certificateExpiry,
  credential_expiry: credentialExpiry,
  key_age: keyAge,
  provider_security_regression: providerSecurityRegression,
  store_unavailable: storeUnavailable,
  redis_unavailable: redisUnavailable,
  jwks_stale: jwksStale,
  crl_stale: crlStale,
  config_reload_rejected: configReloadRejected,
  audit_sink_failing: auditSinkFailing,
  egress_denied: egressDenied,
  validation_failure_spike: validationFailureSpike,
  background_task_failed: backgroundTaskFailed,
  alert_sink_failing: alertSinkFailing,
};

export type { Finding, GatewayView, RuleContext, RuleEvaluator } from './rule.js';
