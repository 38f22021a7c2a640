/**
 * `portcullis config describe`: what a valid config does, in plain words: where it listens, what
 * is switched off, and for each route the requests it takes, where they go and the policies that
 * run on them (the global ones included, in pipeline order), as the gateway would build it.
 */
import type { GatewayConfig } from '../config/schema.js';
import { effectivePolicies } from '../config/policy-usage.js';

export function describeConfig(file: string, config: GatewayConfig): string {
  const lines: string[] = [`${file}: ${config.listeners.length} listener${config.listeners.length === 1 ? '' : 's'}, ${Object.keys(config.upstreams).length} upstreams, ${config.routes.length} routes`, ''];
  lines.push('Listeners:');
  for (const listener of config.listeners) {
    const tls = listener.tls ? `https${listener.tls.clientCertificates.mode !== 'off' ? `, client certificates ${listener.tls.clientCertificates.mode}` : ''}` : `http (plain: ${listener.plainHttp})`;
    lines.push(`  ${listener.name}  ${listener.host}:${listener.port}  ${tls}`);
  }
  lines.push(
    config.admin.enabled
      ? `  admin  ${config.admin.host}:${config.admin.port}  /healthz /readyz /metrics${config.admin.token ? ' and the admin API' : ' (admin API off: no admin.token)'}`
      : '  admin  OFF (admin.enabled: false)',
  );
  lines.push('', 'Protections:');
  lines.push(`  brute-force protection  ${config.bruteForce.enabled ? `on: ${config.bruteForce.maxFailures} failures in ${config.bruteForce.windowSeconds}s block a client for ${config.bruteForce.blockSeconds}s` : 'OFF (bruteForce.enabled: false)'}`);
  lines.push(`  load shedding  ${config.overload.maxInFlight === 0 ? 'OFF (overload.maxInFlight: 0)' : `past ${config.overload.maxInFlight} requests in flight`}`);
  lines.push(`  trusted proxies  ${config.trustedProxies.length === 0 ? 'none (X-Forwarded-For is not believed)' : config.trustedProxies.join(', ')}`);
  lines.push('', 'Upstreams:');
  for (const [name, upstream] of Object.entries(config.upstreams)) lines.push(`  ${name}  ${upstream.targets.join(', ')}${upstream.auth ? `  (credential added: ${upstream.auth.type})` : ''}`);
  lines.push('', 'Routes (policies in pipeline order, global ones included):');
  for (const route of config.routes) {
    const host = route.host ? `${route.host} ` : '';
    lines.push(`  ${route.name}  ${route.methods.join(',')} ${host}${route.path} -> ${route.upstream}${route.rewrite ? ` as ${route.rewrite}` : route.stripPrefix ? ` minus ${route.stripPrefix}` : ''}`);
    lines.push(`      ${effectivePolicies(config, route).join(', ') || 'no policies'}`);
  }
  return `${lines.join('\n')}\n`;
}
