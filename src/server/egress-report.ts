/**
 * Egress decisions as the operator sees them: every refused (or, in report mode, would-be
 * refused) outbound connection or upstream request is logged (egress.denied or
 * egress.would_deny) and counted in portcullis_egress_denied_total{upstream,purpose,reason,mode}.
 * Also the request-level rules of an upstream (egress.methods, egress.pathPrefixes), which the
 * connect hook cannot see: they are checked by the proxy before each request is sent.
 */
import { GatewayError } from '../core/errors.js';
import type { GatewayConfig, UpstreamConfig } from '../config/schema.js';
import { egressPolicyOf } from '../config/egress-declarations.js';
import type { EgressDecision, EgressMode, Outbound } from '../outbound/index.js';
import { addressClass } from '../outbound/index.js';
import type { Logger } from '../observability/logger.js';
import type { GatewayMetrics } from '../observability/metrics.js';

/**
 * Puts the config's egress rules in force on `outbound` before anything is fetched (issuer keys
 * and CRLs are fetched while the services open), reporting to `logger` until reportTo names the
 * gateway's logger and metrics. A reload sets the new config's rules (gateway.ts, install).
 */
export function applyEgress(outbound: Outbound, config: GatewayConfig, logger: Logger): { reportTo(logger: () => Logger, metrics: GatewayMetrics): void } {
  let to: { logger: () => Logger; metrics: GatewayMetrics | undefined } = { logger: () => logger, metrics: undefined };
  outbound.egress.onDecision((decision) => reportEgressDecision(decision, to.logger(), to.metrics));
  outbound.egress.setPolicy(egressPolicyOf(config));
  return { reportTo: (logger, metrics) => void (to = { logger, metrics }) };
}

/** Logs and counts one egress decision. */
export function reportEgressDecision(decision: EgressDecision, logger: Logger, metrics: GatewayMetrics | undefined): void {
  const { connection, denial, mode } = decision;
  const fields = {
    reason: denial.reason,
    detail: denial.detail,
    mode,
    purpose: connection.purpose,
    upstream: connection.upstream,
    host: connection.host,
    port: connection.port,
    protocol: connection.protocol,
    address: connection.address,
    addressClass: addressClass(connection.address),
  };
  if (mode === 'enforce') logger.warn({ event: 'egress.denied', ...fields }, 'outbound connection refused by the egress rules');
  else logger.warn({ event: 'egress.would_deny', ...fields }, 'outbound connection the egress rules would refuse (report mode)');
  metrics?.egressDenials.inc({ upstream: connection.upstream ?? '', purpose: connection.purpose, reason: denial.reason, mode });
}

/**
 * The request-level egress rules of an upstream: undefined when `method` and `path` (as sent,
 * the target's base path included) may go to it, else the reason.
 */
export function upstreamRequestDenial(egress: UpstreamConfig['egress'], method: string, path: string): 'method_not_allowed' | 'path_not_allowed' | undefined {
  if (!egress) return undefined;
  if (egress.methods && !egress.methods.includes(method as never)) return 'method_not_allowed';
  if (egress.pathPrefixes && !egress.pathPrefixes.some((prefix) => path.startsWith(prefix))) return 'path_not_allowed';
  return undefined;
}

/**
 * Applies an upstream's request-level rules: in enforce mode a refused request throws
 * `502 upstream.egress_denied` before anything is sent; in report mode it is reported and sent.
 */
export function checkUpstreamRequest(
  upstream: { readonly name: string; readonly config: UpstreamConfig },
  target: { readonly origin: string; readonly host: string },
  method: string,
  path: string,
  mode: EgressMode | undefined,
  logger: Logger,
  metrics: GatewayMetrics | undefined,
): void {
  if (mode === undefined) return;
  const reason = upstreamRequestDenial(upstream.config.egress, method, path);
  if (!reason) return;
  const url = new URL(target.origin);
  const protocol = url.protocol;
  const port = url.port === '' ? (protocol === 'https:' ? 443 : 80) : Number(url.port);
  logger.warn(
    { event: mode === 'enforce' ? 'egress.denied' : 'egress.would_deny', reason, detail: `${method} ${path.split('?')[0]}`, mode, purpose: 'upstream', upstream: upstream.name, host: url.hostname, port, protocol },
    mode === 'enforce' ? 'upstream request refused by the egress rules' : 'upstream request the egress rules would refuse (report mode)',
  );
  metrics?.egressDenials.inc({ upstream: upstream.name, purpose: 'upstream', reason, mode });
  if (mode === 'enforce') throw new GatewayError('upstream.egress_denied', { detail: 'The gateway may not send this request to this upstream.', internal: `egress ${reason}: ${method} ${path.split('?')[0]} to ${target.origin}` });
}
