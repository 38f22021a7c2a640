/**
 * Security response headers on every response (upstream, problem or direct), and removal of
 * headers that advertise the upstream's software (`Server`, `X-Powered-By`).
 */
import { Type } from '@sinclair/typebox';
import { definePolicy, policyConfig } from '../../core/policy.js';

/** Safe defaults for an API: no sniffing, no framing, no referrer, no active content. */
export const DEFAULT_SECURITY_HEADERS: Readonly<Record<string, string>> = {
  'x-content-type-options': 'nosniff',
  'x-frame-options': 'DENY',
  'referrer-policy': 'no-referrer',
  'content-security-policy': "default-src 'none'; frame-ancestors 'none'",
};

export const DEFAULT_REMOVED_HEADERS = ['server', 'x-powered-by', 'x-aspnet-version', 'x-aspnetmvc-version'];

const configSchema = policyConfig(
  {
    headers: Type.Record(Type.String({ pattern: '^[A-Za-z0-9!#$%&\'*+.^_`|~-]+$' }), Type.String(), {
      default: {},
      description: 'Headers to set, merged over the defaults; an empty value drops that default.',
    }),
    remove: Type.Array(Type.String(), { default: DEFAULT_REMOVED_HEADERS, description: 'Response headers removed before the client sees them.' }),
  },
  'Sets security headers on every response and removes headers that reveal upstream software.',
);

export const securityHeaders = definePolicy({
  name: 'security-headers',
  description: 'Sets security response headers and removes Server / X-Powered-By.',
  enabledByDefault: true,
  configSchema,
  create(config) {
    const toSet: Array<[string, string]> = [];
    const merged: Record<string, string> = { ...DEFAULT_SECURITY_HEADERS };
    for (const [name, value] of Object.entries(config.headers)) merged[name.toLowerCase()] = value;
    for (const [name, value] of Object.entries(merged)) if (value !== '') toSet.push([name, value]);
    const toRemove = config.remove.map((name) => name.toLowerCase());
    return {
      respond: function applySecurityHeaders(ctx) {
        const headers = ctx.response!.headers;
        for (const name of toRemove) delete headers[name];
        for (const [name, value] of toSet) headers[name] = value;
      },
    };
  },
});
