/**
 * Gateway firewall rules on the client IP (resolved through trusted proxies only): an allow list,
 * a deny list, IPv4 and IPv6 CIDRs. The cheapest rejection there is, so it runs first. The problem
 * never says which rule matched.
 */
import { Type } from '@sinclair/typebox';
import { GatewayError } from '../../core/errors.js';
import { definePolicy, policyConfig, type ConfigIssue } from '../../core/policy.js';
import { CidrSet, parseCidr } from '../../net/cidr.js';

const configSchema = policyConfig(
  {
    allow: Type.Array(Type.String(), { default: [], description: 'If not empty, only client IPs in these addresses / CIDRs pass.' }),
    deny: Type.Array(Type.String(), { default: [], description: 'Client IPs in these addresses / CIDRs are refused (checked after allow).' }),
  },
  'Allows or denies client IPs by address and CIDR (IPv4 and IPv6).',
);

export const ipRules = definePolicy({
  name: 'ip-rules',
  description: 'Refuses client IPs outside an allow list or inside a deny list (403 network.ip_blocked).',
  enabledByDefault: false,
  configSchema,
  check(config) {
    const issues: ConfigIssue[] = [];
    for (const list of ['allow', 'deny'] as const) {
      config[list].forEach((entry, index) => {
        if (parseCidr(entry) === undefined) issues.push({ path: `${list}[${index}]`, message: `"${entry}" is not an IP address or CIDR` });
      });
    }
    return issues;
  },
  create(config) {
    const allow = config.allow.length > 0 ? new CidrSet(config.allow) : undefined;
    const deny = new CidrSet(config.deny);
    const refuse = () => new GatewayError('network.ip_blocked', { detail: 'Requests from this network are not accepted.' });
    return {
      receive: function checkIpRules(ctx) {
        if (allow && !allow.has(ctx.clientIp)) throw refuse();
        if (deny.has(ctx.clientIp)) throw refuse();
      },
    };
  },
});
